import { test, expect, Page } from '@playwright/test';
import { dropOpeningIn, memberWithPoints } from './db';
import { DEMO_STAFF } from './sign-in';
import { card } from './bazaar-page';

// A browser whose reader asks for Mexican Spanish first.
test.use({ locale: 'es-MX' });

/// Signs in through the Spanish form, as a Spanish reader would.
async function iniciarSesion(page: Page, email: string, password = 'bazaar-demo-member') {
  await page.goto('/sign-in');
  await page.getByLabel('Correo electrónico').fill(email);
  await page.getByLabel('Contraseña').fill(password);
  await page.getByRole('button', { name: 'Iniciar sesión' }).click();
  await expect(page).toHaveURL(/\/account$/);
}

const SPANISH_DAY = /(lun|mar|mié|jue|vie|sáb|dom)\.? \d{1,2}/;

test('a visitor whose browser asks for Spanish gets the bazaar in Spanish, then switches to English for good', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('lang', 'es');
  await expect(page).toHaveTitle('Bazar · Bazar de Recompensas');
  await expect(page.getByRole('heading', { level: 1, name: /^Bazar de / })).toBeVisible();
  await expect(page.getByText('En vivo').first()).toBeVisible();
  await expect(page.getByRole('link', { name: 'Inicia sesión para canjear' }).first()).toBeVisible();
  await expect(page.getByText(/Próximo drop:/)).toBeVisible();
  await expect(page.getByText(/Abre en/).first()).toBeVisible();
  // Day and month names in Spanish, on the server's page and after the browser rewrites it.
  await expect(page.locator('.drop-when').first()).toHaveText(SPANISH_DAY);
  await expect(page.getByRole('navigation', { name: 'Categorías de recompensas' })).toBeVisible();

  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('link', { name: 'Sign in to redeem' }).first()).toBeVisible();
  // The choice sticks across pages, over what the browser asks for.
  await page.goto('/sign-in');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await page.getByRole('button', { name: 'Español' }).click();
  await expect(page.getByRole('button', { name: 'Iniciar sesión' })).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in$/);
});

test('a member reading Spanish sees a five-digit balance grouped the Mexican way, and why they cannot redeem', async ({ page }, info) => {
  const stamp = `${info.project.name}-${Date.now()}`;
  const email = `es-${stamp}@example.com`;
  memberWithPoints(email, 12_500);
  await iniciarSesion(page, email);
  await expect(page.getByTestId('balance')).toHaveText('12,500 pts');

  const title = dropOpeningIn(-60, `Linterna ${stamp}`, 5, 13_000);
  await page.goto('/');
  const lantern = card(page, title);
  await expect(lantern).toContainText('Te faltan 500 puntos');
  await expect(lantern).toContainText('13,000 puntos');

  // The confirm step, reached directly, says why in Spanish too.
  const item = await lantern.getAttribute('data-item');
  await page.goto(`/redeem/${item}`);
  await expect(page.getByText('Te faltan 500 puntos para esta recompensa: cuesta 13,000 puntos y tienes 12,500 puntos.')).toBeVisible();
});

test('staff work in Spanish too', async ({ page }) => {
  await iniciarSesion(page, DEMO_STAFF.email, DEMO_STAFF.password);
  await page.goto('/staff');
  await expect(page.locator('html')).toHaveAttribute('lang', 'es');
  await expect(page.getByRole('heading', { level: 1, name: 'Panel de administración' })).toBeVisible();
  await page.goto('/staff/rewards');
  await expect(page.getByRole('heading', { level: 1, name: 'Recompensas' })).toBeVisible();
});
