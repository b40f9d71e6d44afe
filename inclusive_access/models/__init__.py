"""All models, re-exported so Alembic sees the whole schema."""

from inclusive_access.models.adjustments import AdjustmentDelivery, ReasonableAdjustment
from inclusive_access.models.api_clients import ApiClient
from inclusive_access.models.appointments import Appointment
from inclusive_access.models.audit import AuditAnswer, AuditFinding, AuditSample, AuditSampleRecord
from inclusive_access.models.barriers import BarrierCheck, BarrierContactAttempt
from inclusive_access.models.clarifications import Clarification, ContactAttempt
from inclusive_access.models.contact_tasks import ContactTask
from inclusive_access.models.events import Event
from inclusive_access.models.export_jobs import ExportJob
from inclusive_access.models.facts import MonthlyWait, ReferralFact, ReferralFactCount, UnrebookedDna
from inclusive_access.models.governance import GovernanceItem, ReportedKpiMonth
from inclusive_access.models.imports import ImportJob, ImportRow
from inclusive_access.models.login_throttles import LoginThrottle
from inclusive_access.models.messages import ContactDetails, OutboxMessage
from inclusive_access.models.organisations import Organisation
from inclusive_access.models.outcomes import OutcomeFact, QuestionnaireResponse
from inclusive_access.models.outreach import (
    EngagementPlan,
    EngagementStep,
    OutreachRecord,
    OutreachSession,
    Partner,
    Venue,
)
from inclusive_access.models.partnership_reviews import PartnershipReview, ReviewAction
from inclusive_access.models.patients import Patient
from inclusive_access.models.questionnaire_links import LinkThrottle, QuestionnaireLink
from inclusive_access.models.referrals import REFERRAL_STATES, Pathway, Referral
from inclusive_access.models.reviews import SeniorReview
from inclusive_access.models.safeguarding import SafeguardingAction, SafeguardingConcern
from inclusive_access.models.triage import TriageRecord
from inclusive_access.models.urgent_contacts import UrgentContact
from inclusive_access.models.users import ROLES, User, UserSession

__all__ = [
    "REFERRAL_STATES",
    "ROLES",
    "AdjustmentDelivery",
    "ApiClient",
    "Appointment",
    "AuditAnswer",
    "AuditFinding",
    "AuditSample",
    "AuditSampleRecord",
    "BarrierCheck",
    "BarrierContactAttempt",
    "Clarification",
    "ContactDetails",
    "ContactTask",
    "EngagementPlan",
    "EngagementStep",
    "ContactAttempt",
    "Event",
    "ExportJob",
    "GovernanceItem",
    "ImportJob",
    "ImportRow",
    "LinkThrottle",
    "LoginThrottle",
    "MonthlyWait",
    "Organisation",
    "OutboxMessage",
    "OutcomeFact",
    "OutreachRecord",
    "OutreachSession",
    "Partner",
    "PartnershipReview",
    "Pathway",
    "Patient",
    "QuestionnaireLink",
    "QuestionnaireResponse",
    "ReasonableAdjustment",
    "ReferralFact",
    "ReferralFactCount",
    "UnrebookedDna",
    "UrgentContact",
    "Venue",
    "Referral",
    "ReportedKpiMonth",
    "ReviewAction",
    "SafeguardingAction",
    "SafeguardingConcern",
    "SeniorReview",
    "TriageRecord",
    "User",
    "UserSession",
]
