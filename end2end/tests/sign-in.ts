import { expect, Page } from '@playwright/test';

/// The demo store's accounts (see `server/src/demo/mod.rs`).
export const DEMO_MEMBER = { email: 'member@example.com', password: 'bazaar-demo-member' };
export const DEMO_STAFF = { email: 'staff@example.com', password: 'bazaar-demo-staff' };

/// Signs in through the form, as a person would, and waits for the account page it leads to.
export async function signIn(page: Page, email: string, password: string = DEMO_MEMBER.password) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/account$/);
}
