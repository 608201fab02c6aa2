// Service worker for the kiosk: keeps the shell (page, CSS, JS, icons) and the last
// survey config in a cache so a reload or power cycle without network still shows a
// working kiosk. __VERSION__ and __ASSETS__ are filled in by the server (/kiosk/sw.js).

const VERSION = "__VERSION__";
const CACHE = `kiosk-${VERSION}`;
const ASSETS = "__ASSETS__";
const CONFIG_PATH = "/api/v1/kiosk/config";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("kiosk-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// Network first, cache as fallback: fresh when online, working when not.
async function networkFirst(request, cacheKey) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(cacheKey || request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(cacheKey || request, { ignoreVary: true });
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  return cached || networkFirst(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // responses and heartbeats go straight to the network
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === "/kiosk" || url.pathname === "/kiosk/manifest.webmanifest") {
    event.respondWith(networkFirst(request, url.pathname));
  } else if (url.pathname === CONFIG_PATH) {
    // A 304 passes through (the page keeps its copy); offline, the cached 200 answers.
    event.respondWith(networkFirst(request, CONFIG_PATH));
  } else if (url.pathname.startsWith("/static/kiosk/")) {
    event.respondWith(cacheFirst(request));
  }
});
