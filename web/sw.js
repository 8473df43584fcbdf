// Service worker: keeps the whole site available offline after one visit.
//
// On install it caches every file listed in manifest.json (the build writes the list, with
// sizes and hashes); afterwards it answers same-origin GET requests from that cache first, so a
// second visit starts without the network and a reload with the network off still works.
// The build writes the site's version into VERSION below, so a new build installs a new worker
// that caches the new files and, once active, deletes the old cache.
"use strict";

const VERSION = "__SITE_VERSION__";
const CACHE = `pycore-site-${VERSION}`;
const scopeURL = new URL(self.registration.scope);

function key(url) {
  const u = new URL(url, scopeURL);
  u.search = "";
  u.hash = "";
  return u.href;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const response = await fetch(new URL("manifest.json", scopeURL), { cache: "no-cache" });
      if (!response.ok) throw new Error(`manifest.json: HTTP ${response.status}`);
      const manifest = await response.clone().json();
      const cache = await caches.open(CACHE);
      const urls = manifest.files.map((f) => new URL(f.path, scopeURL).href);
      urls.push(scopeURL.href); // "/" is how the page is usually opened
      await cache.addAll(urls);
      await cache.put(new URL("manifest.json", scopeURL).href, response);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("pycore-site-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !request.url.startsWith(scopeURL.origin)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const cached = await cache.match(key(request.url));
      if (cached) return cached;
      if (request.mode === "navigate") {
        // Any page URL inside the site is the single page; its views live in the hash.
        try {
          return await fetch(request);
        } catch (err) {
          const page = await cache.match(scopeURL.href);
          if (page) return page;
          throw err;
        }
      }
      return fetch(request);
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "version") event.source?.postMessage({ type: "version", version: VERSION });
});
