import { test, expect } from '@playwright/test';
import { dropOpeningIn, itemOf, memberWithPoints, sql } from './db';
import { DEMO_MEMBER, signIn } from './sign-in';
import { card } from './bazaar-page';


test('a drop opens on time, the member redeems, and another browser sees the stock fall @js', async ({ page, browser }, info) => {
  test.setTimeout(90_000);
  const stamp = `${info.project.name}-${Date.now()}`;
  const email = `drop-${stamp}@example.com`;
  memberWithPoints(email, 5000);
  // Long enough to sign in and look before it opens, even on a slow machine.
  const title = dropOpeningIn(20, `Lantern ${stamp}`);

  await signIn(page, email);
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.evaluate(() => ((window as any).__no_reload = true));
  const lantern = card(page, title);
  await expect(lantern).toContainText('Opens in');
  await expect(lantern.getByRole('timer')).toHaveText(/^00:00:[0-2]\d$/);

  // A second member's browser watches the same card.
  const watcher = await browser.newContext({ ...info.project.use });
  const watching = await watcher.newPage();
  await watching.goto('/');
  await expect(watching.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(card(watching, title)).toContainText('5 of 5 left');

  // The countdown ends and the card offers Redeem, without a reload.
  await expect(lantern.getByRole('link', { name: 'Redeem' })).toBeVisible({ timeout: 30_000 });
  expect(await page.evaluate(() => (window as any).__no_reload)).toBe(true);

  await lantern.getByRole('link', { name: 'Redeem' }).click();
  await expect(page.getByRole('heading', { name: title })).toBeVisible();
  await page.getByRole('button', { name: 'Confirm redemption' }).click();
  await expect(page.getByTestId('redemption-code')).toHaveText(/^RB-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await expect(page.getByTestId('balance-after')).toHaveText('4,700 points');

  // The other browser saw the unit go, live.
  await expect(card(watching, title)).toContainText('4 of 5 left', { timeout: 5_000 });
  await watcher.close();
});

test('a count pushed before the live stream went down gives way to the stock the page reads next @js', async ({ page }, info) => {
  const stamp = `${info.project.name}-${Date.now()}`;
  const email = `stream-${stamp}@example.com`;
  memberWithPoints(email, 1000);
  const title = dropOpeningIn(-60, `Lantern ${stamp}`);
  const item = itemOf(title);
  // A member redeems one and the page hears it; then the stream goes down and stays down.
  sql(`UPDATE drop_items SET remaining = 4 WHERE id = ${item}`);
  let asked = 0;
  await page.route('**/api/live/stock', (route) => {
    asked += 1;
    return asked === 1
      ? route.fulfill({ status: 200, contentType: 'text/event-stream', body: `data: ${item} 4\n\n` })
      : route.abort('connectionrefused');
  });
  await signIn(page, email);
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const lantern = card(page, title);
  await expect(lantern).toContainText('4 of 5 left');

  // While it is down the redemption is cancelled and its unit comes back: the page, reading
  // the bazaar again every few seconds, shows it.
  sql(`UPDATE drop_items SET remaining = 5 WHERE id = ${item}`);
  await expect(lantern).toContainText('5 of 5 left', { timeout: 15_000 });
});

test('a page turned away by the live stream once (a restart, say) listens again @js', async ({ page }) => {
  let asked = 0;
  await page.route('**/api/live/stock', (route) => {
    asked += 1;
    return asked === 1 ? route.fulfill({ status: 503, body: 'Restarting' }) : route.continue();
  });
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  // Browsers give up on a stream answered with an error; the page must ask again itself, or it
  // would re-read the whole bazaar every few seconds for as long as it stays open.
  await expect.poll(() => asked, { timeout: 15_000 }).toBeGreaterThan(1);
});

test('with JavaScript, signing in, redeeming, cancelling and signing out happen without a page load @js', async ({ page }, info) => {
  const stamp = `${info.project.name}-${Date.now()}`;
  const email = `in-place-${stamp}@example.com`;
  memberWithPoints(email, 1000);
  const title = dropOpeningIn(-60, `Lantern ${stamp}`);
  // A full page load would clear this; each form below must be handled in place.
  const samePage = () => page.evaluate(() => (window as any).__no_reload === true);

  await page.goto('/sign-in');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.evaluate(() => ((window as any).__no_reload = true));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO_MEMBER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/account$/);
  expect(await samePage()).toBe(true);

  await page.getByRole('contentinfo').getByRole('link', { name: 'Bazaar' }).click();
  await card(page, title).getByRole('link', { name: 'Redeem' }).click();
  await page.getByRole('button', { name: 'Confirm redemption' }).click();
  await expect(page.getByTestId('redemption-code')).toHaveText(/^RB-/);
  await expect(page.getByTestId('balance-after')).toHaveText('700 points');
  expect(await samePage()).toBe(true);

  await page.getByRole('button', { name: 'Cancel this redemption' }).click();
  // Announced where it happened: the button pressed is gone.
  await expect(page.getByRole('status')).toHaveText('Cancelled');
  await expect(page.getByTestId('balance-after')).toHaveText('1,000 points');
  expect(await samePage()).toBe(true);

  await page.getByRole('button', { name: 'Sign out' }).click();
  // The header's link: once the bazaar re-reads, every open card also offers "Sign in to redeem".
  await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  expect(await samePage()).toBe(true);
});

test('redeeming works without JavaScript, with a confirm step @nojs', async ({ page }, info) => {
  const stamp = `${info.project.name}-${Date.now()}`;
  const email = `nojs-${stamp}@example.com`;
  memberWithPoints(email, 1000);
  const title = dropOpeningIn(-60, `Lantern ${stamp}`);

  await signIn(page, email);
  await page.goto('/');
  await card(page, title).getByRole('link', { name: 'Redeem' }).click();
  await expect(page.getByRole('heading', { name: title })).toBeVisible();
  await expect(page.getByText('Balance after')).toBeVisible();
  await page.getByRole('button', { name: 'Confirm redemption' }).click();
  await expect(page.getByTestId('redemption-code')).toHaveText(/^RB-/);
  await expect(page.getByTestId('balance-after')).toHaveText('700 points');

  // It is in the account's list, and can be cancelled within the grace period.
  await page.getByRole('button', { name: 'Cancel this redemption' }).click();
  await expect(page.getByText('Cancelled')).toBeVisible();
  await expect(page.getByTestId('balance-after')).toHaveText('1,000 points');
});

test('a member short of points is told how many more they need', async ({ page }, info) => {
  const stamp = `${info.project.name}-${Date.now()}`;
  const email = `short-${stamp}@example.com`;
  memberWithPoints(email, 100);
  const title = dropOpeningIn(-60, `Lantern ${stamp}`);
  await signIn(page, email);
  await page.goto('/');
  await expect(card(page, title)).toContainText('200 more points');
});

for (const [skew, label] of [[60_000, 'a minute fast'], [-60_000, 'a minute slow']] as const) {
  test(`on a device whose clock is ${label}, a drop still opens on time, asking the server at most twice @js`, async ({ page }, info) => {
    test.setTimeout(90_000);
    const stamp = `${info.project.name}-${skew}-${Date.now()}`;
    const email = `clock-${stamp}@example.com`;
    memberWithPoints(email, 5000);
    const title = dropOpeningIn(20, `Lamp ${stamp}`);
    await page.addInitScript((skew) => {
      const real = Date.now;
      Date.now = () => real() + skew;
    }, skew);
    let reads = 0;
    page.on('request', (request) => {
      if (request.url().includes('/api/fn/bazaar')) reads += 1;
    });

    await signIn(page, email);
    await page.goto('/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const lamp = card(page, title);
    // The countdown shows the real time to the opening, not the device's.
    await expect(lamp.getByRole('timer')).toHaveText(/^00:00:[0-2]\d$/);
    await page.waitForTimeout(2_000);
    expect(reads, 'no reads before the opening').toBe(0);

    await expect(lamp.getByRole('link', { name: 'Redeem' })).toBeVisible({ timeout: 30_000 });
    expect(reads).toBeLessThanOrEqual(2);
  });
}
