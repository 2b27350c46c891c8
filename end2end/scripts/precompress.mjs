// Writes brotli (quality 11) and gzip (-9) copies beside each file of the built bundle, which the
// server's static file service sends as they are. Compressing on the fly runs at a fast, weaker
// setting: for the WebAssembly that is about a quarter more bytes for every phone at drop time.
// Copies whose original is gone (an older build's hashed names) are removed.
import { readdirSync, readFileSync, writeFileSync, statSync, existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const dir = process.argv[2];
let written = 0;
for (const name of readdirSync(dir)) {
  const path = join(dir, name);
  if (name.endsWith('.br') || name.endsWith('.gz')) {
    if (!existsSync(path.slice(0, -3))) unlinkSync(path);
    continue;
  }
  if (!/\.(wasm|js|css|json)$/.test(name)) continue;
  const source = statSync(path);
  const fresh = (copy) => existsSync(copy) && statSync(copy).mtimeMs >= source.mtimeMs;
  if (fresh(`${path}.br`) && fresh(`${path}.gz`)) continue;
  const raw = readFileSync(path);
  writeFileSync(`${path}.br`, brotliCompressSync(raw, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  }));
  writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }));
  written += 1;
}
console.log(`precompressed ${written} file(s) in ${dir} (brotli 11, gzip 9)`);
