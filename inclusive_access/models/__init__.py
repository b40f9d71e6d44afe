"""All models, re-exported so Alembic sees the whole schema."""
from inclusive_access.models.events import Event
from inclusive_access.models.patients import Patient
from inclusive_access.models.referrals import REFERRAL_STATES, Pathway, Referral
from inclusive_access.models.users import ROLES, User, UserSession

__all__ = ["REFERRAL_STATES", "ROLES", "Event", "Pathway", "Patient", "Referral", "User", "UserSession"]
