import { test, expect } from '@playwright/test';
import { sql } from './db';
import { DEMO_STAFF, signIn } from './sign-in';

test('staff start a campaign for an audience and its report shows the offered members against the held-out ones @desk', async ({ page }, info) => {
  test.setTimeout(120_000);
  const js = info.project.name.endsWith('-js');
  const stamp = `${Date.now()}-${js ? 'j' : 'n'}`;
  const campaign = `Come back ${stamp}`;
  const audience = `Cooks ${stamp}`;

  // Sixty members who love an interest of their own, and an audience of them (built on the
  // audiences page in its own test).
  const tag = `e2e-${stamp}`;
  sql(`INSERT INTO interests (tag, name, position, retired_at) VALUES ('${tag}', 'E2E ${stamp}', 99, now())`);
  sql(`WITH a AS (
         INSERT INTO accounts (email, display_name)
         SELECT 'cook-' || g || '-${stamp}@example.com', 'Cook ' || g FROM generate_series(1, 60) g
         RETURNING id)
       INSERT INTO member_likes (account_id, interest_id, given_via)
       SELECT a.id, i.id, 'preferences' FROM a, interests i WHERE i.tag = '${tag}'`);
  sql(`INSERT INTO audiences (name, rules) VALUES ('${audience}', '{"interests": ["${tag}"]}')`);

  await signIn(page, DEMO_STAFF.email, DEMO_STAFF.password);
  await page.goto('/staff');
  await page.getByRole('link', { name: 'Campaigns: offers measured against a holdout' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Campaigns' })).toBeVisible();
  await page.getByLabel('Name (staff see it; members never do)').fill(campaign);
  await page.getByLabel('Audience', { exact: true }).selectOption({ label: audience });
  await page.getByLabel('Next best action it tries').selectOption({ label: 'Win-back offer' });
  await page.getByLabel("Bonus points on the member's next purchase").fill('200');
  await expect(page.getByLabel('Holdout, in percent of the audience')).toHaveValue('10');
  await page.getByRole('button', { name: 'Start the campaign' }).click();

  await expect(page.getByRole('status')).toContainText('Campaign started');
  await expect(page.getByRole('heading', { level: 1, name: campaign })).toBeVisible();
  await expect(page.getByText('54 members offered · 6 held out')).toBeVisible();

  // Half the offered members buy in the window, one held-out member does.
  const id = sql(`SELECT id FROM campaigns WHERE name = '${campaign}'`);
  for (const [heldOut, buyers] of [['false', 27], ['true', 1]] as const) {
    sql(`INSERT INTO purchases (account_id, source, external_id, amount_cents, currency, purchased_at, points_earned)
         SELECT account_id, 'e2e', 'c-${stamp}-' || account_id, 2500, 'USD', now(), 0
         FROM campaign_members WHERE campaign_id = ${id} AND held_out = ${heldOut}
         ORDER BY account_id LIMIT ${buyers}`);
  }
  await page.reload();
  const table = page.getByRole('table', { name: /offered and the members held out/ });
  await expect(table.getByRole('columnheader', { name: 'Offered' })).toBeVisible();
  await expect(table.getByRole('columnheader', { name: 'Held out' })).toBeVisible();
  const bought = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Bought in the window' }) });
  await expect(bought.getByRole('cell').nth(0)).toHaveText('50.0%');
  await expect(bought.getByRole('cell').nth(1)).toHaveText('16.7%');
  await expect(bought.getByRole('cell').nth(2)).toHaveText('33.3 points');
  // Six held out are too few for a verdict, and the page says so rather than guess.
  await expect(bought.getByRole('cell').nth(4)).toHaveText('Too few members to tell: each group needs at least 30.');

  await page.getByRole('link', { name: '← Campaigns' }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: campaign }) });
  await expect(row).toContainText('60 members · 6 held out');
  await expect(row).toContainText('200 points bonus on the next purchase');
});
