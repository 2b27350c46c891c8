import { defineConfig, devices } from '@playwright/test';

// The test command sets these; see server/scripts/test.sh.
const port = process.env.BAZAAR_E2E_PORT ?? '3100';
const baseURL = `http://127.0.0.1:${port}`;

// Debian's Chromium: Playwright's own browser downloads are not reachable from here.
const launchOptions = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

const phone = { ...devices['Pixel 7'], viewport: { width: 390, height: 844 }, launchOptions };
const desktop = { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 900 }, launchOptions };

// Tests tagged @js need the WebAssembly (hydration, ticking countdowns); @nojs ones check the
// server-rendered page on its own. @desk ones are staff work, done at a desk: they run in the
// desktop projects only (a member's phone, if the test needs one, is a context it opens);
// @phone ones are a member's (or admin's) flow on a phone: the phone projects only.
// Untagged tests run in every project.
export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { baseURL, trace: 'off' },
  projects: [
    { name: 'phone-js', use: { ...phone }, grepInvert: /@nojs|@desk/ },
    { name: 'phone-nojs', use: { ...phone, javaScriptEnabled: false }, grepInvert: /@js|@desk/ },
    { name: 'desktop-js', use: { ...desktop }, grepInvert: /@nojs|@phone/ },
    { name: 'desktop-nojs', use: { ...desktop, javaScriptEnabled: false }, grepInvert: /@js|@phone/ },
  ],
  webServer: {
    command: process.env.BAZAAR_BIN ?? '../target/release/bazaar',
    url: `${baseURL}/healthz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    env: {
      DATABASE_URL: process.env.BAZAAR_E2E_DATABASE_URL ?? '',
      BAZAAR_DEMO: '1',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      RUST_LOG: 'warn',
    },
  },
});
