"""The reconciliation list: the minimum records a clinician may reconcile (those of sessions they are named on) not
yet linked to a patient, positive safeguarding screens first, then oldest first; and who may open one record."""
from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from inclusive_access.domain import outreach
from inclusive_access.domain.access import SENIOR_JUDGEMENT
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.outreach_reconciliation import may_reconcile
from inclusive_access.models import OutreachRecord
from inclusive_access.models.outreach import session_clinicians

#: records shown at once: a clinician's own sessions hold far fewer unreconciled records than this
LIMIT = 200


def unreconciled_for(session: Session, actor: Actor, limit: int = LIMIT) -> list[OutreachRecord]:
    """Reads ix_outreach_records_reconciliation (unreconciled, by received_at) for the sessions the actor is named
    on; the safeguarding-first order sorts only those rows."""
    if actor.role not in outreach.OUTREACH_CLINICIANS:
        return []
    positive = or_(OutreachRecord.exploitation_risk == "yes", OutreachRecord.self_neglect_risk == "yes")
    return list(session.scalars(
        select(OutreachRecord)
        .join(session_clinicians, session_clinicians.c.session_id == OutreachRecord.session_id)
        .where(OutreachRecord.reconciliation == "unreconciled", session_clinicians.c.user_id == actor.user_id)
        .order_by(case((positive, 0), else_=1), OutreachRecord.received_at, OutreachRecord.id).limit(limit)))


def may_open(session: Session, actor: Actor, record: OutreachRecord) -> bool:
    """Before reconciliation only the session's named clinicians see a record; once linked it is in the patient's
    record, and a senior may open it to undo a wrong link."""
    return may_reconcile(session, actor, record) or (
        record.reconciliation != "unreconciled" and actor.role in SENIOR_JUDGEMENT)
