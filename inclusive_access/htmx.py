"""The only reader of HX-* headers: decides between a whole page and a fragment."""
from datetime import datetime

from flask import render_template, request
from flask_login import current_user

from inclusive_access.domain.worklists import WorklistPage

#: the query parameter by which a worklist's minute refresh names the answer it shows (its fingerprint)
SEEN = "seen"


def is_fragment_request() -> bool:
    """True for htmx swaps; a history restore needs the whole page, so it is not one."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def render(page_template: str, fragment_template: str, **context):
    """Render the page, or just its fragment for htmx; caches must keep the two apart."""
    body = render_template(fragment_template if is_fragment_request() else page_template, **context)
    return body, 200, {"Vary": "HX-Request"}


def render_worklist(page_template: str, fragment_template: str, worklist: WorklistPage, now: datetime, **context):
    """A worklist as `render` does, its fragment carrying its fingerprint (components/worklist.html); a refresh
    that names the fingerprint the answer would have now gets 204 No Content, which htmx 2 does not swap, so an
    unchanged list costs no rendering and no bytes. Nothing is cached anywhere: the answer is still no-store."""
    query = {name: value for name, value in request.args.items() if name != SEEN}
    # the refresh sends every filter, blank ones too, and the page the fingerprint holds already
    filters = sorted((name, value) for name, value in query.items() if value and name != "page")
    seen = worklist.fingerprint(now, current_user.id, current_user.role, request.path, filters)
    if is_fragment_request() and request.args.get(SEEN) == seen:
        return "", 204, {"Vary": "HX-Request"}
    return render(page_template, fragment_template, worklist=worklist, query=query, seen=seen, **context)
