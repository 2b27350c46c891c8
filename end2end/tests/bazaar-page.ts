import { Page } from '@playwright/test';

/// A reward's card in the bazaar's grid of all rewards (in either language), by its title. The
/// same reward may also be in the "For you" row above the grid.
export const card = (page: Page, title: string) =>
  page
    .getByRole('region', { name: /^(All rewards|Todas las recompensas)$/ })
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name: title }) });
