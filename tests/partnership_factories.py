"""Partnership review factories: a meeting as the form posts it, and one recorded through the domain with the
figures reporting computes for it."""
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from inclusive_access.domain import partnership_reviews
from inclusive_access.domain.actors import Actor
from inclusive_access.models import PartnershipReview
from inclusive_access.reporting.partnership_figures import figures_for

#: a July meeting reviewing the June sessions (tests/outreach_factories.py's are on 2 June), recorded that evening
HELD_ON, PERIOD_START, PERIOD_END = "2026-07-14", "2026-06-01", "2026-06-30"
RECORDED = datetime(2026, 7, 14, 17, 0, tzinfo=UTC)


def meeting_form(**overrides) -> dict:
    """A complete meeting as the form posts it, but for the partners present (posted as a list of their own)."""
    return {"title": "Quarterly outreach review", "held_on": HELD_ON, "period_start": PERIOD_START,
            "period_end": PERIOD_END, "minutes": "Reviewed June's sessions.\nAgreed a second weekly session.",
            "learning": "A complaint about waiting outside in the rain: sessions now start indoors.", **overrides}


def recorded_meeting(session: Session, actor: Actor, partner_ids: list[int], now: datetime = RECORDED,
                     **overrides) -> PartnershipReview:
    details = partnership_reviews.parse_review(session, meeting_form(**overrides), [str(p) for p in partner_ids],
                                               now=now)
    return partnership_reviews.record_review(session, actor, details, figures_for, now=now)
