// The outreach minimum record page on a phone or tablet, with or without signal: a completed record is kept on the
// device, encrypted, and sent when there is a signal (on load, when the network returns, every minute while any
// wait, and on "Send now"); the page tells how many wait and in what state, and says when unsent ones were wiped.
import * as queue from './device_queue.js'
import { answers, clearProblems, fill, problems, showProblems } from './record_form.js'
import { sendWaiting } from './sender.js'

const RETRY_MS = 60 * 1000
const page = document.getElementById('outreach-device')
const form = document.getElementById('record-form')
const summaryHolder = document.getElementById('device-errors')
const settings = {
  sessionId: Number(page.dataset.sessionId),
  userId: Number(page.dataset.userId),
  hours: Number(page.dataset.deviceHours),
  sendTo: page.dataset.recordsUrl,
  tokenUrl: page.dataset.tokenUrl,
}
const el = (id) => document.getElementById(id)
// the kept record being corrected, if any: saving replaces it, under the same key
let correcting = null
let lastSend = { state: 'sent' }
let sending = false

function plural (n, one, many) {
  return `${n} ${n === 1 ? one : many}`
}

function seenAtText (iso) {
  const seen = new Date(iso)
  const time = seen.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
  return seen.toDateString() === new Date().toDateString()
    ? `seen at ${time}` : `seen ${seen.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} at ${time}`
}

function tag (text, colour) {
  const made = document.createElement('strong')
  made.className = `nhsuk-tag nhsuk-tag--${colour}`
  made.textContent = text
  return made
}

async function listItem (row) {
  const body = await queue.open(row)
  const item = document.createElement('li')
  const line = document.createElement('p')
  line.className = 'nhsuk-u-margin-bottom-1'
  const who = document.createElement('strong')
  who.textContent = body.given_name
  const state = row.state === 'refused' ? tag('Not accepted', 'red') : tag(sending ? 'Sending' : 'Waiting to send', 'grey')
  line.append(who, `, ${seenAtText(body.seen_at)} `, state)
  item.append(line)
  if (row.state === 'refused') {
    const list = document.createElement('ul')
    list.className = 'nhsuk-list nhsuk-list--bullet nhsuk-u-margin-bottom-2'
    for (const message of Object.values(row.problems ?? {})) {
      const point = document.createElement('li')
      point.textContent = message
      list.append(point)
    }
    const correct = document.createElement('button')
    correct.type = 'button'
    correct.className = 'nhsuk-button nhsuk-button--secondary nhsuk-button--small'
    correct.dataset.correct = row.clientKey
    correct.append('Correct this record')
    const forWhom = document.createElement('span')
    forWhom.className = 'nhsuk-u-visually-hidden'
    forWhom.textContent = ` for ${body.given_name}`
    correct.append(forWhom)
    item.append(list, correct)
  }
  return item
}

const CONNECTION = {
  offline: 'No signal: records stay on this device and are sent when the signal returns.',
  failed: 'The service could not take the records just now. They stay on this device; they are sent again shortly.',
}

// a live region announces a change: setting the same words again every minute would repeat them
function say (region, text) {
  if (region.textContent !== text) region.textContent = text
}

async function show () {
  const rows = await queue.waiting()
  const mine = rows.filter((row) => row.userId === settings.userId)
  const others = rows.length - mine.length
  const waiting = mine.filter((row) => row.state === 'waiting').length
  const refused = mine.length - waiting
  let count = waiting ? `${plural(waiting, 'record', 'records')} waiting to send` : 'No records waiting to send'
  if (refused) count += `; ${plural(refused, 'record needs', 'records need')} correcting`
  if (others) count += `. ${plural(others, 'record', 'records')} saved by someone else on this device wait for them to sign in`
  say(el('queue-count'), `${count}.`)
  say(el('queue-connection'), waiting ? (CONNECTION[lastSend.state] ?? '') : '')
  el('queue-sign-in').hidden = !(waiting && lastSend.state === 'signed_out')
  el('queue-list').replaceChildren(...await Promise.all(mine.map(listItem)))
  const wiped = await queue.wipedCount()
  el('queue-wiped').hidden = !wiped
  el('queue-wiped-text').textContent = wiped
    ? `${plural(wiped, 'unsent record was', 'unsent records were')} wiped from this device after ${settings.hours} hours without being sent. The service does not have ${wiped === 1 ? 'it' : 'them'}: record ${wiped === 1 ? 'it' : 'them'} again if you can.`
    : ''
}

async function send () {
  await queue.wipeExpired(settings.hours)
  sending = true
  await show()
  try {
    const result = await sendWaiting(settings.tokenUrl, () => show())
    if (result.state !== 'busy') lastSend = result
  } finally {
    sending = false
    await show()
  }
}

function said (text) {
  clearProblems(form, summaryHolder)
  el('record-saved-text').textContent = text
  el('record-saved').hidden = false
  el('record-saved').focus()
}

function stopCorrecting () {
  correcting = null
  form.reset()
  el('save-record').textContent = 'Save record'
  el('cancel-correcting').hidden = true
}

async function save (event) {
  event.preventDefault()
  el('record-saved').hidden = true
  const kept = correcting ? await queue.open(correcting) : null
  const seenAt = kept ? new Date(kept.seen_at) : new Date()
  const body = { ...answers(form), client_key: kept?.client_key ?? crypto.randomUUID(), seen_at: seenAt.toISOString() }
  const found = problems(body, seenAt)
  if (Object.keys(found).length) {
    showProblems(form, summaryHolder, found)
    return
  }
  el('save-record').disabled = true
  try {
    navigator.storage?.persist?.() // ask the browser not to evict the queue under storage pressure
    await queue.keep(body, { sessionId: settings.sessionId, userId: settings.userId, sendTo: correcting?.sendTo ?? settings.sendTo,
      savedAt: correcting?.savedAt ?? Date.now() })
    stopCorrecting()
    said(`The record for ${body.given_name} is kept on this device until it is sent.`)
  } finally {
    el('save-record').disabled = false
  }
  await send()
}

async function correct (clientKey) {
  const row = (await queue.waiting()).find((candidate) => candidate.clientKey === clientKey)
  if (!row) return
  correcting = row
  fill(form, await queue.open(row))
  el('save-record').textContent = 'Save corrected record'
  el('cancel-correcting').hidden = false
  el('record-saved').hidden = true
  showProblems(form, summaryHolder, row.problems ?? {})
}

// The worker keeps this page for use without signal; it says when the page is kept (the first visit loaded it
// before the worker could see it, so the worker fetches it once more).
function keepThisPage () {
  if (!('serviceWorker' in navigator)) return
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.kept === location.pathname) page.dataset.offlineReady = 'yes'
  })
  navigator.serviceWorker.register(page.dataset.workerUrl)
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => registration.active.postMessage({ keep: location.pathname }))
    .catch(() => {}) // no worker (a private window, say): the page still keeps and sends records while it is open
}

form.addEventListener('submit', save)
el('send-now').addEventListener('click', send)
el('cancel-correcting').addEventListener('click', () => { stopCorrecting(); clearProblems(form, summaryHolder) })
el('queue-wiped-dismiss').addEventListener('click', async () => { await queue.wipedNoticeRead(); await show() })
el('queue-list').addEventListener('click', (event) => {
  const button = event.target.closest('[data-correct]')
  if (button) correct(button.dataset.correct)
})
window.addEventListener('online', send)
setInterval(async () => {
  if ((await queue.waiting()).some((row) => row.state === 'waiting')) send()
}, RETRY_MS)
keepThisPage()
send()
