"""What several workflows' routes share: the service policy, the loaded instruments and questionnaire link settings,
the access log and the conflict page."""
from collections.abc import Callable

from flask import current_app, flash, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from itsdangerous import URLSafeSerializer

from inclusive_access.blueprints.forms_common import new_token
from inclusive_access.domain import questionnaire_links, records
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import StaleRecord
from inclusive_access.domain.instruments import Instrument
from inclusive_access.domain.outbox import MessageSettings
from inclusive_access.domain.policy import Policy
from inclusive_access.extensions import db
from inclusive_access.htmx import is_fragment_request
from inclusive_access.models import Patient, Referral


def current_policy() -> Policy:
    return Policy.from_mapping(current_app.config)


def current_messages() -> MessageSettings:
    """The message settings (Notify templates, reminder days, the service's telephone number) the domain fills
    messages from."""
    return MessageSettings.from_mapping(current_app.config)


def instruments() -> dict[str, Instrument]:
    """The outcome instruments loaded at start-up, by id."""
    return current_app.extensions["instruments"]


def link_rules() -> questionnaire_links.LinkRules:
    return questionnaire_links.LinkRules.from_mapping(current_app.config)


def link_signer() -> URLSafeSerializer:
    """Signs and reads questionnaire links with the app's secret key (and its fallbacks, during a rotation)."""
    return questionnaire_links.signer(current_app.secret_key, current_app.config["SECRET_KEY_FALLBACKS"])


def csv_download(body: str, name: str) -> ResponseReturnValue:
    """A CSV file the browser saves as `name`."""
    return body, 200, {"Content-Type": "text/csv; charset=utf-8",
                       "Content-Disposition": f'attachment; filename="{name}"'}


def log_view(patient: Patient, referral: Referral | None = None) -> None:
    """This page shows the patient's record: log the view and commit it, the request's one commit, before the page
    renders (a page that fails to render was still opened).

    Worklists are not logged (a name to pick work by is not the record, and they refresh every minute), nor
    htmx fragments of a page whose full load was logged already.
    """
    records.view_record(db.session, actor_for(current_user), patient, referral)
    db.session.commit()


def blank_form(form, referral: Referral, page: Callable[[], ResponseReturnValue]) -> ResponseReturnValue:
    """A referral's form opened: a fresh one-time token, the view of the record logged, the page."""
    form.submission_token.data = new_token()
    log_view(referral.patient, referral)
    return page()


def conflict(stale: StaleRecord, load_patient: Callable[[], Patient] | None, back_url: str, what: str = "record",
             changes_loader: Callable[[], dict] | None = None):
    """409: nothing was saved; show what others changed since the user opened the form.

    It rolls back before reading anything: a save that lost the race at the database leaves the session failed
    and every object in it expired, so the patient for the banner (`load_patient`) and the changes
    (`changes_loader`, as that save has none yet) are read afresh afterwards, never by the caller before.
    """
    db.session.rollback()
    if is_fragment_request():  # htmx does not show a 409: reload the current version with the message
        flash(f"{stale} Nothing was saved; this is the current version.", "error")
        return "", 200, {"HX-Redirect": back_url}
    changes = stale.changes or (changes_loader() if changes_loader else {})
    return render_template("errors/conflict.html", message=str(stale), changes=changes,
                           patient=load_patient() if load_patient is not None else None,
                           back_url=back_url, what=what), 409
