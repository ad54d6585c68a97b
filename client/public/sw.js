// Pairpad service worker: keeps the app shell (index.html + hashed assets, including the
// automerge wasm) so a room this browser has seen can be reloaded and edited while the
// server is unreachable; the document itself comes from IndexedDB and syncs on reconnect.
// API calls and the WebSocket are never touched.
const CACHE = "pairpad-shell-v1"
const SHELL = "/index.html"

self.addEventListener("install", () => self.skipWaiting())

self.addEventListener("activate", event => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key)
      await self.clients.claim()
    })(),
  )
})

// The page lists the assets it loaded; cache them (the first load happens before we control it).
self.addEventListener("message", event => {
  const data = event.data
  if (!data || data.type !== "precache" || !Array.isArray(data.urls)) return
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE)
      const urls = data.urls.filter(u => typeof u === "string" && new URL(u, self.location.origin).origin === self.location.origin)
      await Promise.all([SHELL, ...urls].map(u => cache.add(u).catch(() => undefined)))
      event.source?.postMessage({ type: "precached", count: urls.length })
    })(),
  )
})

self.addEventListener("fetch", event => {
  const req = event.request
  if (req.method !== "GET") return
  const url = new URL(req.url)
  if (url.origin !== self.location.origin) return
  if (url.pathname.startsWith("/ws/") || url.pathname.startsWith("/rooms") || url.pathname.startsWith("/autocomplete")) return

  if (req.mode === "navigate") {
    // Network first, so a new deploy is picked up at once; the cached shell when offline.
    event.respondWith(
      fetch(req)
        .then(res => {
          if (res.ok && (res.headers.get("content-type") || "").includes("text/html")) {
            const copy = res.clone()
            caches.open(CACHE).then(c => c.put(SHELL, copy))
          }
          return res
        })
        .catch(async () => (await caches.match(SHELL)) || Response.error()),
    )
    return
  }
  if (url.pathname.startsWith("/assets/")) {
    // Hashed file names never change: cache first.
    event.respondWith(
      caches.match(req).then(
        hit =>
          hit ||
          fetch(req).then(res => {
            if (res.ok) {
              const copy = res.clone()
              caches.open(CACHE).then(c => c.put(req, copy))
            }
            return res
          }),
      ),
    )
  }
})
