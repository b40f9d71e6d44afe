"""A form that adds one record to a referral (a safeguarding concern, an urgent contact, a questionnaire link):
opened blank with a one-time token and the view logged, saved through the command seam, shown again with its
errors on its own template."""
from collections.abc import Callable

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, submit
from inclusive_access.blueprints.shared import blank_form
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.models import Referral


def add_to_referral(referral: Referral, form, template: str, verb: Callable, done: Callable,
                    context: dict | None = None, **options) -> ResponseReturnValue:
    """`verb(session, actor, referral, submission_token=...)` saves the form; `template` shows it with `context`;
    `options` go to `submit` (the repeat answer, where a refusal is told)."""
    def show(errors: dict) -> ResponseReturnValue:
        return render_template(template, form=form, errors=errors, referral=referral, patient=referral.patient,
                               **(context or {})), 400 if errors else 200

    if request.method == "GET":
        return blank_form(form, referral, lambda: show({}))
    return submit(form, lambda: verb(db.session, actor_for(current_user), referral,
                                     submission_token=form.submission_token.data or None),
                  Page(request.path, show), done, **options)
