import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { memberWithPoints } from './db';
import { DEMO_MEMBER, signIn } from './sign-in';

test('a member downloads their data, deletes their account and cannot sign in again @phone', async ({ page }, info) => {
  const email = `leaving-${info.project.name}-${Date.now()}@example.com`;
  memberWithPoints(email, 300);
  await signIn(page, email);

  const data = page.getByRole('region', { name: 'Your data' });
  const download = page.waitForEvent('download');
  await data.getByRole('link', { name: 'Download my data' }).click();
  const file = await (await download).path();
  const mine = JSON.parse(readFileSync(file, 'utf8'));
  expect(mine.account.email).toBe(email);
  expect(mine.account.balance).toBe(300);

  await data.getByLabel('Your password, to confirm').fill('not my password');
  await data.getByRole('button', { name: 'Delete my account' }).click();
  await expect(data.getByText('That is not your password. Your account is not deleted.')).toBeVisible();

  await data.getByRole('radio', { name: 'Cancel them and put them back in stock' }).check();
  await data.getByLabel('Your password, to confirm').fill(DEMO_MEMBER.password);
  await data.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Your account is deleted' })).toBeVisible();

  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO_MEMBER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText("That email and password don't match an account.")).toBeVisible();
});
