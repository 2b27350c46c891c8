import { test, expect } from '@playwright/test';
import { DEMO_MEMBER, DEMO_STAFF, signIn } from './sign-in';

test('staff create a reward, fix a mistake the form points out, and find it in the catalog', async ({ page }, info) => {
  const title = `Staff lantern ${info.project.name} ${Date.now()}`;
  await signIn(page, DEMO_STAFF.email, DEMO_STAFF.password);
  await page.getByRole('banner').getByRole('link', { name: 'Staff', exact: true }).click();
  await page.getByRole('main').getByRole('link', { name: /^Rewards \(\d+\)$/ }).click();

  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Category').selectOption('gift');
  await page.getByLabel('Cost in points').fill('lots');
  await page.getByRole('button', { name: 'Save reward' }).click();
  await expect(page.getByText('Enter the cost in points as a whole number, e.g. 500.')).toBeVisible();

  // Without JavaScript the form comes back empty after an error; fill it again either way.
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Category').selectOption('gift');
  await page.getByLabel('Cost in points').fill('650');
  await page.getByRole('button', { name: 'Save reward' }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText('Saved.');

  await page.goto('/staff/rewards?q=' + encodeURIComponent(title));
  await expect(page.getByRole('link', { name: title })).toBeVisible();
});

test('a link to a page whose code cannot be downloaded loads that page from the server instead @js', async ({ page }) => {
  await signIn(page, DEMO_STAFF.email, DEMO_STAFF.password);
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  // As for a tab opened before a deploy (whose chunks are gone) or a connection that drops.
  await page.route(/\/pkg\/(split|chunk)_[^/]*\.wasm$/, (route) => route.abort());
  await page.evaluate(() => ((window as any).__still_here = true));
  let loads = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) loads += 1;
  });
  await page.getByRole('banner').getByRole('link', { name: 'Staff', exact: true }).click();
  await expect(page).toHaveURL(/\/staff$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Staff console' })).toBeVisible();
  // A full page load from the server, not the browser's router.
  expect(await page.evaluate(() => (window as any).__still_here)).toBeUndefined();
  // Its own chunks are blocked too, so its hydration fails as well: that must not load it again.
  await page.waitForTimeout(1_000);
  expect(loads).toBe(1);
  await expect(page.getByRole('heading', { level: 1, name: 'Staff console' })).toBeVisible();
});

test('members cannot open the staff console', async ({ page }) => {
  await signIn(page, DEMO_MEMBER.email);
  const response = await page.goto('/staff/rewards');
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('alert')).toContainText("You don't have access to this.");
});

test('the staff console is downloaded only by staff pages, and works once it arrives @js', async ({ page }) => {
  const chunks: string[] = [];
  page.on('request', (r) => {
    if (/\/pkg\/(split|chunk)_[^/]*\.wasm$/.test(r.url())) chunks.push(r.url());
  });
  // A member's bazaar: the page's own code only, no staff (or account) pages.
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  expect(chunks).toEqual([]);

  await signIn(page, DEMO_STAFF.email, DEMO_STAFF.password);
  chunks.length = 0;
  await page.goto('/staff/drops');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  expect(chunks.some((url) => url.includes('staff_route'))).toBe(true);
  // Interactive: a client-side navigation (no page load) to another staff page.
  await page.evaluate(() => ((window as any).__still_here = true));
  await page.getByRole('banner').getByRole('link', { name: 'Staff', exact: true }).click();
  await expect(page).toHaveURL(/\/staff$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Staff console' })).toBeVisible();
  expect(await page.evaluate(() => (window as any).__still_here)).toBe(true);
});

test('staff reach the console from their account page and every page of it speaks in words @js', async ({ page }) => {
  // A member's page leaves the console's words out of its catalog; the console, reached in the
  // browser from one, loads again with them.
  await signIn(page, DEMO_STAFF.email, DEMO_STAFF.password);
  await page.getByRole('banner').getByRole('link', { name: 'Staff', exact: true }).click();
  await page.getByRole('main').getByRole('link', { name: 'Campaigns: offers measured against a holdout' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Campaigns', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Start a campaign' })).toBeVisible();
  await expect(page.getByText(/campaigns\.[a-z_]+/)).toHaveCount(0);
});
