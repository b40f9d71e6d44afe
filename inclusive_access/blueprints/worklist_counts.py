"""The count beside each worklist link in the navigation: one indexed COUNT a link the role sees, once a request."""
from datetime import UTC, datetime

from flask import Flask, g

from inclusive_access.blueprints.shared import instruments
from inclusive_access.domain import clarification, contact_tasks, dna, questionnaires_due, reviews, triage
from inclusive_access.extensions import db
from inclusive_access.security import may


def _questionnaires_due(session) -> int:
    return questionnaires_due.count_due(session, instruments(), datetime.now(UTC))


#: worklist endpoint -> how many open items it holds (each a COUNT over its worklist index)
COUNTS = {"triage.worklist": triage.count_awaiting, "clarification.worklist": clarification.count_open,
          "dna.worklist": dna.count_open, "discharge.review_queue": reviews.count_pending,
          "questionnaires.worklist": _questionnaires_due, "contact_tasks.worklist": contact_tasks.count_open}


def worklist_count(endpoint: str) -> int | None:
    """How many items the worklist at `endpoint` holds; None where the signed-in role may not open it."""
    if not may(endpoint):
        return None
    counted = g.setdefault("worklist_counts", {})
    if endpoint not in counted:
        counted[endpoint] = COUNTS[endpoint](db.session)
    return counted[endpoint]


def init_app(app: Flask) -> None:
    app.add_template_global(worklist_count)
