"""The roles, and who may do what, named once: the domain's own checks, the route policy (security.ACCESS), the
transition table (states) and what each role reads of an event (event_view) all use these sets, so a set that means
one thing has one name. The role column itself is models.ROLES."""
from collections.abc import Iterable

from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import NotPermitted
from inclusive_access.models import ROLES

#: what each role is called on a page
ROLE_NAMES = {"booking": "Booking staff", "clinician": "Clinician", "senior": "Senior clinician",
              "auditor": "Auditor", "manager": "Service manager"}
#: every role: what the record's own pages show them all (the patient, the referral, adjustments)
EVERYONE = frozenset(ROLES)
#: booking's work, which clinicians and seniors do too: intake, triage and its booking script, booking, clarifications,
#: reaching the patient after a missed appointment (contact attempts, barriers found), and sending the patient a
#: questionnaire to answer themselves (which judges nothing)
BOOKING_WORK = frozenset({"booking", "clinician", "senior"})
#: clinical and safeguarding judgements, which need a clinician's training: attendance outcomes, completing a barrier
#: check and its "was not brought" safeguarding answer, reasonable adjustments, asking for discharge, raising a concern
CLINICAL_JUDGEMENT = frozenset({"clinician", "senior"})
#: decisions DOMAIN.md reserves to a senior clinician: discharge, rejection reviews, closing a safeguarding concern
SENIOR_JUDGEMENT = frozenset({"senior"})
#: operational text the care team writes and works from, which the auditor reads too
CARE_TEAM = frozenset({"booking", "clinician", "senior", "auditor"})
#: clinical judgements and safeguarding detail: clinicians' and seniors' work, read by the auditor (DOMAIN.md);
#: booking and managers see that it happened and its codes, never this text
CLINICAL_READ = frozenset({"clinician", "senior", "auditor"})
#: the equity dashboard, report and governance items
REPORT_READERS = frozenset({"senior", "auditor", "manager"})
#: partnership review meetings with outreach partners: the service manager runs them, and the senior clinicians who
#: lead outreach clinically bring the learning from incidents and complaints and take actions; the auditor reads the
#: minutes (REPORT_READERS) but records none, so the audit stays independent of those who run the service
PARTNERSHIP_LEADS = frozenset({"senior", "manager"})
#: audit samples and findings: the auditor's alone, so findings stay independent of those who run the service
AUDIT_WORK = frozenset({"auditor"})
#: the event log's own pages (timelines, access logs, verification), accounts and access
OVERSIGHT = frozenset({"auditor", "manager"})
#: accounts, imports and governance actions: the service manager's
MANAGEMENT = frozenset({"manager"})


def require_role(actor: Actor, roles: Iterable[str], allow_system: bool = False) -> None:
    """Raise NotPermitted unless the actor holds one of `roles` (system jobs only when allowed)."""
    if actor.user_id is None and allow_system:
        return
    if actor.role not in roles:
        raise NotPermitted(f"The {actor.role or 'system'} role may not do this.")
