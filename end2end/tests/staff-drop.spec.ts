import { test, expect, devices } from '@playwright/test';
import { memberWithPoints } from './db';
import { DEMO_STAFF, signIn } from './sign-in';
import { card } from './bazaar-page';

// The demo store's zone: staff type drop times in it.
const STORE_ZONE = 'America/New_York';

/** `at` as a datetime-local value in the store's zone. */
function storeLocal(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: STORE_ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}`;
}


test('staff schedule a drop with a new reward, a member on a phone redeems when it opens, and the report shows it @desk', async ({ page, browser }, info) => {
  test.setTimeout(240_000);
  const js = info.project.name.endsWith('-js');
  const stamp = `${info.project.name}-${Date.now()}`;
  const reward = `Drop candle ${stamp}`;
  const dropTitle = `Flash drop ${stamp}`;

  // Staff: a new reward...
  await signIn(page, DEMO_STAFF.email, DEMO_STAFF.password);
  await page.goto('/staff/rewards');
  await page.getByLabel('Title', { exact: true }).fill(reward);
  await page.getByLabel('Category').selectOption('gift');
  await page.getByLabel('Cost in points').fill('400');
  await page.getByRole('button', { name: 'Save reward' }).click();
  await expect(page.getByRole('heading', { level: 1, name: reward })).toBeVisible();

  // ...and a one-off drop opening at the next whole minute at least 45 seconds away.
  const opens = new Date(Math.ceil((Date.now() + 45_000) / 60_000) * 60_000);
  const closes = new Date(opens.getTime() + 2 * 3600_000);
  await page.goto('/staff/drops');
  await page.getByLabel('Title', { exact: true }).fill(dropTitle);
  await page.getByLabel('Starts').fill(storeLocal(opens));
  await page.getByLabel('Ends').fill(storeLocal(closes));
  await page.getByRole('button', { name: 'Schedule drop' }).click();
  await expect(page.getByRole('heading', { level: 1, name: dropTitle })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText('Drop saved.');
  await page.getByLabel('Reward', { exact: true }).selectOption({ label: `${reward} (400 pts)` });
  await page.getByLabel('Quantity').fill('3');
  await page.getByRole('button', { name: 'Save reward in drop' }).click();
  await expect(page.getByRole('status')).toHaveText('Reward saved in this drop.');
  await expect(page.getByText('3 of 3 left · 400 pts · up to 1 per member')).toBeVisible();

  // A member, on a phone, waits for it.
  const email = `phone-${stamp}@example.com`;
  memberWithPoints(email, 1000);
  const phoneContext = await browser.newContext({
    ...devices['Pixel 7'],
    viewport: { width: 390, height: 844 },
    javaScriptEnabled: js,
  });
  const phone = await phoneContext.newPage();
  await signIn(phone, email);
  await phone.goto('/');
  await expect(card(phone, reward)).toContainText('Opens in');
  if (js) {
    // The countdown runs out and the card offers Redeem by itself, on time.
    await expect(phone.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(card(phone, reward).getByRole('link', { name: 'Redeem' })).toBeVisible({ timeout: 120_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(opens.getTime() - 1_000);
    expect(Date.now() - opens.getTime()).toBeLessThan(15_000);
  } else {
    // Without JavaScript the member reloads once the time has come.
    await phone.waitForTimeout(Math.max(0, opens.getTime() - Date.now()) + 1_000);
    await phone.reload();
  }
  await card(phone, reward).getByRole('link', { name: 'Redeem' }).click();
  await phone.getByRole('button', { name: 'Confirm redemption' }).click();
  await expect(phone.getByTestId('redemption-code')).toHaveText(/^RB-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await expect(phone.getByTestId('balance-after')).toHaveText('600 points');
  await phoneContext.close();

  // Staff open the report: the redemption, and the chart of redemptions over time.
  await page.reload();
  await page.getByRole('link', { name: 'Post-drop report' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Report: ${dropTitle}` })).toBeVisible();
  const items = page.getByRole('table').first();
  await expect(items.getByRole('row', { name: new RegExp(reward) })).toContainText('1 of 3');
  await expect(page.getByRole('img', { name: /^Redemptions per / })).toBeVisible();
  await expect(page.getByText('Members who redeemed', { exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Download CSV' })).toBeVisible();
});

test('a staff mistake in scheduling is explained beside the field @desk', async ({ page }, info) => {
  await signIn(page, DEMO_STAFF.email, DEMO_STAFF.password);
  await page.goto('/staff/drops');
  await page.getByLabel('Title', { exact: true }).fill(`Backwards ${info.project.name}`);
  await page.getByLabel('Starts').fill(storeLocal(new Date(Date.now() + 3 * 86400_000)));
  await page.getByLabel('Ends').fill(storeLocal(new Date(Date.now() + 2 * 86400_000)));
  await page.getByRole('button', { name: 'Schedule drop' }).click();
  await expect(page.getByText('The end must be after the start.')).toBeVisible();
  await expect(page.getByLabel('Ends')).toHaveAttribute('aria-invalid', 'true');
});

test('staff preview a weekly schedule before creating it @desk', async ({ page }, info) => {
  await signIn(page, DEMO_STAFF.email, DEMO_STAFF.password);
  await page.goto('/staff/drops');
  await page.getByRole('link', { name: 'New recurring schedule' }).click();
  // The drops page has a Title field too: wait for the schedule page (its code may still be
  // on its way) before filling in.
  await expect(page.getByRole('heading', { level: 1, name: 'New recurring schedule' })).toBeVisible();
  await page.getByLabel('Title', { exact: true }).fill(`Weekly ${info.project.name}`);
  await page.getByLabel('Tuesday').check();
  await page.getByLabel('Thursday').check();
  await page.getByLabel('Time', { exact: true }).fill('09:00');
  await page.getByLabel('Time zone').fill('America/Mexico_City');
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByText('Every Tuesday and Thursday at 09:00 America/Mexico_City')).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: /, 09:00 CST \(15:00 UTC\)$/ })).toHaveCount(8);
});
