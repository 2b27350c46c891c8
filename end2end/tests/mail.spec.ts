import { test, expect, Browser, Page } from '@playwright/test';
import { signIn } from './sign-in';

// With no mail server configured (the run command's default) the portal keeps its mail in the
// admins' mailbox; a member's messages are read there, as a newcomer trying the portal would.
const ADMIN = { email: 'admin@example.com', password: 'bazaar-demo-admin' };

/// The link in the newest mail to `to` with `subject`, read in the admins' mailbox. The
/// delivery worker looks every second, so the page is read again until the mail is there.
async function mailedLink(browser: Browser, to: string, subject: string): Promise<string> {
  const context = await browser.newContext();
  const admin: Page = await context.newPage();
  await signIn(admin, ADMIN.email, ADMIN.password);
  const message = admin.getByRole('article', { name: subject }).filter({ hasText: to }).first();
  await expect(async () => {
    await admin.goto('/staff/mailbox');
    await expect(message).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await message.locator('summary').click();
  const href = await message.getByRole('link', { name: /^http/ }).getAttribute('href');
  await context.close();
  expect(href).toBeTruthy();
  return href!;
}

/// With JavaScript on, waits until the page has hydrated, as a member's next press would.
async function ready(page: Page, js: boolean) {
  if (js) await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

test('a member signs up, confirms the address from the mail, and resets a forgotten password by mail @phone', async ({ page, browser }, info) => {
  const email = `mail-${info.project.name}-${Date.now()}@example.com`;
  const js = info.project.name.endsWith('-js');

  await page.goto('/sign-up');
  await page.getByLabel('Your name').fill('Mel Mailer');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('my first password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email to finish' })).toBeVisible();

  await page.goto(await mailedLink(browser, email, 'Confirm your email address'));
  await page.getByRole('button', { name: 'Confirm my email' }).click();
  await expect(page.getByRole('heading', { name: 'Email confirmed' })).toBeVisible();

  // Forgotten: asked for from the sign-in page.
  await page.goto('/sign-in');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  // With JavaScript the link is followed in the page, which was hydrated already: the sign-in
  // form (which also has an Email field) is only gone once the new heading shows.
  await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
  await ready(page, js);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await expect(page.getByRole('status')).toContainText('If an account uses that address');

  await page.goto(await mailedLink(browser, email, 'Reset your password'));
  await page.getByLabel('New password', { exact: true }).fill('my second password');
  await page.getByRole('button', { name: 'Save my new password' }).click();
  await expect(page).toHaveURL(/\/account\?password=reset$/);
  await expect(page.getByRole('status').first()).toHaveText('Your new password is saved, and every other device was signed out.');
  await expect(page.getByRole('heading', { name: 'Hi, Mel Mailer' })).toBeVisible();
});
