// The outreach pages' service worker (served at /outreach/service-worker, so its scope is /outreach/): it keeps the
// minimum record page and what the page loads, so the page opens on a phone with no signal. The network is asked
// first, so with a signal the page is the server's current one (and the kept copy is refreshed); the kept copy
// answers when the network fails, or is too slow to wait for. It keeps no record of anyone: those wait, encrypted,
// in the page's own storage (device_queue.js). Posts and every other request pass straight to the network.
const CACHE = 'inclusive-access-outreach-1'
const ASSETS = [
  '/static/vendor/nhsuk/nhsuk-frontend.min.css',
  '/static/vendor/nhsuk/nhsuk-frontend.min.js',
  '/static/vendor/htmx/htmx.min.js',
  '/static/app.css',
  '/static/app.js',
  '/static/outreach/record.js',
  '/static/outreach/record_form.js',
  '/static/outreach/sender.js',
  '/static/outreach/device_queue.js',
  '/static/outreach/manifest.webmanifest',
  '/assets/images/favicon.ico',
  '/assets/images/favicon.svg',
  '/assets/images/nhsuk-icon-180.png',
  '/assets/images/nhsuk-icon-192.png',
  '/assets/images/nhsuk-icon-512.png',
]
const PAGE = /^\/outreach\/sessions\/\d+\/record$/
// a weak signal at a venue: wait this long for the network before opening the kept copy
const NETWORK_WAIT_MS = 4000

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()))
})

async function keepIfGood (cache, key, response) {
  if (response.ok && response.type === 'basic' && !response.redirected) await cache.put(key, response.clone())
  return response
}

function networkFirst (event, key) {
  const refreshed = caches.open(CACHE)
    .then((cache) => fetch(event.request).then((response) => keepIfGood(cache, key, response)))
  event.waitUntil(refreshed.catch(() => null)) // the kept copy is refreshed even after it answered
  return caches.match(key).then((kept) => {
    if (!kept) return refreshed
    const wait = new Promise((resolve) => setTimeout(() => resolve(kept), NETWORK_WAIT_MS))
    return Promise.race([refreshed.catch(() => kept), wait])
  })
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url)
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return
  const isPage = event.request.mode === 'navigate' && PAGE.test(url.pathname)
  if (isPage || ASSETS.includes(url.pathname)) event.respondWith(networkFirst(event, url.pathname))
})

// The page that registered the worker loaded before the worker could see it: keep it now, then tell the page.
self.addEventListener('message', (event) => {
  const path = event.data?.keep
  if (typeof path !== 'string' || !PAGE.test(path)) return
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE)
    if (!(await cache.match(path))) {
      await fetch(path, { credentials: 'same-origin' }).then((response) => keepIfGood(cache, path, response),
        () => null) // no signal: nothing to keep yet
    }
    if (await cache.match(path)) event.source.postMessage({ kept: path })
  })())
})
