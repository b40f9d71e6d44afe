"""The only reader of HX-* headers: decides between a whole page and a fragment."""
from flask import render_template, request


def is_fragment_request() -> bool:
    """True for htmx swaps; a history restore needs the whole page, so it is not one."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def render(page_template: str, fragment_template: str, **context):
    """Render the page, or just its fragment for htmx; caches must keep the two apart."""
    body = render_template(fragment_template if is_fragment_request() else page_template, **context)
    return body, 200, {"Vary": "HX-Request"}
