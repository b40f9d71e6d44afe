"""The seam between a posted form and the domain: validate, run one verb, commit once, show the domain's refusals.

Why it exists: every state-changing route used to carry its own try/except ladder, and two blueprints grew the same
`_save` helper apart. A ladder written 40 times drifts: a rollback forgotten here, a second commit there, a stale
save shown as a form error on one page and as the conflict page on the next. The rules of a save live here once, so
a route reads as three steps (build the form, name the domain verb, say where the user goes next) and:

- a form that fails its own validation is shown again with each message beside its field;
- `InvalidInput` is shown the same way, the domain's field names mapped to the form's through `fields`;
- `StaleRecord` is the conflict page (409) with what others changed;
- `NotPermitted` and `TransitionNotAllowed` say why: beside a field, flashed on the form's page, or 403 for a
  request the page never offers;
- `DuplicateSubmission` goes to what the first submit made;
- success commits once (the request's one commit) and redirects (PRG), or answers htmx with its fragment.

Nothing here reads a model or knows a workflow: each route's `Page` says how to show its form again.
"""
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from flask import abort, flash, redirect
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from inclusive_access.blueprints.forms_common import first_errors
from inclusive_access.blueprints.shared import conflict
from inclusive_access.domain.errors import (
    DomainError,
    DuplicateSubmission,
    InvalidInput,
    NotPermitted,
    StaleRecord,
    TransitionNotAllowed,
)
from inclusive_access.extensions import db
from inclusive_access.htmx import is_fragment_request
from inclusive_access.models import Patient

T = TypeVar("T")
Errors = dict[str, str]
#: how a refusal is told when it is not put beside a field (any other value names the field)
FLASHED, FORBIDDEN = "<flashed on the page>", "<403 Forbidden>"


@dataclass(frozen=True)
class Page:
    """Where a form lives: how to show it again with messages beside its fields, and what the conflict page needs.

    `show` is called after any rollback, so it reads its records afresh; it returns the whole response, status
    included (400 for a full page, 200 for an htmx fragment, which htmx would not swap otherwise). `url` is where a
    refusal or a repeat goes back to and where the conflict page links. `patient` and `changes` load the conflict
    page's banner and the changes others made (read after the rollback, never before)."""

    url: str
    show: Callable[[Errors], ResponseReturnValue]
    what: str = "record"
    patient: Callable[[], Patient | None] | None = None
    changes: Callable[[], dict] | None = None


def elsewhere(url: str, what: str = "record", patient: Callable[[], Patient | None] | None = None) -> Page:
    """The page of a form that is a button on another page (ending an adjustment, marking an action done): its
    first message is flashed there, because there is no form of its own to show again."""
    def show(errors: Errors) -> ResponseReturnValue:
        flash(next(iter(errors.values()), "Check the form"), "error")
        return redirect(url, 303)

    return Page(url, show, what, patient)


@dataclass(frozen=True)
class Repeat:
    """A second submit of a form with a one-time token: say so (`message`, if any) and go to what the first made,
    `to(existing_id)`, or back to the form's page."""

    message: str | None
    to: Callable[[int], str] | None = None


def submit(form: FlaskForm | None, verb: Callable[[], T], page: Page, done: Callable[[T], ResponseReturnValue], *,
           fields: Mapping[str, str] | None = None, refused: str = FLASHED, not_permitted: str | None = None,
           repeat: Repeat | None = None,
           handlers: Mapping[type[DomainError], Callable[[DomainError], ResponseReturnValue]] | None = None,
           ) -> ResponseReturnValue:
    """Validate `form` (None: nothing to validate), run `verb`, commit once, then answer `done(verb's result)`.

    `fields` maps the domain's field names to this form's. `refused` is the field beside which `NotPermitted` and
    `TransitionNotAllowed` are told (FLASHED: on `page.url`; FORBIDDEN: 403); `not_permitted` overrides it for
    `NotPermitted`. `repeat` answers a `DuplicateSubmission`. `handlers` answer the errors one workflow has alone
    (an open referral on the pathway, a barrier check to finish first); they run after the rollback, before the
    rules above."""
    if form is not None and not form.validate_on_submit():
        return page.show(first_errors(form))
    try:
        result = verb()
    except StaleRecord as stale:  # the one place a stale save becomes the conflict page
        return conflict(stale, page.patient, page.url, page.what, page.changes)  # rolls back, then reads afresh
    except DomainError as error:
        db.session.rollback()  # nothing of a refused request is kept; every record is read afresh from here
        return _refusal(error, page, fields or {}, refused, not_permitted or refused, repeat, handlers or {})
    db.session.commit()
    return done(result)


def _refusal(error: DomainError, page: Page, fields: Mapping[str, str], refused: str, not_permitted: str,
             repeat: Repeat | None, handlers: Mapping) -> ResponseReturnValue:
    for kind, handle in handlers.items():
        if isinstance(error, kind):
            return handle(error)
    if isinstance(error, InvalidInput):
        return page.show({fields.get(name, name): message for name, message in error.errors.items()})
    if isinstance(error, DuplicateSubmission) and repeat is not None:
        if repeat.message:
            flash(repeat.message, "info")
        return redirect(repeat.to(error.existing_id) if repeat.to else page.url, 303)
    if isinstance(error, NotPermitted | TransitionNotAllowed):
        tell = not_permitted if isinstance(error, NotPermitted) else refused
        if tell == FORBIDDEN:
            abort(403)
        if tell == FLASHED:  # e.g. decided or closed meanwhile: the page shows that, not the form
            flash(str(error), "error")
            return redirect(page.url, 303)
        return page.show({tell: str(error)})
    raise error


def onto_fields(form: FlaskForm, errors: Errors) -> None:
    """For a page that shows its messages through the form's own fields (WTForms' `errors`), not an errors dict:
    add the domain's to what validation found, once each."""
    for name, message in errors.items():
        field = getattr(form, name)
        if message not in field.errors:
            field.errors = [*field.errors, message]


def saved(message: str, url: str, swap: Callable[[], ResponseReturnValue] | None = None,
          leave: bool = False) -> ResponseReturnValue:
    """After the commit: the message, then Post/Redirect/Get to `url` (303).

    For htmx, `swap` answers with the updated fragment instead (the page shows the change; no message waits for
    the next page), and `leave` sends the browser to `url` as a whole page (HX-Redirect) when the next step is
    another page, not a swap."""
    if swap is not None and is_fragment_request():
        return swap()
    flash(message, "success")
    if leave and is_fragment_request():
        return "", 200, {"HX-Redirect": url}
    return redirect(url, 303)


def committed(verb: Callable[[], T]) -> T:
    """A request answered as data, not a page (the FHIR API, an outreach device's queue): run the verb (a write, or
    a read that logs its own access) and commit once. A refusal is rolled back and raised again, for the caller to
    answer in its own format."""
    try:
        result = verb()
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return result
