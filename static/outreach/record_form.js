// The minimum record form: its answers as the server takes them, the checks the device can make without signal
// (in the server's words, which check everything again), and the NHS.UK error summary and field messages.
import { ErrorSummary } from '../vendor/nhsuk/nhsuk-frontend.min.js'

const TEXT = ['given_name', 'family_name', 'approximate_age', 'date_of_birth', 'nhs_number', 'postcode',
  'presenting_need', 'safeguarding_detail', 'action_agreed', 'follow_up_on', 'follow_up_plan']
const CHOSEN = ['consent_to_share', 'exploitation_risk', 'self_neglect_risk']
const LISTS = ['shared_with_partner_ids', 'flags']
// the order of the fields on the page, which the error summary follows
const ORDER = ['given_name', 'name_is_alias', 'family_name', 'approximate_age', 'date_of_birth', 'nhs_number',
  'postcode', 'consent_to_share', 'shared_with_partner_ids', 'presenting_need', 'exploitation_risk',
  'self_neglect_risk', 'safeguarding_detail', 'flags', 'action_agreed', 'follow_up_on', 'follow_up_plan']
// the server's postcode rule (domain/validation.py), spaces removed first
const POSTCODE = /^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$/

/** The answers, as the server takes them: text as strings, partners and flags as lists. */
export function answers (form) {
  const data = new FormData(form)
  const body = {}
  for (const name of TEXT) body[name] = String(data.get(name) ?? '').trim()
  for (const name of CHOSEN) body[name] = String(data.get(name) ?? '')
  for (const name of LISTS) body[name] = data.getAll(name).map(String)
  body.name_is_alias = data.get('name_is_alias') === 'yes' ? 'yes' : 'no'
  return body
}

/** Put a kept record back in the form, to correct it. */
export function fill (form, body) {
  form.reset()
  for (const name of TEXT) form.elements.namedItem(name).value = body[name] ?? ''
  for (const input of form.querySelectorAll('input[type=radio], input[type=checkbox]')) {
    const value = body[input.name]
    input.checked = Array.isArray(value) ? value.includes(input.value) : value === input.value
  }
}

function localDate (when) {
  const pad = (n) => String(n).padStart(2, '0')
  return `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}`
}

function validNhsNumber (digits) {
  const total = [...digits.slice(0, 9)].reduce((sum, digit, i) => sum + Number(digit) * (10 - i), 0)
  const check = 11 - (total % 11)
  return check !== 10 && (check === 11 ? 0 : check) === Number(digits[9])
}

/** What the device can tell is wrong, field -> message, in the server's words; {} when nothing. */
export function problems (body, seenAt) {
  const found = {}
  const seenOn = localDate(seenAt)
  if (!body.given_name) found.given_name = 'Enter a name or the name they want to be called'
  if (body.approximate_age && !(/^\d+$/.test(body.approximate_age) && Number(body.approximate_age) <= 120)) {
    found.approximate_age = 'The approximate age must be a whole number from 0 to 120'
  }
  if (body.date_of_birth && body.date_of_birth > seenOn) {
    found.date_of_birth = 'The date of birth must be today or in the past'
  }
  const nhsNumber = body.nhs_number.replace(/[\s-]/g, '')
  if (nhsNumber && !/^\d{10}$/.test(nhsNumber)) {
    found.nhs_number = 'NHS number must be 10 digits'
  } else if (nhsNumber && !validNhsNumber(nhsNumber)) {
    found.nhs_number = 'Enter a valid NHS number (the check digit does not match)'
  }
  const postcode = body.postcode.toUpperCase().replace(/\s+/g, '')
  if (postcode && !POSTCODE.test(postcode)) found.postcode = 'Enter a full UK postcode, like LS1 4AP'
  if (!body.consent_to_share) {
    found.consent_to_share = 'Select yes or no for whether they agree to information being shared'
  } else if (body.consent_to_share === 'no' && body.shared_with_partner_ids.length) {
    found.shared_with_partner_ids = "Nothing may be shared without the person's agreement"
  }
  if (!body.presenting_need) found.presenting_need = 'Enter the presenting need'
  if (!body.exploitation_risk) found.exploitation_risk = 'Select an answer for risk of exploitation'
  if (!body.self_neglect_risk) found.self_neglect_risk = 'Select an answer for risk of self-neglect'
  if ([body.exploitation_risk, body.self_neglect_risk].includes('yes') && !body.safeguarding_detail) {
    found.safeguarding_detail = 'Enter what the safeguarding worry is'
  }
  if (!body.action_agreed) found.action_agreed = 'Enter the action agreed'
  if (body.follow_up_on && body.follow_up_on < seenOn) {
    found.follow_up_on = 'The follow-up date must be on or after the day the person was seen'
  }
  if (body.follow_up_on && !body.follow_up_plan) found.follow_up_plan = 'Enter the follow-up planned'
  return found
}

function element (tag, className, text) {
  const made = document.createElement(tag)
  if (className) made.className = className
  if (text !== undefined) made.textContent = text
  return made
}

/** Remove every message the form shows. */
export function clearProblems (form, summaryHolder) {
  summaryHolder.replaceChildren()
  document.title = document.title.replace(/^Error: /, '')
  for (const message of form.querySelectorAll('.app-device-error')) message.remove()
  for (const group of form.querySelectorAll('.nhsuk-form-group--error')) group.classList.remove('nhsuk-form-group--error')
  for (const field of form.querySelectorAll('.nhsuk-input--error, .nhsuk-textarea--error')) {
    field.classList.remove('nhsuk-input--error', 'nhsuk-textarea--error')
  }
  for (const described of form.querySelectorAll('[aria-describedby]')) {
    const kept = described.getAttribute('aria-describedby').split(' ').filter((id) => !id.endsWith('-error'))
    if (kept.length) described.setAttribute('aria-describedby', kept.join(' '))
    else described.removeAttribute('aria-describedby')
  }
}

function describe (target, id) {
  const ids = (target.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean)
  target.setAttribute('aria-describedby', [...ids, id].join(' '))
}

// The message beside its field, as the NHS.UK macros render one: after the label and hint, before the control.
function showBeside (form, name, text) {
  const field = form.querySelector(`#${name}`)
  const group = field?.closest('.nhsuk-form-group')
  if (!group) return false
  const message = element('span', 'nhsuk-error-message app-device-error')
  message.id = `${name}-error`
  message.append(element('span', 'nhsuk-u-visually-hidden', 'Error: '), text)
  const fieldset = group.querySelector('fieldset')
  const control = fieldset ? fieldset.querySelector('.nhsuk-radios, .nhsuk-checkboxes') : field
  control.before(message)
  group.classList.add('nhsuk-form-group--error')
  if (field.classList.contains('nhsuk-input')) field.classList.add('nhsuk-input--error')
  if (field.classList.contains('nhsuk-textarea')) field.classList.add('nhsuk-textarea--error')
  describe(fieldset ?? field, message.id)
  return true
}

/** The error summary (which takes focus) and each message beside its field; a message with no field on the page
 * (the time seen, the record's key) is in the summary alone. */
export function showProblems (form, summaryHolder, found) {
  clearProblems(form, summaryHolder)
  const names = Object.keys(found).sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99))
  const list = element('ul', 'nhsuk-list nhsuk-error-summary__list')
  for (const name of names) {
    const item = element('li')
    if (showBeside(form, name, found[name])) {
      const link = element('a', null, found[name])
      link.href = `#${name}`
      item.append(link)
    } else {
      item.textContent = found[name]
    }
    list.append(item)
  }
  const summary = element('div', 'nhsuk-error-summary')
  summary.dataset.module = 'nhsuk-error-summary'
  const alert = element('div')
  alert.setAttribute('role', 'alert')
  const body = element('div', 'nhsuk-error-summary__body')
  body.append(list)
  alert.append(element('h2', 'nhsuk-error-summary__heading', 'There is a problem'), body)
  summary.append(alert)
  summaryHolder.append(summary)
  document.title = `Error: ${document.title}` // as a page shown again with its errors is titled
  new ErrorSummary(summary) // eslint-disable-line no-new -- it focuses the summary and links each item to its field
}
