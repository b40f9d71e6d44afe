"""What several workflows' routes share: the service policy from config and the conflict page."""
from flask import current_app, flash, render_template

from inclusive_access.domain.errors import StaleRecord
from inclusive_access.domain.policy import Policy
from inclusive_access.extensions import db
from inclusive_access.htmx import is_fragment_request


def current_policy() -> Policy:
    return Policy.from_mapping(current_app.config)


def conflict(stale: StaleRecord, patient, back_url: str, what: str = "record", changes_loader=None):
    """409: nothing was saved; show what others changed since the user opened the form.

    A save that lost the race at the database has no changes yet: `changes_loader` reads them afresh.
    """
    db.session.rollback()
    if is_fragment_request():  # htmx does not show a 409: reload the current version with the message
        flash(f"{stale} Nothing was saved; this is the current version.", "error")
        return "", 200, {"HX-Redirect": back_url}
    changes = stale.changes or (changes_loader() if changes_loader else {})
    return render_template("errors/conflict.html", message=str(stale), changes=changes,
                           patient=db.session.merge(patient) if patient is not None else None,
                           back_url=back_url, what=what), 409
