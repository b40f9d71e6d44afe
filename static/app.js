// Initialise NHS.UK components on load and on every htmx swap (a module: no inline script, strict CSP).
import { initAll } from './vendor/nhsuk/nhsuk-frontend.min.js'

initAll()
if (window.htmx) {
  window.htmx.onLoad((el) => { if (el !== document.body) initAll(el) })
}
