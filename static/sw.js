/* The portal's service worker. It keeps only what is safe on a shared phone:
   - the fingerprinted static files (CSS, scripts, icons), cache first;
   - the public offline page, shown when a page cannot load;
   - the widget (/widget): the one signed-in page kept, so the home-screen widget reads
     offline with its last figures and the time they were taken (printed in the page).
     It is dropped when a request for it ends anywhere but on the widget (signed out), when
     the sign-out form is sent, and by the sign-out's Clear-Site-Data where honoured.
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

function widget(event) {
  return fetch(event.request).then((response) => {
    // A sign-in page (a redirect) in its place means signed out: the kept one goes.
    const own = response.type === "basic" && response.ok && !response.redirected
      && new URL(response.url).pathname === WIDGET;
    const copy = own ? response.clone() : null;
    event.waitUntil(caches.open(PAGES).then((cache) => own ? cache.put(WIDGET, copy) : cache.delete(WIDGET)));
    return response;
  }, () => caches.match(WIDGET).then((kept) => kept || caches.match(OFFLINE)));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method !== "GET") {
    if (url.pathname === "/logout") {  // signing out: the kept widget goes at once
      event.waitUntil(caches.open(PAGES).then((cache) => cache.delete(WIDGET)));
    }
    return;
  }
  if (request.mode === "navigate") {
    if (url.pathname === WIDGET) {
      event.respondWith(widget(event));
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
