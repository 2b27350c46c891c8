import { test, expect } from '@playwright/test';
import { card } from './bazaar-page';
import { dropOpeningIn, memberWithPoints } from './db';
import { signIn } from './sign-in';

test('a member picks experiences in What you love and the bazaar puts one first, saying why @phone', async ({ page }, info) => {
  const email = `love-${info.project.name}-${Date.now()}@example.com`;
  memberWithPoints(email, 500);
  await signIn(page, email);

  const love = page.getByRole('region', { name: 'What you love' });
  await expect(love.getByText('We use this to pick rewards for you.')).toBeVisible();
  await love.getByRole('checkbox', { name: 'Experiences' }).check();
  await love.getByLabel('Day', { exact: true }).selectOption('14');
  await love.getByLabel('Month', { exact: true }).selectOption({ label: 'February' });
  await love.getByRole('button', { name: 'Save what I love' }).click();
  await expect(love.getByRole('status')).toHaveText('Saved. The bazaar\'s "For you" now follows it.');
  await expect(love.getByRole('checkbox', { name: 'Experiences' })).toBeChecked();
  await expect(love.getByLabel('Month', { exact: true })).toHaveValue('2');

  await page.goto('/');
  const first = page.getByRole('region', { name: 'For you' }).getByRole('listitem').first();
  await expect(first).toContainText('Because you love experiences');
  await expect(first.getByText('Experience', { exact: true })).toBeVisible();

  // Cleared, the row no longer says so.
  await page.goto('/account');
  await love.getByRole('button', { name: 'Clear all my answers' }).click();
  await expect(love.getByRole('status')).toHaveText('All your answers are cleared.');
  await expect(love.getByRole('checkbox', { name: 'Experiences' })).not.toBeChecked();
  await page.goto('/');
  await expect(page.getByRole('region', { name: 'For you' })).not.toContainText('Because you love experiences');
});

test('after a redemption a member answers one quick question, and the next waits its turn @phone', async ({ page }, info) => {
  const stamp = `${info.project.name}-${Date.now()}`;
  const email = `asked-${stamp}@example.com`;
  memberWithPoints(email, 1000);
  const title = dropOpeningIn(-60, `Compass ${stamp}`);
  await signIn(page, email);

  await page.goto('/');
  await card(page, title).getByRole('link', { name: 'Redeem' }).click();
  await page.getByRole('button', { name: 'Confirm redemption' }).click();
  await expect(page.getByTestId('redemption-code')).toHaveText(/^RB-/);
  const ask = page.getByRole('complementary', { name: 'One quick question' });
  await expect(ask).toContainText('Which kinds of rewards do you like most?');
  await ask.getByRole('link', { name: 'Answer' }).click();
  await page.getByRole('checkbox', { name: 'Experiences' }).check();
  await page.getByRole('button', { name: 'Save my answer' }).click();
  await expect(page.getByRole('status')).toContainText('Thanks!');

  // Kept in What you love; the account page asks the next question, and "Not now" puts it off.
  await page.goto('/account');
  await expect(page.getByRole('region', { name: 'What you love' }).getByRole('checkbox', { name: 'Experiences' })).toBeChecked();
  const next = page.getByRole('complementary', { name: 'One quick question' });
  await expect(next).toContainText('What are you into?');
  await next.getByRole('button', { name: 'Not now' }).click();
  await expect(page.getByRole('complementary', { name: 'One quick question' })).toContainText('When is your birthday?');
});
