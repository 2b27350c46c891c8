// Prints the hydrate bundle's size raw, gzip -9 and brotli (quality 11): what a phone downloads.
import { readFileSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const path = process.argv[2];
const raw = readFileSync(path);
const gzip = gzipSync(raw, { level: 9 }).length;
const brotli = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`hydrate wasm ${path}: raw ${kb(raw.length)}, gzip ${kb(gzip)}, brotli ${kb(brotli)}`);
