// Sending the records waiting on this device. A record is removed only on the server's answer that it has it: 201
// (stored now) or 200 (stored by an earlier send whose answer was lost). The server stores a record once per key,
// so a send cut off half-way is simply sent again. A refusal (422) keeps the record with what to correct.
import * as queue from './device_queue.js'

// one send at a time across the device's tabs: two would both post a record before either removed it
const SEND_LOCK = 'inclusive-access-outreach-send'

// The page may have been opened from the device's cache hours ago, and the sign-in changed since: a token made now
// for whoever is signed in now, or why there is none.
async function signedIn (tokenUrl) {
  let response
  try {
    response = await fetch(tokenUrl, { credentials: 'same-origin', redirect: 'manual', cache: 'no-store',
      headers: { Accept: 'application/json' } })
  } catch {
    return { state: 'offline' }
  }
  if (response.type === 'opaqueredirect' || response.status === 401 || response.status === 403) {
    return { state: 'signed_out' }
  }
  if (!response.ok) return { state: 'failed' }
  return { state: 'ready', ...(await response.json()) }
}

async function post (row, token) {
  const body = JSON.stringify(await queue.open(row))
  try {
    return await fetch(row.sendTo, { method: 'POST', credentials: 'same-origin', redirect: 'manual', cache: 'no-store',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': token }, body })
  } catch {
    return null // no signal, or the connection dropped: the server may have the record, which the next send finds
  }
}

async function problemsIn (response) {
  if (response.status === 404) return { session: 'This session is no longer on the system: ask the service manager' }
  const answer = await response.json().catch(() => ({}))
  return answer.errors ?? { record: 'The service could not accept this record' }
}

/**
 * Send the signed-in user's waiting records, oldest first; `changed()` after each is removed or refused.
 * Resolves to the state the page tells: 'sent' (nothing of theirs left waiting), 'offline', 'signed_out', 'failed'
 * (the service answered with an error: later), or 'busy' (another tab is sending).
 */
export function sendWaiting (tokenUrl, changed) {
  return navigator.locks.request(SEND_LOCK, { ifAvailable: true }, async (lock) => {
    if (!lock) return { state: 'busy' }
    if (!(await queue.waiting()).some((row) => row.state === 'waiting')) return { state: 'sent' }
    const user = await signedIn(tokenUrl)
    if (user.state !== 'ready') return user
    const mine = (await queue.waiting()).filter((row) => row.state === 'waiting' && row.userId === user.user)
    for (const row of mine) {
      const response = await post(row, user.token)
      if (response === null) return { state: 'offline' }
      if (response.type === 'opaqueredirect' || response.status === 401) return { state: 'signed_out' }
      if (response.status === 201 || response.status === 200) {
        await queue.forget(row.clientKey)
      } else if ([403, 404, 422].includes(response.status)) {
        await queue.refused(row.clientKey, await problemsIn(response))
      } else {
        return { state: 'failed' } // a stale token (400), a lost race (409), the service down (5xx): try again later
      }
      changed()
    }
    return { state: 'sent', user: user.user }
  })
}
