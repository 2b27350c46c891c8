// Rewards Bazaar's service worker, registered for `/account` only (the bazaar never waits for
// it to start). It keeps one page: the member card (`/account?step=card`),
// with the style sheet and icons it uses, so a member can show their card at a till with no
// signal. Network first: online, the member always gets today's page, and each visit refreshes
// the copy. Every other request goes to the network as if there were no worker. Signing out
// clears the copy (`Clear-Site-Data: "storage"`), so the next person on the phone cannot open
// it. Nothing is fetched when the worker installs: it installs as the bazaar's bundle starts,
// and a crowd opening a drop must not each ask for a card page too.
const CACHE = 'bazaar-card-v1';
const CARD = '/account?step=card';

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const card = request.mode === 'navigate' && url.pathname === '/account' && url.searchParams.get('step') === 'card';
  const style = url.pathname.startsWith('/pkg/') && url.pathname.endsWith('.css');
  const icon = url.pathname.startsWith('/icons/') || url.pathname === '/favicon.svg';
  if (!card && !style && !icon) return;
  const key = card ? CARD : request;
  event.respondWith(
    fetch(request)
      .then((response) => {
        // Only the card as its member sees it: not a sign-in prompt, not an error.
        if (response.ok && !response.redirected) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(key, copy)));
        }
        return response;
      })
      .catch(() => caches.match(key).then((kept) => kept || Response.error())),
  );
});
