import { test, expect } from '@playwright/test';
import { DEMO_MEMBER, DEMO_STAFF, signIn } from './sign-in';

/// A history file of `rows` purchases by the demo member, ids unique to this run, and one row
/// whose date a spreadsheet wrote its own way.
function historyFile(rows: number): Buffer {
  const run = `e2e-${Date.now()}`;
  const lines = ['date,email,order_id,amount'];
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < rows; i++) {
    const day = new Date(start + i * 1_800_000).toISOString().slice(0, 16).replace('T', ' ');
    lines.push(`${day},${DEMO_MEMBER.email},${run}-${i},12.50`);
  }
  lines.push(`31/12/2024,${DEMO_MEMBER.email},${run}-bad,9.99`);
  return Buffer.from(lines.join('\n') + '\n');
}

test('staff upload a CSV of purchases, map its columns, watch it import and undo it @desk', async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page, DEMO_STAFF.email, DEMO_STAFF.password);
  await page.goto('/staff');
  await page.getByRole('link', { name: 'Imports: purchase history from a CSV file' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Imports' })).toBeVisible();

  await page.getByLabel('CSV file').setInputFiles({ name: 'history.csv', mimeType: 'text/csv', buffer: historyFile(40_000) });
  await page.getByRole('button', { name: 'Upload and preview' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'history.csv' })).toBeVisible();
  await expect(page.getByText('40,001 purchases in the file')).toBeVisible();
  await expect(page.getByRole('columnheader', { name: 'order_id' })).toBeVisible();
  // The columns are guessed from the header; the currency is left to the store's.
  await expect(page.getByLabel('Amount', { exact: true })).toHaveValue('3');
  await expect(page.getByLabel('Purchase id', { exact: true })).toHaveValue('2');
  await expect(page.getByLabel('Currency', { exact: true })).toHaveValue('');

  await page.getByRole('button', { name: 'Import the purchases' }).click();
  await expect(page.getByRole('progressbar')).toBeVisible();
  await expect(page.getByText(/^[\d,]+ of 40,001 rows done\.$/)).toBeVisible();
  await expect(page.getByText('40,001 rows: 40,000 purchases imported, 0 already imported before, 1 rejected.')).toBeVisible({ timeout: 60_000 });
  const rejected = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Reason' }) });
  await expect(rejected.getByRole('cell', { name: /is not a date/ })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Download the rejected rows (CSV)' })).toHaveAttribute('href', /\/rejected\.csv$/);

  await page.getByRole('button', { name: 'Undo this import' }).click();
  await expect(page.getByText(/^Undone /)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Undo this import' })).toHaveCount(0);
});
