"""Questionnaires due and not returned: which of a referral's instruments wait for answers, for the referral page
and the clinicians' worklist, from one query so the two never disagree.

An instrument (on the referral's pathway) is due
- at first contact: once the referral has had its first contact, while it is open, until answered at first contact;
- at discharge: once discharged, for RECENT_DISCHARGE, until answered at discharge;
- at a review (instruments with `every_days`): while open, once the last answer is `every_days` old (after the
  first-contact answer, where one is due).
Each instrument is due at one time point at most, which the entry form preselects.

The query reads only open referrals with a first contact and those discharged within RECENT_DISCHARGE (indexes on
state and its clock), and each one's answers through their (referral, instrument) index: its cost follows the
open work, never the history. The instruments are data, so each one's pathways and time points go into the SQL as
literals, a branch per instrument and time point."""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Select, exists, func, literal, select, union_all
from sqlalchemy.orm import Session

from inclusive_access.domain import states
from inclusive_access.domain.access import CLINICAL_READ
from inclusive_access.domain.instruments import Instrument
from inclusive_access.domain.questionnaires import responses_for_referral
from inclusive_access.domain.worklists import PER_PAGE
from inclusive_access.models import Pathway, QuestionnaireResponse, Referral

#: A follow-up asked more than a month after discharge measures recall and whatever happened since, not the
#: episode of care, and the service can no longer act on it; past this it is a missing follow-up in the reports.
RECENT_DISCHARGE = timedelta(days=30)
_OPEN = sorted(states.ACTIVE_STATES)


@dataclass(frozen=True)
class Due:
    referral_id: int
    instrument: Instrument
    time_point: str
    #: when it fell due: the first contact, the discharge, or the last answer plus `every_days`
    due_since: datetime


@dataclass(frozen=True)
class DuePage:
    rows: list[tuple[Referral, Due]]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Completed:
    response: QuestionnaireResponse
    #: the instrument's title today (its id, should a service remove its file)
    title: str


@dataclass(frozen=True)
class ReferralQuestionnaires:
    """The referral page's section: what was answered, most recent first, and what is due now."""

    completed: list[Completed]
    due: list[Due]
    #: a score is clinical information: booking staff and managers see that a questionnaire was done, not its score
    scores_shown: bool


def _answered(instrument: Instrument, time_point: str | None = None) -> ColumnElement[bool]:
    found = select(QuestionnaireResponse.id).where(QuestionnaireResponse.referral_id == Referral.id,
                                                   QuestionnaireResponse.instrument_id == instrument.id)
    return exists(found.where(QuestionnaireResponse.time_point == time_point) if time_point else found)


def _branch(instrument: Instrument, time_point: str, since, every_days: int, *where) -> Select:
    # The pathway is read for each referral the state index found, never used to find them: a pathway's
    # referrals are its whole history.
    code = select(Pathway.code).where(Pathway.id == Referral.pathway_id).scalar_subquery()
    pathway = [code.in_(instrument.pathways)] if instrument.pathways else []
    return (select(Referral.id.label("referral_id"), literal(instrument.id).label("instrument_id"),
                   literal(time_point).label("time_point"), since.label("since"),
                   literal(every_days).label("after_days"), Referral.received_at.label("received_at"))
            .where(*pathway, *where))


def _branches(instrument: Instrument, now: datetime) -> list[Select]:
    seen_and_open = (Referral.state.in_(_OPEN), Referral.first_contact_at.is_not(None))
    branches = []
    if "first_contact" in instrument.due.at:
        branches.append(_branch(instrument, "first_contact", Referral.first_contact_at, 0, *seen_and_open,
                                ~_answered(instrument, "first_contact")))
    if "discharge" in instrument.due.at:
        branches.append(_branch(instrument, "discharge", Referral.discharged_at, 0,
                                Referral.state == states.ReferralState.DISCHARGED,
                                Referral.discharged_at >= now - RECENT_DISCHARGE, ~_answered(instrument, "discharge")))
    if instrument.due.every_days:
        last = (select(func.max(QuestionnaireResponse.completed_at))
                .where(QuestionnaireResponse.referral_id == Referral.id,
                       QuestionnaireResponse.instrument_id == instrument.id).scalar_subquery())
        since = func.coalesce(last, Referral.first_contact_at)
        baseline = [_answered(instrument, "first_contact")] if "first_contact" in instrument.due.at else []
        branches.append(_branch(instrument, "review", since, instrument.due.every_days, *seen_and_open, *baseline,
                                since <= now - timedelta(days=instrument.due.every_days)))
    return branches


def _due_query(instruments: Iterable[Instrument], now: datetime, referral_id: int | None = None):
    branches = [branch.where(Referral.id == referral_id) if referral_id is not None else branch
                for instrument in instruments for branch in _branches(instrument, now)]
    return union_all(*branches).subquery("due") if branches else None


def _due(row, instruments: dict[str, Instrument]) -> Due:
    return Due(row.referral_id, instruments[row.instrument_id], row.time_point,
               row.since + timedelta(days=row.after_days))


def due_for_referral(session: Session, instruments: dict[str, Instrument], referral_id: int,
                     now: datetime) -> list[Due]:
    """The instruments due now on one referral, in the worklist's order."""
    due = _due_query(instruments.values(), now, referral_id)
    if due is None:
        return []
    found = [_due(row, instruments) for row in session.execute(select(due))]
    return sorted(found, key=lambda item: item.instrument.id)


def count_due(session: Session, instruments: dict[str, Instrument], now: datetime, at_most: int | None = None) -> int:
    """How many are due; counting stops at `at_most`, so a count that only has to say "many" reads that many rows."""
    due = _due_query(instruments.values(), now)
    if due is None:
        return 0
    return session.scalar(select(func.count()).select_from(select(due.c.referral_id).limit(at_most).subquery()))


def due_page(session: Session, instruments: dict[str, Instrument], now: datetime, page: int) -> DuePage:
    """The worklist: every questionnaire due and not returned, the longest-waiting referral first."""
    total = count_due(session, instruments, now)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    due = _due_query(instruments.values(), now)
    if due is None:
        return DuePage([], 0, 1, 1)
    rows = session.execute(select(due).order_by(due.c.received_at, due.c.referral_id, due.c.instrument_id)
                           .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    referrals = {r.id: r for r in session.scalars(select(Referral).where(
        Referral.id.in_({row.referral_id for row in rows})))}
    return DuePage([(referrals[row.referral_id], _due(row, instruments)) for row in rows], total, page, pages)


def referral_section(session: Session, instruments: dict[str, Instrument], referral: Referral, role: str | None,
                     now: datetime | None = None) -> ReferralQuestionnaires:
    now = now or datetime.now(UTC)
    completed = [Completed(response, instruments[response.instrument_id].title
                           if response.instrument_id in instruments else response.instrument_id)
                 for response in responses_for_referral(session, referral.id)]
    return ReferralQuestionnaires(completed, due_for_referral(session, instruments, referral.id, now),
                                  role in CLINICAL_READ)


def due_time_point(session: Session, instruments: dict[str, Instrument], referral_id: int, instrument_id: str,
                   now: datetime) -> str | None:
    """The time point an instrument is due at on a referral, which the entry form starts with; None if not due."""
    return next((item.time_point for item in due_for_referral(session, instruments, referral_id, now)
                 if item.instrument.id == instrument_id), None)
