// The outreach records waiting on this device for a signal, in IndexedDB. Each record is encrypted (AES-GCM) with a
// key the browser generated as non-extractable: only the CryptoKey object is stored, which no script can export, so
// the key never leaves the device in readable form. A record is removed once the server has it, and wiped when it
// has waited longer than the service allows; with no record left the key itself is deleted, so nothing stored
// before can be read again.
const DB_NAME = 'inclusive-access-outreach'
const KEY_NAME = 'queue'
// held while the key is made or deleted and while a record is sealed and stored with it (all tabs share the lock)
const QUEUE_LOCK = 'inclusive-access-outreach-queue'
const HOUR_MS = 60 * 60 * 1000

function settled (request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

function openDatabase () {
  const opening = indexedDB.open(DB_NAME, 1)
  opening.onupgradeneeded = () => {
    const db = opening.result
    db.createObjectStore('keys', { keyPath: 'name' })
    db.createObjectStore('records', { keyPath: 'clientKey' })
    db.createObjectStore('notices', { keyPath: 'name' })
  }
  return settled(opening)
}

// One transaction on one store: `work` issues its requests at once (nothing slower, or the transaction ends).
async function inStore (name, mode, work) {
  const db = await openDatabase()
  try {
    const transaction = db.transaction(name, mode)
    const done = new Promise((resolve, reject) => {
      transaction.oncomplete = resolve
      transaction.onabort = transaction.onerror = () => reject(transaction.error)
    })
    const result = await work(transaction.objectStore(name))
    await done
    return result
  } finally {
    db.close()
  }
}

const read = (name, key) => inStore(name, 'readonly', (store) => settled(store.get(key)))
const write = (name, value) => inStore(name, 'readwrite', (store) => settled(store.put(value)))
const remove = (name, key) => inStore(name, 'readwrite', (store) => settled(store.delete(key)))

async function queueKey () {
  const stored = await read('keys', KEY_NAME)
  if (stored) return stored.key
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
  await write('keys', { name: KEY_NAME, key })
  return key
}

// What the record is bound to besides its content: opened with another key, session or user, it does not decrypt.
function boundTo (row) {
  return new TextEncoder().encode(JSON.stringify([row.clientKey, row.sessionId, row.userId, row.sendTo]))
}

async function forgetKeyIfEmpty () {
  await navigator.locks.request(QUEUE_LOCK, async () => {
    const left = await inStore('records', 'readonly', (store) => settled(store.count()))
    if (left === 0) await remove('keys', KEY_NAME)
  })
}

/** Keep `body` (the record as the server takes it) until it is sent: a new record, or a corrected one (same key). */
export async function keep (body, { sessionId, userId, sendTo, savedAt = Date.now() }) {
  const row = { clientKey: body.client_key, sessionId, userId, sendTo, savedAt, state: 'waiting', problems: null }
  await navigator.locks.request(QUEUE_LOCK, async () => {
    const key = await queueKey()
    const iv = crypto.getRandomValues(new Uint8Array(12))
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: boundTo(row) }, key,
      new TextEncoder().encode(JSON.stringify(body)))
    await write('records', { ...row, iv, sealed })
  })
}

/** Every record on the device, oldest first, still sealed: what the page may show without opening them. */
export async function waiting () {
  const rows = await inStore('records', 'readonly', (store) => settled(store.getAll()))
  return rows.sort((a, b) => a.savedAt - b.savedAt)
}

/** The record as it was kept. */
export async function open (row) {
  const stored = await read('keys', KEY_NAME)
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: row.iv, additionalData: boundTo(row) },
    stored.key, row.sealed)
  return JSON.parse(new TextDecoder().decode(plain))
}

/** The server has the record (or it was wiped): remove it from the device. */
export async function forget (clientKey) {
  await remove('records', clientKey)
  await forgetKeyIfEmpty()
}

/** The server refused the record: it stays, with what to correct. */
export async function refused (clientKey, problems) {
  await inStore('records', 'readwrite', async (store) => {
    const row = await settled(store.get(clientKey))
    if (row) await settled(store.put({ ...row, state: 'refused', problems }))
  })
}

/** Wipe the records kept longer than `hours`, unsent; the page says how many until the user has read it. */
export async function wipeExpired (hours, now = Date.now()) {
  const expired = (await waiting()).filter((row) => now - row.savedAt > hours * HOUR_MS)
  if (!expired.length) return 0
  await inStore('records', 'readwrite', (store) => Promise.all(expired.map((row) => settled(store.delete(row.clientKey)))))
  const notice = await read('notices', 'wiped')
  await write('notices', { name: 'wiped', count: (notice?.count ?? 0) + expired.length, at: now })
  await forgetKeyIfEmpty()
  return expired.length
}

/** How many unsent records were wiped since the user last read the notice (0: none). */
export async function wipedCount () {
  return (await read('notices', 'wiped'))?.count ?? 0
}

export async function wipedNoticeRead () {
  await remove('notices', 'wiped')
}
