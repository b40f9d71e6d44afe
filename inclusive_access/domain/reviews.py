"""The senior review list: at most one pending review per referral, and how a review is opened and closed.

A review is opened inside a command that writes its own event (a discharge request, the second DNA or third
unreached attempt, a flagged referral's proposed rejection), and closed inside the senior's decision; the
commands' events carry the review's id.
"""
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inclusive_access.domain import locking, worklists
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import DuplicateSubmission, NotPermitted, TransitionNotAllowed
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.models import Appointment, Referral, SeniorReview

KIND_LABELS = {"discharge": "Discharge request", "attendance": "Missed appointments or not reached",
               "rejection": "Proposed rejection of a flagged referral"}
#: kinds where someone proposed the outcome: they may not approve it themselves
FOUR_EYES_KINDS = frozenset({"discharge", "rejection"})


def pending_review(session: Session, referral_id: int) -> SeniorReview | None:
    return session.scalar(select(SeniorReview).where(SeniorReview.referral_id == referral_id,
                                                     SeniorReview.decided_at.is_(None)))


def dna_count(session: Session, referral_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.referral_id == referral_id, Appointment.status == "dna"))


def check_token(session: Session, submission_token: str | None) -> None:
    """A second submit of the same request form finds the review the first one opened."""
    if submission_token:
        existing = session.scalar(select(SeniorReview.id).where(SeniorReview.submission_token == submission_token))
        if existing:
            raise DuplicateSubmission(existing)


def open_review(session: Session, actor: Actor, referral: Referral, kind: str, reason: str, reason_text: str,
                now: datetime, submission_token: str | None = None) -> SeniorReview:
    """Add the referral to the senior review list; the calling command writes the event."""
    check_token(session, submission_token)
    pending = pending_review(session, referral.id)
    if pending is not None:
        raise TransitionNotAllowed(f"This referral is already on the senior review list ({pending.reason_text}): "
                                   "the senior decides there.")
    review = SeniorReview(referral_id=referral.id, kind=kind, reason=reason, reason_text=reason_text,
                          opened_by=actor.user_id, opened_at=now, dna_count=dna_count(session, referral.id),
                          submission_token=submission_token)
    session.add(review)
    session.flush()
    return review


def may_approve(actor: Actor, review: SeniorReview) -> bool:
    """Whoever asked for a discharge or proposed a rejection never approves it (DOMAIN.md, senior sign-off)."""
    return not (review.kind in FOUR_EYES_KINDS and review.opened_by == actor.user_id)


def check_four_eyes(actor: Actor, review: SeniorReview, decision: str) -> None:
    if decision == "approved" and not may_approve(actor, review):
        raise NotPermitted("You asked for this: another senior must approve it.")


def close_review(session: Session, actor: Actor, review: SeniorReview, decision: str, rationale: str,
                 plan: str | None, safe_despite_concern: str | None, now: datetime) -> None:
    """Record the senior's decision on the review (the referral's new state is read from it)."""
    if review.decided_at is not None:
        raise TransitionNotAllowed("This review has already been decided.")
    review.decision, review.rationale, review.plan = decision, rationale, plan
    review.safe_despite_concern = safe_despite_concern
    review.decided_by, review.decided_at, review.outcome_state = actor.user_id, now, review.referral.state
    locking.flush(session, "review")


def _pending():
    return select(SeniorReview).where(SeniorReview.decided_at.is_(None))


def review_queue(session: Session, now: datetime, page: int = 1, per_page: int = worklists.PER_PAGE,
                 policy: Policy = DEFAULT_POLICY) -> worklists.WorklistPage:
    """Pending reviews by when each falls due, `senior_review_hours` after opening: overdue, due today, then later.

    Reads ix_senior_reviews_pending (decided_at, opened_at): the cost follows the queue.
    """
    lead = timedelta(hours=policy.clocks.senior_review_hours)
    order = (SeniorReview.opened_at, SeniorReview.id)
    return worklists.page_of(session, _pending(), SeniorReview.opened_at, lead, order, now, page, per_page)


def count_pending(session: Session) -> int:
    return worklists.count(session, _pending())


def reviews_for(session: Session, referral_id: int) -> list[SeniorReview]:
    return list(session.scalars(select(SeniorReview).where(SeniorReview.referral_id == referral_id)
                                .order_by(SeniorReview.opened_at)))
