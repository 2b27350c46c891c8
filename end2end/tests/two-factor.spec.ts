import { test, expect } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { sql } from './db';
import { signIn } from './sign-in';

/// The code an authenticator app shows for `secret` (base32, as the account page writes it),
/// `offset` steps of 30 seconds from now (RFC 6238, SHA-1, 6 digits).
function totp(secret: string, offset = 0): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + offset));
  const mac = createHmac('sha1', key).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  const n = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return n.toString().padStart(6, '0');
}

test('an admin turns on two-factor sign-in and then signs in with the code @phone', async ({ page }, info) => {
  const email = `ada-${info.project.name}-${Date.now()}@example.com`;
  sql(`INSERT INTO accounts (email, display_name, password_hash, role)
       SELECT '${email}', 'Ada Admin', password_hash, 'admin' FROM accounts WHERE email = 'admin@example.com'`);
  await signIn(page, email, 'bazaar-demo-admin');

  const section = page.getByRole('region', { name: 'Two-factor sign-in' });
  await expect(section.getByRole('img', { name: /QR code/ })).toBeVisible();
  const secret = (await section.getByTestId('totp-secret').textContent())!;
  await section.getByLabel('The 6-digit code the app shows').fill(totp(secret));
  await section.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  const codes = page.getByRole('list', { name: 'Your recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  await expect(page.getByRole('region', { name: 'Two-factor sign-in' })).toContainText('Two-factor sign-in is on. You have 10 recovery codes left.');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('bazaar-demo-admin');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Enter your code' })).toBeVisible();
  // The code used to turn it on was spent; the app's next one is accepted.
  await page.getByLabel('Code', { exact: true }).fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Hi, Ada Admin' })).toBeVisible();
});
