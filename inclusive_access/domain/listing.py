"""Read queries behind the referral list, the referral page and the patient page."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inclusive_access.domain.actors import Actor
from inclusive_access.domain.event_view import ShownEvent, shown
from inclusive_access.domain.events import RECORD_VIEWED
from inclusive_access.models import Event, Pathway, Patient, Referral, User


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
    if filters.state:
        query = query.where(Referral.state == filters.state)
    if filters.flagged is not None:
        query = query.where(Referral.flagged == filters.flagged)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, filters.page), pages)
    rows = session.scalars(
        query.order_by(Referral.received_at.desc(), Referral.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(rows=rows, total=total, page=page, pages=pages)


def timeline(session: Session, viewer: Actor, *, referral_id: int | None = None,
             patient_id: int | None = None) -> list[ShownEvent]:
    """Every change to a referral or patient, oldest first, with who made it, as much of it as the viewer's role
    may read (event_view.POLICY).

    Views are left out: they belong to the access log, and would bury the changes on a busy record.
    """
    query = (select(Event, User.display_name).join(User, User.id == Event.actor_id, isouter=True)
             .where(Event.action != RECORD_VIEWED))
    if referral_id is not None:
        query = query.where(Event.referral_id == referral_id)
    else:
        query = query.where(Event.patient_id == patient_id)
    return [shown(event, name, viewer.role) for event, name in session.execute(query.order_by(Event.seq)).all()]


def referrals_for_patient(session: Session, patient: Patient) -> list[Referral]:
    return session.scalars(
        select(Referral).where(Referral.patient_id == patient.id).order_by(Referral.received_at.desc())
    ).all()


def re_referrals(session: Session, referral_id: int) -> list[Referral]:
    """The referrals made later that link back to this one."""
    return list(session.scalars(select(Referral).where(Referral.previous_referral_id == referral_id)
                                .order_by(Referral.received_at)))
