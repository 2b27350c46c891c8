import { test, expect } from '@playwright/test';
import { dropOpeningIn, memberWithPoints, sql } from './db';
import { signIn } from './sign-in';

test('the bazaar shows the live drop, its rewards and a countdown to the next drop', async ({ page }) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1, name: /Bazaar/ })).toBeVisible();
  await expect(page.getByText('Live now').first()).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Welcome drop' })).toBeVisible();
  // The grid of every reward (the "For you" row above it has short cards of its own).
  const rewards = page.getByRole('region', { name: 'All rewards' }).getByRole('list');
  await expect(rewards.getByRole('listitem').first()).toBeVisible();
  expect(await rewards.getByRole('listitem').count()).toBeGreaterThan(10);
  // Each card shows a cost and what is left.
  const card = rewards.getByRole('listitem').first();
  await expect(card).toContainText(/\d points?/);
  await expect(card).toContainText(/left|Sold out/);
  // The next scheduled drop and how long until it opens.
  await expect(page.getByText(/Next drop:/)).toBeVisible();
  await expect(page.getByRole('timer').last()).toHaveText(/^(\d+d )?\d\d:\d\d:\d\d$/);
});

test('the category filter narrows the rewards to one category', async ({ page }) => {
  await page.goto('/');
  const filter = page.getByRole('navigation', { name: 'Reward categories' });
  await filter.getByRole('link', { name: /Gifts/ }).click();
  await expect(page).toHaveURL(/\?category=gift$/);
  await expect(page.getByRole('heading', { level: 2, name: 'Gifts' })).toBeVisible();
  await expect(filter.getByRole('link', { name: /Gifts/ })).toHaveAttribute('aria-current', 'page');
  const categories = await page.locator('.reward-card .reward-category').allTextContents();
  expect(categories.length).toBeGreaterThan(0);
  expect(new Set(categories)).toEqual(new Set(['Gift']));
  await filter.getByRole('link', { name: /^All/ }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'All rewards' })).toBeVisible();
});

test('with JavaScript, focus stays on a filter link that swapped the grid, and moves to the content of a new page @js', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.evaluate(() => ((window as any).__no_reload = true));

  // A filter link changes the list in place: a keyboard user carries on from the link.
  const filter = page.getByRole('navigation', { name: 'Reward categories' });
  await filter.getByRole('link', { name: /Gifts/ }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 2, name: 'Gifts' })).toBeVisible();
  await expect(filter.getByRole('link', { name: /Gifts/ })).toBeFocused();

  // Another page, drawn without a page load: focus starts at the page's content, as it would
  // after loading it, and the next Tab reaches the new page's first field.
  await page.getByRole('banner').getByRole('link', { name: 'Sign in', exact: true }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(page.getByRole('main')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Email')).toBeFocused();
  expect(await page.evaluate(() => (window as any).__no_reload)).toBe(true);
});

test('an unknown category in a link gets a clear message and a way back', async ({ page }) => {
  const response = await page.goto('/?category=shoes');
  expect(response?.status()).toBe(400);
  await expect(page.getByRole('alert')).toContainText('Unknown category “shoes”. Choose one of');
  await expect(page.getByRole('link', { name: 'Back to the bazaar' })).toBeVisible();
});

test('the page is complete without JavaScript @nojs', async ({ page }) => {
  await page.goto('/');
  // Server-rendered: the rewards and the countdown text are in the HTML itself.
  await expect(page.locator('.reward-card').first()).toBeVisible();
  await expect(page.getByRole('timer').first()).toHaveText(/\d\d:\d\d:\d\d/);
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', /.*/);
});

test('after hydration the filter calls a server function instead of reloading the page @js', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  // A full page load would wipe this marker; a client-side navigation keeps it.
  await page.evaluate(() => ((window as any).__still_here = true));
  const serverFnCall = page.waitForResponse((r) => r.url().includes('/api/fn/bazaar') && r.status() === 200);
  await page.getByRole('navigation', { name: 'Reward categories' }).getByRole('link', { name: /Samples/ }).click();
  await serverFnCall;
  await expect(page.getByRole('heading', { level: 2, name: 'Samples' })).toBeVisible();
  expect(await page.evaluate(() => (window as any).__still_here)).toBe(true);
});

test('the countdown ticks in the browser @js', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  const timer = page.getByRole('timer').first();
  const before = await timer.textContent();
  await expect(timer).not.toHaveText(before ?? '', { timeout: 3_000 });
});

test('the countdown does not tick without JavaScript @nojs', async ({ page }) => {
  await page.goto('/');
  const timer = page.getByRole('timer').first();
  const before = await timer.textContent();
  await page.waitForTimeout(1_500);
  await expect(timer).toHaveText(before ?? '');
});

test('the WebAssembly is fetched only after the page and its images have loaded @js', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  // On a slow phone link a 300 KB download started from the <head> delays the reward images.
  const timing = await page.evaluate(() => {
    const loaded = (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventStart;
    const wasm = performance.getEntriesByType('resource').find((r) => r.name.endsWith('.wasm'));
    return { loaded, wasmStart: wasm?.startTime };
  });
  expect(timing.loaded).toBeGreaterThan(0);
  expect(timing.wasmStart).toBeGreaterThanOrEqual(timing.loaded);
});

test('the page still becomes interactive when an image never finishes loading @js', async ({ page }) => {
  // A stuck media request (a busy moment at drop time) means the load event never comes.
  await page.route(/\/media\/rewards\//, () => {});
  await page.goto('/', { waitUntil: 'domcontentloaded' });
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  expect(await page.evaluate(() => document.readyState)).not.toBe('complete');
});

test('the WebAssembly bundle is sent precompressed, brotli smaller than gzip', async ({ request }) => {
  // The bundle's hashed name is in the page (in the template that starts it after load).
  const html = await (await request.get('/')).text();
  const href = html.match(/href="(\/pkg\/bazaar\.[^"]+\.wasm)"/)?.[1];
  expect(href).toMatch(/^\/pkg\/bazaar\..+\.wasm$/);
  const br = await request.get(href!, { headers: { 'Accept-Encoding': 'br' } });
  const gz = await request.get(href!, { headers: { 'Accept-Encoding': 'gzip' } });
  expect(br.headers()['content-encoding']).toBe('br');
  expect(gz.headers()['content-encoding']).toBe('gzip');
  // A stored file has a known length; compressing on the fly streams without one.
  const brBytes = Number(br.headers()['content-length']);
  const gzBytes = Number(gz.headers()['content-length']);
  expect(brBytes).toBeGreaterThan(0);
  expect(brBytes).toBeLessThan(gzBytes);
  // Caches in between must keep the two apart.
  expect(br.headers()['vary']).toMatch(/accept-encoding/i);
});

test('a member sets and cancels a reminder for an upcoming drop without a page load @js', async ({ page }, info) => {
  const stamp = `${info.project.name}-${Date.now()}`;
  const email = `remind-${stamp}@example.com`;
  memberWithPoints(email, 100);
  // Opens in two minutes: upcoming for the whole test, and ahead of the demo store's drops.
  // Cancelled when the test ends: opening during a later test, its countdown would make that
  // page read the bazaar again (the clock tests count those reads).
  const drop = `E2E drop ${dropOpeningIn(120, `Lantern ${stamp}`)}`;
  try {
    await signIn(page, email);
    await page.goto('/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.evaluate(() => ((window as any).__no_reload = true));
    const upcoming = page.getByRole('listitem').filter({ hasText: drop });

    await upcoming.getByRole('button', { name: `Email me 15 minutes before ${drop} opens` }).click();
    await expect(upcoming.getByRole('status')).toHaveText('Reminder set');
    // The pressed button was replaced; the keyboard stays where it was.
    await expect(upcoming.getByRole('button', { name: `Cancel the reminder for ${drop}` })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(upcoming.getByRole('button', { name: `Email me 15 minutes before ${drop} opens` })).toBeFocused();
    expect(await page.evaluate(() => (window as any).__no_reload)).toBe(true);
  } finally {
    sql(`UPDATE drops SET cancelled_at = now() WHERE title = '${drop}'`);
  }
});
