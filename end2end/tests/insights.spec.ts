import { test, expect } from '@playwright/test';
import { DEMO_STAFF, signIn } from './sign-in';

/// A day `daysAgo` before today, as a date field takes it (YYYY-MM-DD).
function day(daysAgo: number): string {
  return new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
}

test('staff compute scores, read the segments and check the forecast against what happened', async ({ page }) => {
  await signIn(page, DEMO_STAFF.email, DEMO_STAFF.password);
  await page.goto('/staff');
  await page.getByRole('link', { name: 'Insights: segments and member value' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Insights' })).toBeVisible();

  await page.getByRole('button', { name: 'Compute scores now' }).click();
  // The figures below may still be loading (each loading figure is a status of its own).
  await expect(page.getByRole('status').filter({ hasText: 'Scores computed' })).toHaveText(/^Scores computed for [\d,]+ members\.$/);
  const segments = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Share of members' }) });
  await expect(segments.getByRole('rowheader', { name: 'Champions' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Retention by month of first purchase' })).toBeVisible();

  // The demo store's year of purchases: fitted up to four months ago, checked since.
  await page.getByLabel('Cut-off date').fill(day(120));
  await page.getByLabel('End date').fill(day(1));
  await page.getByRole('button', { name: 'Check the forecast' }).click();
  await expect(page.getByText(/^Fitted on [\d,]+ members' purchases to /)).toBeVisible();
  await expect(page.getByRole('img', { name: 'Cumulative repeat purchases by week, actual and expected' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Members by repeat purchases before the cut-off' })).toBeVisible();
});
