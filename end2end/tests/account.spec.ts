import { test, expect } from '@playwright/test';
import { DEMO_MEMBER, signIn } from './sign-in';
import { execFileSync } from 'node:child_process';

// A key for the earning API, made with the server's own command, as an admin would.
function apiKey(): string {
  return execFileSync(process.env.BAZAAR_BIN ?? '../target/release/bazaar', ['api-key', 'create', '--name', 'E2E till', '--source', 'e2e'], {
    env: { ...process.env, DATABASE_URL: process.env.BAZAAR_E2E_DATABASE_URL ?? '', RUST_LOG: 'warn' },
  })
    .toString()
    .trim();
}

test('a new member signs up, sees 0 points, earns from a purchase and signs out', async ({ page, request }, info) => {
  const email = `e2e-${info.project.name}-${Date.now()}@example.com`;
  await page.goto('/');
  await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('Your name').fill('Robin Tester');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a long enough password');
  await page.getByRole('button', { name: 'Create account' }).click();

  // The answer never says whether the address had an account; the member may sign in at once.
  await expect(page.getByRole('heading', { name: 'Check your email to finish' })).toBeVisible();
  await signIn(page, email, 'a long enough password');
  await expect(page.getByRole('heading', { name: 'Hi, Robin Tester' })).toBeVisible();
  await expect(page.getByText(`Please confirm ${email}`)).toBeVisible();
  await expect(page.getByTestId('balance')).toHaveText('0 pts');

  // The shop reports a $42.50 purchase through the earning API.
  const key = apiKey();
  const reply = await request.post('/api/v1/purchases', {
    headers: { authorization: `Bearer ${key}` },
    data: { member_email: email, external_id: `e2e-${Date.now()}`, amount: '42.50', currency: 'USD', purchased_at: new Date().toISOString() },
  });
  expect(reply.status()).toBe(201);

  await page.reload();
  await expect(page.getByTestId('balance')).toHaveText('42 pts');
  await expect(page.getByRole('list').filter({ hasText: 'Purchase' })).toContainText('+42');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in' })).toBeVisible();
  await page.goto('/account');
  await expect(page.getByRole('heading', { name: 'Sign in to see your points' })).toBeVisible();
});

test('a wrong password shows the same message as an unknown email', async ({ page }) => {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill('member@example.com');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText("That email and password don't match an account.");
});

test('sign-up errors appear beside the field', async ({ page }) => {
  await page.goto('/sign-up');
  await page.getByLabel('Your name').fill('Short Password');
  await page.getByLabel('Email').fill(`short-${Date.now()}@example.com`);
  // Bypass the browser's own minlength check to see the server's message.
  await page.getByLabel('Password').evaluate((el) => el.removeAttribute('minlength'));
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Use at least 10 characters for your password.')).toBeVisible();
  await expect(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
});

test('the demo member signs in and sees their points and history', async ({ page }) => {
  await signIn(page, DEMO_MEMBER.email);
  await expect(page.getByRole('heading', { name: 'Hi, Maya Member' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Points history' })).toBeVisible();
  await expect(page.getByTestId('balance')).not.toHaveText('0 pts');
});
