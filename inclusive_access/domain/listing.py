"""Read queries behind the referral list, the referral page and the patient page."""
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from inclusive_access.domain import keyset
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
    #: the page just older than this referral ("Next"), or just newer ("Previous"); neither: the newest
    after: keyset.Key | None = None
    before: keyset.Key | None = None


@dataclass(frozen=True)
class Page:
    rows: list
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class ReferralPage:
    rows: list[Referral]
    newer: keyset.Key | None
    older: keyset.Key | None
    #: referrals matching the filters, counted no further than COUNT_BOUND + 1
    matching: int


#: referrals on a page of the list
PER_PAGE = 50
#: the referral list counts the referrals that match up to here, and says "more than" past it
COUNT_BOUND = 1000

#: newest first, read backwards along ix_referrals_received, ix_referrals_pathway_received,
#: ix_referrals_state_received or ix_referrals_flagged_received (each ends in received_at, id)
_NEWEST = keyset.Order(Referral.received_at, Referral.id, lambda row: keyset.Key(row[0].received_at, row[0].id))


def list_referrals(session: Session, filters: ReferralFilters, per_page: int = PER_PAGE) -> ReferralPage:
    """Newest first, a page at a time by keyset on an index that holds each filter's referrals in that order: the
    first page and the thousandth cost the same, whatever the number of referrals."""
    query = select(Referral)
    if filters.pathway:
        # the pathway's id, so the referrals are read from one index rather than joined to the pathways
        query = query.where(Referral.pathway_id == select(Pathway.id).where(Pathway.code == filters.pathway)
                            .scalar_subquery())
    if filters.state == ReferralState.NEEDS_SENIOR_REVIEW:
        # No transition leads to this state: what waits for a senior is a pending review, whatever the referral's
        # state. Read from the pending reviews (ix_senior_reviews_pending), so the page sorts the senior's open
        # queue, never tests every referral there has been for a review.
        query = query.where(Referral.id.in_(select(SeniorReview.referral_id).where(SeniorReview.decided_at.is_(None))))
    elif filters.state:
        query = query.where(Referral.state == filters.state)
    if filters.flagged is not None:
        query = query.where(Referral.flagged == filters.flagged)
    found = keyset.page(session, query, _NEWEST, after=filters.after, before=filters.before, per_page=per_page)
    return ReferralPage(rows=[referral for (referral,) in found.rows], newer=found.newer, older=found.older,
                        matching=keyset.bounded_count(session, query, _NEWEST, COUNT_BOUND))


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
