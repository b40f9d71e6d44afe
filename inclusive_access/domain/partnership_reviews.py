"""Partnership review meetings (issue 18): the service manager or a senior clinician records a meeting with outreach
partners, its minutes, the learning from incidents and complaints, and the actions agreed, each with a named lead
and a due date; the outreach figures the meeting reviewed are kept with it as they stood when it was recorded.

The figures come from reporting, which the domain may not import: the caller passes the function that computes
them, and it runs here, after the meeting's details are valid, in the transaction that stores the meeting."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, listing, locking, submissions
from inclusive_access.domain import validation as v
from inclusive_access.domain.access import PARTNERSHIP_LEADS, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord, TransitionNotAllowed
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Partner, PartnershipReview, ReviewAction

#: (session, partner ids, first day, last day) -> the figures as published (reporting/partnership_figures.py)
Figures = Callable[[Session, list[int], date, date], dict]
PER_PAGE = 20


def _today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


@dataclass(frozen=True)
class ReviewDetails:
    held_on: date
    title: str
    period_start: date
    period_end: date
    partner_ids: tuple[int, ...]
    minutes: str
    learning: str | None


def active_partners(session: Session) -> dict[int, str]:
    """The partners a meeting may name as present, by name."""
    return dict(session.execute(select(Partner.id, Partner.name).where(Partner.active).order_by(Partner.name)).all())


def parse_review(session: Session, raw: dict, partner_ids: list[str], now: datetime | None = None) -> ReviewDetails:
    """A meeting held today or before, at least one active partner present, and a period reviewed that ended by
    the meeting (the figures are of records already received)."""
    errors = v.FieldErrors()
    held_on = v.past_date(errors, raw, "held_on", "the date of the meeting", _today(now or datetime.now(UTC)))
    start = v.a_date(errors, raw, "period_start", "the first day of the period reviewed")
    end = v.a_date(errors, raw, "period_end", "the last day of the period reviewed")
    if start and end and end < start:
        errors.add("period_end", "The period reviewed must end on or after its first day")
    elif end and held_on and end > held_on:
        errors.add("period_end", "The period reviewed must end by the date of the meeting")
    chosen = sorted({pid for pid in partner_ids if pid})
    allowed = {str(pid) for pid in active_partners(session)}
    if not chosen:
        errors.add("partner_ids", "Select the partners present")
    elif not set(chosen) <= allowed:
        errors.add("partner_ids", "Select partners from the list")
    details = ReviewDetails(
        held_on=held_on, title=v.text(errors, raw, "title", "the meeting's title", 160),
        period_start=start, period_end=end, partner_ids=tuple(sorted(int(pid) for pid in chosen if pid in allowed)),
        minutes=v.text(errors, raw, "minutes", "the minutes", 20000, multiline=True),
        learning=v.text(errors, raw, "learning", "the learning", 10000, required=False, multiline=True))
    if errors:
        raise InvalidInput(errors)
    return details


def record_review(session: Session, actor: Actor, details: ReviewDetails, figures: Figures,
                  submission_token: str | None = None, now: datetime | None = None) -> PartnershipReview:
    """Record a meeting with the figures `figures` gives now for its partners and period, kept as they are."""
    require_role(actor, PARTNERSHIP_LEADS)
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, PartnershipReview, submission_token)
    snapshot = figures(session, list(details.partner_ids), details.period_start, details.period_end)
    review = PartnershipReview(
        held_on=details.held_on, title=details.title, period_start=details.period_start,
        period_end=details.period_end, minutes=details.minutes, learning=details.learning, figures=snapshot,
        recorded_by=actor.user_id, recorded_at=now, submission_token=submission_token,
        partners=list(session.scalars(select(Partner).where(Partner.id.in_(details.partner_ids)))))
    session.add(review)
    session.flush()
    events.record(session, actor, actions.PARTNERSHIP_REVIEW_RECORDED, "partnership_review", review.id, now=now,
                  data={"held_on": details.held_on, "title": details.title, "period_start": details.period_start,
                        "period_end": details.period_end, "partner_ids": list(details.partner_ids),
                        "minutes": details.minutes, "learning": details.learning, "figures": snapshot})
    return review


def edit_minutes(session: Session, actor: Actor, review: PartnershipReview, seen_version: int, raw: dict,
                 now: datetime | None = None) -> None:
    """Correct or complete the minutes and the learning; a save from a page opened before another's is refused."""
    require_role(actor, PARTNERSHIP_LEADS)
    now = now or datetime.now(UTC)
    events.lock_log(session)
    if seen_version != review.version:
        raise StaleRecord("This meeting's minutes changed since you opened them.")
    errors = v.FieldErrors()
    minutes = v.text(errors, raw, "minutes", "the minutes", 20000, multiline=True)
    learning = v.text(errors, raw, "learning", "the learning", 10000, required=False, multiline=True)
    if not errors and (minutes, learning) == (review.minutes, review.learning):
        errors.add("minutes", "Change the minutes or the learning before saving")
    if errors:
        raise InvalidInput(errors)
    review.minutes, review.learning = minutes, learning
    locking.flush(session, "meeting")
    events.record(session, actor, actions.PARTNERSHIP_REVIEW_EDITED, "partnership_review", review.id, now=now,
                  data={"minutes": minutes, "learning": learning, "version": review.version})


def add_action(session: Session, actor: Actor, review: PartnershipReview, raw: dict,
               submission_token: str | None = None, now: datetime | None = None) -> ReviewAction:
    """An action agreed at the meeting: what, the named lead, and a due date on or after the meeting."""
    require_role(actor, PARTNERSHIP_LEADS)
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, ReviewAction, submission_token)
    errors = v.FieldErrors()
    description = v.text(errors, raw, "description", "the action", 2000, multiline=True)
    lead_name = v.text(errors, raw, "lead_name", "the name of the lead", 120)
    due_on = v.a_date(errors, raw, "due_on", "the date the action is due")
    if due_on and due_on < review.held_on:
        errors.add("due_on", f"The due date must be on or after the meeting ({review.held_on:%-d %b %Y})")
    if errors:
        raise InvalidInput(errors)
    action = ReviewAction(review_id=review.id, description=description, lead_name=lead_name, due_on=due_on,
                          added_by=actor.user_id, added_at=now, submission_token=submission_token)
    session.add(action)
    session.flush()
    events.record(session, actor, actions.PARTNERSHIP_ACTION_ADDED, "partnership_review_action", action.id, now=now,
                  data={"review_id": review.id, "description": description, "lead_name": lead_name,
                        "due_on": due_on})
    return action


def complete_action(session: Session, actor: Actor, action: ReviewAction, seen_version: int, raw: dict,
                    now: datetime | None = None) -> None:
    """Mark an action done on a day from the meeting to today."""
    require_role(actor, PARTNERSHIP_LEADS)
    now = now or datetime.now(UTC)
    events.lock_log(session)
    if action.done_on is not None:
        raise TransitionNotAllowed("This action is already done.")
    if seen_version != action.version:
        raise StaleRecord("This action changed since you opened it.")
    errors = v.FieldErrors()
    done_on = v.past_date(errors, raw, "done_on", "the date it was done", _today(now))
    if done_on and done_on < action.review.held_on:
        errors.add("done_on", "The date it was done must be on or after the meeting")
    if errors:
        raise InvalidInput(errors)
    action.done_on, action.done_by = done_on, actor.user_id
    locking.flush(session, "action")
    events.record(session, actor, actions.PARTNERSHIP_ACTION_COMPLETED, "partnership_review_action", action.id,
                  now=now, data={"review_id": action.review_id, "done_on": done_on})


def overdue(review: PartnershipReview, now: datetime | None = None) -> set[int]:
    """The ids of the meeting's actions not done by their due date (London), to highlight."""
    today = _today(now or datetime.now(UTC))
    return {action.id for action in review.actions if action.done_on is None and action.due_on < today}


def reviews_page(session: Session, page: int = 1) -> listing.Page:
    """The meetings, newest first (reads ix_partnership_reviews_held_on), one page loaded."""
    found = listing.page_of(session, select(PartnershipReview).order_by(PartnershipReview.held_on.desc(),
                                                                      PartnershipReview.id.desc()), page, PER_PAGE)
    return listing.Page([review for (review,) in found.rows], found.total, found.page, found.pages)
