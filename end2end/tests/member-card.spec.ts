import { test, expect } from '@playwright/test';
import { memberWithPoints } from './db';
import { signIn } from './sign-in';

const CARD_NUMBER = /^Card number \d{4} \d{4} \d{4} \d{4}$/;

test('a member opens their card from the account page, its QR code and number ready for the till @phone', async ({ page }, info) => {
  const email = `card-${info.project.name}-${Date.now()}@example.com`;
  memberWithPoints(email, 100);
  await signIn(page, email);

  await page.getByRole('link', { name: 'Show my member card' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Your member card' })).toBeVisible();
  await expect(page.getByRole('img', { name: 'QR code of your card number' })).toBeVisible();
  await expect(page.getByText(CARD_NUMBER)).toBeVisible();
  // The home-screen app opens here.
  await expect(page.locator('link[rel="manifest"]')).toHaveAttribute('href', '/manifest.webmanifest');
});

test('the card opens with no signal, and signing out forgets it @phone @js', async ({ page, context }, info) => {
  const email = `offline-${info.project.name}-${Date.now()}@example.com`;
  memberWithPoints(email, 100);
  await signIn(page, email);
  await page.goto('/account?step=card');
  const shown = await page.getByText(CARD_NUMBER).textContent();

  // The worker starts with the page's bundle; from then on it keeps the card it serves.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await page.reload();
  await expect(page.getByText(shown!)).toBeVisible();
  expect(await page.evaluate(async () => (await caches.match('/account?step=card')) !== undefined)).toBe(true);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByText(shown!)).toBeVisible();
  await context.setOffline(false);

  await page.goto('/account');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  await expect
    .poll(() => page.evaluate(async () => (await caches.match('/account?step=card')) === undefined))
    .toBe(true);
});
