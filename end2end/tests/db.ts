import { execFileSync } from 'node:child_process';

// Test set-up that has no screen yet (staff scheduling comes later) goes straight to the
// test database, as a staff user would through the console.
export function sql(statement: string): string {
  return execFileSync('psql', [process.env.BAZAAR_E2E_DATABASE_URL ?? '', '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', statement]).toString().trim();
}

/// A member who signs in with the demo password and holds `points`.
export function memberWithPoints(email: string, points: number): void {
  sql(`INSERT INTO accounts (email, display_name, password_hash)
       SELECT '${email}', 'Drop Tester', password_hash FROM accounts WHERE email = 'member@example.com'`);
  sql(`WITH e AS (
         INSERT INTO ledger_entries (account_id, kind, points, reason)
         SELECT id, 'adjust', ${points}, 'E2E grant' FROM accounts WHERE email = '${email}'
         RETURNING id, account_id, points)
       INSERT INTO point_lots (account_id, entry_id, points, remaining, expires_at)
       SELECT account_id, id, points, points, now() + interval '1 year' FROM e`);
}

/// A drop opening `inSeconds` from now with one reward; returns the reward's title.
export function dropOpeningIn(inSeconds: number, title: string, quantity = 5, cost = 300): string {
  const dropId = sql(`INSERT INTO drops (title, starts_at, ends_at)
       VALUES ('E2E drop ' || '${title}', now() + interval '${inSeconds} seconds', now() + interval '2 hours') RETURNING id`);
  const rewardId = sql(`INSERT INTO rewards (title, category, points_cost, description)
       VALUES ('${title}', 'gift', ${cost}, 'A lantern for testing.') RETURNING id`);
  sql(`INSERT INTO drop_items (drop_id, reward_id, quantity, remaining, points_cost)
       VALUES (${dropId}, ${rewardId}, ${quantity}, ${quantity}, ${cost})`);
  return title;
}

/// The id of the drop item offering the reward titled `title` (as its card's `data-item`).
export function itemOf(title: string): string {
  return sql(`SELECT di.id FROM drop_items di JOIN rewards r ON r.id = di.reward_id WHERE r.title = '${title}'`);
}

/// A member with `points` and a confirmed address (a draw asks for one by default).
export function confirmedMemberWithPoints(email: string, points: number): void {
  memberWithPoints(email, points);
  sql(`UPDATE accounts SET email_verified_at = now() WHERE email = '${email}'`);
}

/// A reward given by draw (one winner) in a drop that opened a minute ago, its entries open for
/// an hour, with a seed committed to as staff's set-up commits to one; returns its drop item.
export function openDraw(title: string, cost: number): string {
  dropOpeningIn(-60, title, 1, cost);
  const item = itemOf(title);
  sql(`UPDATE drop_items SET allocation = 'draw' WHERE id = ${item}`);
  sql(`WITH s AS (SELECT decode(md5(random()::text) || md5(random()::text), 'hex') AS seed)
       INSERT INTO draws (drop_item_id, opens_at, closes_at, seed, commitment)
       SELECT ${item}, now() - interval '1 minute', now() + interval '1 hour', seed, encode(sha256(seed), 'hex') FROM s`);
  return item;
}
