"""A safeguarding answer at the venue joins the existing safeguarding route: linking a record whose screen answered
yes raises a concern on the referral it joins, in the same transaction. Until then the safeguarding list says how
many such records wait to be reconciled, so a positive screen is never out of sight while nobody links it."""
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from inclusive_access.domain import outreach, safeguarding
from inclusive_access.domain.access import SENIOR_JUDGEMENT
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.outreach_records import RISKS
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import OutreachRecord, Referral, SafeguardingConcern
from inclusive_access.models.outreach import session_clinicians


def concern_details(record: OutreachRecord) -> safeguarding.ConcernDetails:
    """One concern for one screen: both answers and the worry in one text, so one multi-agency route holds it all.
    Its category is exploitation when that answer was yes (the issue's pathway names exploitation risk), else
    self-neglect. Whether it followed a pathway delay is not asked at the venue: not known."""
    seen = record.seen_at.astimezone(LONDON)
    text = (f"Safeguarding screen at outreach ({record.session.venue.name}, {seen:%-d %b %Y}): "
            f"risk of exploitation {RISKS[record.exploitation_risk].lower()}, "
            f"risk of self-neglect {RISKS[record.self_neglect_risk].lower()}. {record.safeguarding_detail or ''}")
    category = "exploitation_risk" if record.exploitation_risk == "yes" else "self_neglect"
    return safeguarding.ConcernDetails(category, text.strip())


def raise_on_link(session: Session, actor: Actor, record: OutreachRecord, referral: Referral,
                  now: datetime) -> SafeguardingConcern | None:
    """The concern for a positive screen, raised by the clinician linking the record. Linked again to the referral
    whose concern from this record is still open (a link undone and redone), that concern stands for it."""
    if not record.safeguarding_screen_positive:
        return None
    if (kept := left_open(session, record)) is not None and kept.referral_id == referral.id:
        return kept
    concern = safeguarding.raise_concern(session, actor, referral, concern_details(record), now=now)
    record.safeguarding_concern_id = concern.id
    return concern


def left_open(session: Session, record: OutreachRecord) -> SafeguardingConcern | None:
    """The concern the record's link raised, while it is open: undoing the link leaves it for a senior to close."""
    if record.safeguarding_concern_id is None:
        return None
    concern = session.get(SafeguardingConcern, record.safeguarding_concern_id)
    return concern if concern.status == "open" else None


def count_waiting(session: Session, actor: Actor) -> int | None:
    """Records not yet reconciled whose screen answered yes: a clinician counts those of the sessions they are
    named on (only they see its records), a senior all of them; None for other roles. Reads
    ix_outreach_records_reconciliation: the unreconciled list is short-lived."""
    if actor.role not in outreach.OUTREACH_CLINICIANS:
        return None
    query = select(func.count()).select_from(OutreachRecord).where(
        OutreachRecord.reconciliation == "unreconciled",
        or_(OutreachRecord.exploitation_risk == "yes", OutreachRecord.self_neglect_risk == "yes"))
    if actor.role not in SENIOR_JUDGEMENT:
        query = query.where(OutreachRecord.session_id.in_(
            select(session_clinicians.c.session_id).where(session_clinicians.c.user_id == actor.user_id)))
    return session.scalar(query)
