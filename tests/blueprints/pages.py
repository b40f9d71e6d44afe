"""Helpers for route tests that read pages: a page's text, heading and banner, a form shown again with its
problems, a redirect after a save and the conflict page after a stale one, form field names, signing in.
tests/blueprints/records.py makes the records the pages act on and reads what is stored."""
import html
import re

from tests.conftest import PASSWORD, post_form


def broken_summary_links(body: str) -> list[str]:
    """The error summary's links whose target is not on the page (the hidden version field aside: only tampering
    gets it wrong)."""
    summary = re.search(r'nhsuk-error-summary__list.*?</ul>', body, re.S)
    assert summary, "no error summary"
    return [t for t in re.findall(r'href="#([^"]+)"', summary.group(0)) if t != "version" and f'id="{t}"' not in body]


def page_text(response) -> str:
    """A response's body as text, with HTML entities read as the characters they stand for."""
    return html.unescape(response.get_data(as_text=True))


#: text for screen readers alone
VISUALLY_HIDDEN = re.compile(r'<span class="nhsuk-u-visually-hidden">[^<]*</span>')


def visible(markup: str) -> str:
    """What a sighted reader sees of some HTML: tags and visually hidden text left out, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", VISUALLY_HIDDEN.sub("", markup)))


def cells(row: str) -> list[str]:
    """The visible text of each data cell of a table row's HTML."""
    return [visible(cell) for cell in re.findall(r'<td class="nhsuk-table__cell">(.*?)</td>', row, re.S)]


def open_page(client, url: str, heading: str | None = None, **kwargs) -> str:
    """GET a page that must be there (200; the client checks its security headers), headed `heading` if given.
    Returns its text."""
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    body = page_text(response)
    assert heading is None or f"<h1>{heading}</h1>" in body, heading
    return body


def page_about(client, url: str, patient: str, heading: str) -> str:
    """Open a page about one patient (open_page): its banner names `patient`, and its heading is `heading`."""
    body = open_page(client, url, heading)
    assert patient in patient_banner(body)
    return body


def redirected(client, response, to: str) -> str:
    """A save answered as it succeeded: redirected (303) to `to`. Returns the text of the page there."""
    assert response.status_code == 303, response.status_code
    assert response.headers["Location"] == to
    return open_page(client, to)


def conflict(response, record: str) -> str:
    """A stale save's answer: 409, and the page says this `record` changed while the user was working on it.
    Returns the page's text."""
    assert response.status_code == 409, response.status_code
    body = page_text(response)
    assert f"This {record} changed while you were working on it" in body
    return body


def patient_banner(body: str) -> str:
    """The patient banner of a page's text."""
    start = body.index('aria-label="Patient details"')
    return body[start:body.index("</section>", start)]


def row_naming(body: str, name: str) -> str:
    """The table row of a page's text that names `name` (the first)."""
    start = body.rindex("<tr", 0, body.index(name))
    return body[start:body.index("</tr>", start)]


def shown_again(response, field: str, message: str, status: int | tuple[int, ...] = 400,
                hidden: tuple[str, ...] = ("version",)) -> str:
    """A form sent back with its problems: `status`, an error summary whose links all land on the page and that
    links to `field`, and `message` on the page, next to the field unless the field is `hidden` (a hidden field has
    no place of its own: only the summary says it). Returns the page's text."""
    assert response.status_code in (status if isinstance(status, tuple) else (status,)), response.status_code
    body = page_text(response)
    assert [t for t in broken_summary_links(body) if t not in hidden] == []
    assert "There is a problem" in body
    assert f'<a href="#{field}"' in body, "the summary links to the field"
    assert message in body
    if field not in hidden:
        error = body.index(f'id="{field}-error"')
        assert message in body[error:error + 400], "the message sits next to the field"
    return body


def field_names(page: str) -> set[str]:
    """The names of the inputs, selects and textareas a page's forms would post."""
    return set(re.findall(r'<(?:input|select|textarea)\b[^>]*?\bname="([^"]+)"', page))


def sign_in(client, username: str, password: str = PASSWORD):
    return post_form(client, "/auth/login", {"username": username, "password": password})


def version_in(html: str) -> str:
    """The version a page's form carries in its hidden field."""
    return re.search(r'name="version" value="([^"]*)"', html).group(1)
