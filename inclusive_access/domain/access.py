"""Role checks the domain applies itself, so no caller can skip them."""
from collections.abc import Iterable

from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import NotPermitted

#: booking's work, which clinicians and seniors do too: intake, triage and its booking script, booking, clarifications,
#: and reaching the patient after a missed appointment (contact attempts, barriers found)
BOOKING_WORK = frozenset({"booking", "clinician", "senior"})
#: clinical and safeguarding judgements, which need a clinician's training: attendance outcomes, completing a barrier
#: check and its "was not brought" safeguarding answer, reasonable adjustments, a patient's details
CLINICAL_JUDGEMENT = frozenset({"clinician", "senior"})
#: audit samples and findings: the auditor's alone, so findings stay independent of those who run the service
AUDIT_WORK = frozenset({"auditor"})
#: the event log's own pages: timelines, access logs, verification
AUDIT_LOG = frozenset({"auditor", "manager"})
CLINICAL_READ_ROLES = frozenset({"booking", "clinician", "senior", "auditor", "manager"})
ADMIN_ROLES = frozenset({"manager"})


def require_role(actor: Actor, roles: Iterable[str], allow_system: bool = False) -> None:
    """Raise NotPermitted unless the actor holds one of `roles` (system jobs only when allowed)."""
    if actor.user_id is None and allow_system:
        return
    if actor.role not in roles:
        raise NotPermitted(f"The {actor.role or 'system'} role may not do this.")
