/* The portal's service worker. It keeps only what is safe on a shared phone:
   - the fingerprinted static files (CSS, scripts, icons), cache first;
   - the public offline page, shown when a page cannot load;
   - the widget (/widget): the one signed-in page kept, so the home-screen widget reads
     offline with its last figures and the time they were taken (printed in the page).
     It is dropped when a request for it ends anywhere but on the widget (signed out) and
     at sign-out (the server's Clear-Site-Data).
   No other page is ever put in the cache: every other navigation goes to the network. */
const STATIC = "static-v1";
const PAGES = "pages-v1";
const OFFLINE = "/offline";
const WIDGET = "/widget";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(PAGES).then((cache) => cache.add(OFFLINE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((key) => key !== STATIC && key !== PAGES).map((key) => caches.delete(key))
  )).then(() => self.clients.claim()));
});

function widget(request) {
  return fetch(request).then((response) => {
    caches.open(PAGES).then((cache) => {
      const path = new URL(response.url).pathname;
      if (response.ok && !response.redirected && path === WIDGET) {
        cache.put(WIDGET, response.clone());
      } else {
        cache.delete(WIDGET);
      }
    });
    return response;
  }, () => caches.match(WIDGET).then((kept) => kept || caches.match(OFFLINE)));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    if (url.pathname === WIDGET) {
      event.respondWith(widget(request));
    } else {
      event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
    }
  } else if (url.pathname.startsWith("/static/") && url.searchParams.has("v")) {
    event.respondWith(caches.open(STATIC).then((cache) => cache.match(request).then(
      (kept) => kept || fetch(request).then((response) => {
        if (response.ok) {
          cache.put(request, response.clone());
        }
        return response;
      }))));
  }
});
