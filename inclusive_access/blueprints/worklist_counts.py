"""The count beside each worklist link in the navigation: one indexed COUNT a link the role sees, once a request.

The questionnaires due are not a stored queue but worked out per referral (time points, review intervals), so
their count reads every open referral seen; the navigation counts them up to NAV_LIMIT and says "1,000+" from there."""
from datetime import UTC, datetime

from flask import Flask, g

from inclusive_access.blueprints.shared import instruments
from inclusive_access.domain import clarification, contact_tasks, dna, questionnaires_due, reviews, triage
from inclusive_access.extensions import db
from inclusive_access.security import may

#: from this many on, a count in the navigation says only "at least"
NAV_LIMIT = 1000


def _questionnaires_due(session) -> int:
    return questionnaires_due.count_due(session, instruments(), datetime.now(UTC), at_most=NAV_LIMIT)


#: worklist endpoint -> how many open items it holds (each a COUNT over its worklist index)
COUNTS = {"triage.worklist": triage.count_awaiting, "clarification.worklist": clarification.count_open,
          "dna.worklist": dna.count_open, "discharge.review_queue": reviews.count_pending,
          "questionnaires.worklist": _questionnaires_due, "contact_tasks.worklist": contact_tasks.count_open}


def worklist_count(endpoint: str) -> str | None:
    """How many items the worklist at `endpoint` holds, as the navigation says it ("1,000+" from NAV_LIMIT on); None
    where the signed-in role may not open it."""
    if not may(endpoint):
        return None
    counted = g.setdefault("worklist_counts", {})
    if endpoint not in counted:
        count = COUNTS[endpoint](db.session)
        counted[endpoint] = f"{NAV_LIMIT:,}+" if count >= NAV_LIMIT else str(count)
    return counted[endpoint]


def init_app(app: Flask) -> None:
    app.add_template_global(worklist_count)
