import { test, expect } from '@playwright/test';
import { confirmedMemberWithPoints, openDraw, sql } from './db';
import { signIn } from './sign-in';
import { card } from './bazaar-page';

test('a member enters a draw, sees the points held, the draw runs, and the check shows the same winner @phone', async ({ page }, info) => {
  test.setTimeout(120_000);
  const stamp = `${info.project.name}-${Date.now()}`;
  const email = `draw-${stamp}@example.com`;
  confirmedMemberWithPoints(email, 1000);
  const title = `Signed print ${stamp}`;
  const item = openDraw(title, 300);

  await signIn(page, email);
  await expect(page.getByTestId('balance')).toHaveText('1,000 pts');
  await page.goto('/');
  await card(page, title).getByRole('link', { name: 'Enter the draw' }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(page.getByText('Every entry has one ticket: the same chance for everyone.')).toBeVisible();
  await expect(page.getByText('1 winner · 0 entries')).toBeVisible();
  // Not ready to enter yet: a reminder before the close.
  await page.getByRole('button', { name: 'Email me 3 hours before entries close' }).click();
  await expect(page.getByText('Reminder set: we will email you before entries close.')).toBeVisible();
  await expect(page.getByText('We will email you 3 hours before entries close, unless you have entered by then.')).toBeVisible();
  await page.getByRole('button', { name: 'Enter the draw (holds 300 points)' }).click();
  await expect(page.getByText('300 points held for the draw · 1 ticket')).toBeVisible();
  await expect(page.getByText('1 winner · 1 entry')).toBeVisible();
  const entryId = (await page.getByText(/^Your entry's id in the published list: /).textContent())!
    .replace("Your entry's id in the published list: ", '');
  await page.goto('/account');
  await expect(page.getByTestId('balance')).toHaveText('700 pts');

  // The window closes; the servers draw within their next look.
  sql(`UPDATE draws SET closes_at = now() WHERE drop_item_id = ${item}`);
  await page.goto(`/draws/${item}`);
  await expect(async () => {
    await page.reload();
    await expect(page.getByText('You won! Your points paid for it.')).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByRole('link', { name: /^Show your code RB-/ })).toBeVisible();
  await page.goto('/account');
  await expect(page.getByTestId('balance')).toHaveText('700 pts');

  // Anyone can check it: the check recomputes the same winner from what was published.
  await page.goto(`/draws/${item}`);
  await page.getByRole('link', { name: 'Check this draw' }).click();
  await expect(page.getByText('The SHA-256 of the published seed is the commitment published before entries opened.')).toBeVisible();
  const picks = page.getByRole('table', { name: /Each pick/ });
  await expect(picks.getByRole('row').nth(1).getByRole('cell').nth(2)).toHaveText(entryId);
  await expect(page.getByText('The winners recomputed here are the members the portal named as winners.')).toBeVisible();
});

test('the entry count on an open draw grows while a member watches, without reloading @phone @js', async ({ page, browser }, info) => {
  test.setTimeout(90_000);
  const stamp = `${info.project.name}-${Date.now()}`;
  const watcher = `watch-${stamp}@example.com`;
  const entrant = `enter-${stamp}@example.com`;
  for (const email of [watcher, entrant]) confirmedMemberWithPoints(email, 1000);
  const item = openDraw(`Studio visit ${stamp}`, 200);

  await signIn(page, watcher);
  await page.goto(`/draws/${item}`);
  await expect(page.getByText('1 winner · 0 entries')).toBeVisible();

  // Another member enters from their own phone while the first keeps the page open.
  const other = await browser.newContext({ ...info.project.use });
  const theirs = await other.newPage();
  await signIn(theirs, entrant);
  await theirs.goto(`/draws/${item}`);
  await theirs.getByRole('button', { name: 'Enter the draw (holds 200 points)' }).click();
  await expect(theirs.getByText('1 winner · 1 entry')).toBeVisible();
  await other.close();

  // The open page reads the count again every 15 seconds: no reload, no press.
  await expect(page.getByText('1 winner · 1 entry')).toBeVisible({ timeout: 25_000 });
});
