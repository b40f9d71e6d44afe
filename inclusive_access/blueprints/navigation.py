"""The header's navigation: each link the signed-in role may follow, a worklist's with its count, in the order staff
scan them. Which role may follow which link is the route table's (security.may); this module only lays them out.

A worklist's count is one indexed COUNT a link the role sees, once a request. The questionnaires due are not a stored
queue but worked out per referral (time points, review intervals), so their count reads every open referral seen; the
navigation counts them up to NAV_LIMIT and says "1,000+" from there."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, g, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.shared import instruments
from inclusive_access.domain import clarification, contact_tasks, dna, outreach, questionnaires_due, reviews, triage
from inclusive_access.extensions import db
from inclusive_access.security import may

#: from this many on, a count in the navigation says only "at least"
NAV_LIMIT = 1000


def _questionnaires_due(session) -> int:
    return questionnaires_due.count_due(session, instruments(), datetime.now(UTC), at_most=NAV_LIMIT)


def _named_on_a_session() -> bool:
    """A clinician sees their sessions page only once named on one (one indexed lookup)."""
    return outreach.is_named_on_any(db.session, current_user.id)


@dataclass(frozen=True)
class Link:
    endpoint: str
    text: str
    #: how many open items the worklist holds (a COUNT over its index), shown beside its name
    count: Callable | None = None
    #: the link is current on this page alone, not on every page of its blueprint
    one_page: bool = False
    #: a page of the blueprint that belongs to another link (a discharge is requested from the referral)
    not_on: str | None = None
    #: a further condition, beyond the role, for showing the link
    shown_if: Callable[[], bool] | None = None


#: each entry is one place in the header, holding the first of its links the signed-in user may follow
PLACES = (
    (Link("referrals.list_referrals", "Referrals"),),
    (Link("patients.search_patients", "Find a patient", one_page=True),),
    (Link("triage.worklist", "Triage", count=triage.count_awaiting),),
    (Link("clarification.worklist", "Clarifications", count=clarification.count_open),),
    (Link("dna.worklist", "Barrier checks", count=dna.count_open),),
    (Link("intake.new_referral", "New referral"),),
    (Link("contact_tasks.worklist", "Contact problems", count=contact_tasks.count_open),),
    (Link("questionnaires.worklist", "Questionnaires due", count=_questionnaires_due),),
    (Link("discharge.review_queue", "Senior review", count=reviews.count_pending,
          not_on="discharge.request_discharge"),),
    (Link("outreach_reconciliation.list_records", "Outreach records"),),
    (Link("safeguarding.list_concerns", "Safeguarding"),),
    (Link("outreach.list_sessions", "Outreach"),
     Link("outreach.my_sessions", "My outreach sessions", one_page=True, shown_if=_named_on_a_session)),
    (Link("reports.equity_dashboard", "Equity"),),
    (Link("audit.list_samples", "Audit"), Link("audit.event_log", "Audit log")),
    (Link("admin.list_users", "Users"),),
    (Link("imports.new_import", "Import referrals"),),
)
COUNTED = {link.endpoint: link.count for place in PLACES for link in place if link.count}


def worklist_count(endpoint: str) -> str:
    """How many items the worklist at `endpoint` holds, as the navigation says it ("1,000+" from NAV_LIMIT on)."""
    counted = g.setdefault("worklist_counts", {})
    if endpoint not in counted:
        count = COUNTED[endpoint](db.session)
        counted[endpoint] = f"{NAV_LIMIT:,}+" if count >= NAV_LIMIT else str(count)
    return counted[endpoint]


def _item(link: Link) -> dict:
    if link.one_page:
        current = request.endpoint == link.endpoint
    else:
        current = request.blueprint == link.endpoint.partition(".")[0] and request.endpoint != link.not_on
    text = f"{link.text} ({worklist_count(link.endpoint)})" if link.count else link.text
    return {"href": url_for(link.endpoint), "text": text, "current": current}


def navigation() -> list[dict]:
    """The header's items (href, text, current) for the signed-in user; none for someone not signed in."""
    if not current_user.is_authenticated:
        return []
    shown = (next((link for link in place if may(link.endpoint) and (not link.shown_if or link.shown_if())), None)
             for place in PLACES)
    return [_item(link) for link in shown if link]


def init_app(app: Flask) -> None:
    app.add_template_global(navigation)
