// Initialise NHS.UK components on load and on every htmx swap (a module: no inline script, strict CSP).
import { initAll } from './vendor/nhsuk/nhsuk-frontend.min.js'

initAll()
if (window.htmx) {
  // initAll looks for components inside its scope, never at the scope itself, so a component at the top of a
  // swap (the error summary of a barrier check section) is started from its parent; components already
  // started there refuse a second start (InitError), which is expected and not worth a console message.
  const quietAboutRestarts = (error) => { if (error?.name !== 'InitError') console.error(error) }
  window.htmx.onLoad((el) => {
    if (el === document.body) return
    const scope = el.matches?.('[data-module]') && el.parentElement ? el.parentElement : el
    initAll({ scope, onError: quietAboutRestarts })
  })
}

// Intake: an organisation chosen from the ODS search fills in the referrer's ODS code and organisation name.
document.addEventListener('click', (event) => {
  const chosen = event.target.closest('[data-ods-code]')
  if (!chosen) return
  document.getElementById('referrer_ods_code').value = chosen.dataset.odsCode
  const name = document.getElementById('referrer_organisation')
  name.value = chosen.dataset.odsName
  name.focus()
})
