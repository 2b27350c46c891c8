import { test, expect, devices } from '@playwright/test';
import { dropOpeningIn, memberWithPoints, sql } from './db';
import { DEMO_STAFF, signIn } from './sign-in';
import { card } from './bazaar-page';

test('staff build an audience, see its size, and give it early access: a member in it may redeem, one outside waits @desk', async ({ page, browser }, info) => {
  test.setTimeout(120_000);
  const js = info.project.name.endsWith('-js');
  const stamp = `${info.project.name}-${Date.now()}`;
  const audience = `Experience lovers ${stamp}`;
  const reward = `Tasting menu ${stamp}`;

  // Two members: one told us they love experiences, one told us nothing.
  const inside = `inside-${stamp}@example.com`;
  const outside = `outside-${stamp}@example.com`;
  memberWithPoints(inside, 1000);
  memberWithPoints(outside, 1000);
  sql(`INSERT INTO member_likes (account_id, category, given_via)
       SELECT id, 'experience', 'preferences' FROM accounts WHERE email = '${inside}'`);
  // A drop opening in an hour and a half (an hour's early access has not begun yet).
  dropOpeningIn(5400, reward);

  // Staff build the audience; with JavaScript its size shows as they tick.
  await signIn(page, DEMO_STAFF.email, DEMO_STAFF.password);
  await page.goto('/staff');
  await page.getByRole('link', { name: 'Audiences: groups of members to aim drops at' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Audiences' })).toBeVisible();
  await page.getByLabel('Name (staff see it; members never do)').fill(audience);
  const types = page.getByRole('group', { name: 'Loves these reward types' });
  await types.getByLabel('Experiences').check();
  await page.getByRole('button', { name: 'Save the audience' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Audience saved.' })).toBeVisible();
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: audience }) });
  await expect(row).toContainText('Loves: Experiences');
  await expect(row.getByRole('cell').nth(1)).toHaveText(/^[\d,]+ members?$/);

  // On the drop's page, the reward's early access goes to the audience, an hour early.
  const dropId = sql(`SELECT d.id FROM drops d JOIN drop_items di ON di.drop_id = d.id
                      JOIN rewards r ON r.id = di.reward_id WHERE r.title = '${reward}'`);
  await page.goto(`/staff/drops/${dropId}`);
  await page.getByLabel('Reward', { exact: true }).selectOption({ label: `${reward} (300 pts)` });
  await page.getByLabel('Quantity').fill('5');
  await page.getByLabel('Early access').selectOption({ label: audience });
  await page.getByLabel('Minutes early').fill('60');
  await page.getByRole('button', { name: 'Save reward in drop' }).click();
  await expect(page.getByRole('status')).toHaveText('Reward saved in this drop.');
  await expect(page.getByText(`Audience “${audience}” 60 minutes early`)).toBeVisible();

  // An hour later (the drop moved up to stand for it), the audience's early access has begun:
  // on their phones, the member in the audience may redeem; the other sees the countdown.
  sql(`UPDATE drops SET starts_at = now() + interval '30 minutes' WHERE id = ${dropId}`);
  for (const [email, action] of [[inside, 'redeem'], [outside, 'wait']] as const) {
    const context = await browser.newContext({ ...devices['Pixel 7'], viewport: { width: 390, height: 844 }, javaScriptEnabled: js });
    const phone = await context.newPage();
    await signIn(phone, email);
    await phone.goto('/');
    if (action === 'redeem') {
      await expect(card(phone, reward).getByRole('link', { name: 'Redeem' })).toBeVisible();
    } else {
      await expect(card(phone, reward)).toContainText('Opens in');
      await expect(card(phone, reward).getByRole('link', { name: 'Redeem' })).toHaveCount(0);
    }
    await context.close();
  }
});
