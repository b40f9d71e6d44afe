"""Read queries behind the referral list, the referral page and the patient page."""
from collections import Counter
from dataclasses import dataclass, replace

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from inclusive_access.domain.actions import FHIR_READ, RECORD_VIEWED
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.event_kinds import KIND_OF, KINDS
from inclusive_access.domain.event_view import ShownEvent, shown
from inclusive_access.domain.states import ReferralState
from inclusive_access.models import Event, Pathway, Patient, Referral, SeniorReview, User


@dataclass(frozen=True)
class ReferralFilters:
    pathway: str | None = None
    state: str | None = None
    flagged: bool | None = None
    page: int = 1


@dataclass(frozen=True)
class Page:
    rows: list
    total: int
    page: int
    pages: int


def list_referrals(session: Session, filters: ReferralFilters, per_page: int = 50) -> Page:
    """Newest first; every filter is an indexed column, and only one page of rows is loaded."""
    query = select(Referral).join(Pathway)
    if filters.pathway:
        query = query.where(Pathway.code == filters.pathway)
    if filters.state == ReferralState.NEEDS_SENIOR_REVIEW:
        # No transition leads to this state: what waits for a senior is a pending review (read through
        # uq_senior_reviews_one_pending), whatever the referral's state.
        query = query.where(select(SeniorReview.id).where(SeniorReview.referral_id == Referral.id,
                                                          SeniorReview.decided_at.is_(None)).exists())
    elif filters.state:
        query = query.where(Referral.state == filters.state)
    if filters.flagged is not None:
        query = query.where(Referral.flagged == filters.flagged)
    found = page_of(session, query.order_by(Referral.received_at.desc(), Referral.id.desc()), filters.page, per_page)
    return replace(found, rows=[referral for (referral,) in found.rows])


def page_of(session: Session, query: Select, page: int, per_page: int) -> Page:
    """One page of an ordered query's rows (a page past the last gives the last), with the total and the pages:
    only one page of rows is loaded."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows=rows, total=total, page=page, pages=pages)


@dataclass(frozen=True)
class RecordTimeline:
    """A record's timeline, perhaps one kind of event only, with how many events of each kind it holds."""

    events: list[ShownEvent]
    #: kind -> events of that kind on the whole timeline, in event_kinds.KINDS order, kinds with none left out
    counts: dict[str, int]
    #: the kind shown, or None for every event
    kind: str | None
    total: int


def timeline(session: Session, viewer: Actor, *, referral_id: int | None = None,
             patient_id: int | None = None, kind: str | None = None) -> RecordTimeline:
    """Every change to a referral or patient, oldest first, with who made it, as much of it as the viewer's role
    may read (event_view.POLICY); of one kind (event_kinds.KINDS) when `kind` names one, else of every kind.

    Views (a member of staff's, or a system's through the FHIR API) are left out: they belong to the access log,
    and would bury the changes on a busy record.
    """
    query = (select(Event, User.display_name).join(User, User.id == Event.actor_id, isouter=True)
             .where(Event.action.not_in((RECORD_VIEWED, FHIR_READ))))
    if referral_id is not None:
        query = query.where(Event.referral_id == referral_id)
    else:
        query = query.where(Event.patient_id == patient_id)
    every = [shown(event, name, viewer.role) for event, name in session.execute(query.order_by(Event.seq)).all()]
    found = Counter(KIND_OF.get(event.action) for event in every)
    kind = kind if kind in KINDS else None  # a hand-edited URL shows everything rather than an error
    return RecordTimeline(events=[e for e in every if kind is None or KIND_OF.get(e.action) == kind],
                          counts={k: found[k] for k in KINDS if found[k]}, kind=kind, total=len(every))


def referrals_for_patient(session: Session, patient: Patient) -> list[Referral]:
    return session.scalars(
        select(Referral).where(Referral.patient_id == patient.id).order_by(Referral.received_at.desc())
    ).all()


def re_referrals(session: Session, referral_id: int) -> list[Referral]:
    """The referrals made later that link back to this one."""
    return list(session.scalars(select(Referral).where(Referral.previous_referral_id == referral_id)
                                .order_by(Referral.received_at)))
