"""A minimum record joins the core record on a referral: when the person is not on file they are registered from
what they gave at the venue, marked "identity not verified"; when they are on file with no open referral, or are
new, an outreach referral is received for them through the intake's own rules (flags derived from the record on
file, the triage clock started), then the record is linked to it."""
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import intake, outreach_reconciliation, states
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord, TransitionNotAllowed
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import OutreachRecord, Patient, Referral, User

#: the pathway an outreach record's referral is on (seeded by migration 0027)
OUTREACH_PATHWAY = "outreach"
#: the family name of a person who gave none: clearly not a name, so no one reads it as theirs, and search finds
#: it ("not given") should staff look for such people
FAMILY_NAME_NOT_GIVEN = "Not given"
#: the referrer's organisation when the venue has no partner: the service's own outreach team
OUTREACH_TEAM = "Outreach team (this service)"
#: what registration records for what an outreach record does not ask: not known, never guessed
NOT_KNOWN_SEX, NOT_KNOWN_ETHNICITY = "not_known", "99"
#: the housing status a record flagged for housing instability gives: the venues are hostels and day centres, but
#: which kind of instability is not asked, so the least specific unstable status
FLAGGED_HOUSING = "no_fixed_abode"


def register_and_link(session: Session, actor: Actor, record: OutreachRecord, seen_version: int,
                      now: datetime | None = None, policy: Policy = DEFAULT_POLICY) -> Patient:
    """Register the person the record describes as a new patient, identity not verified, receive an outreach
    referral for them and link the record to it."""
    _check(session, actor, record, seen_version)
    if intake.find_patient(session, record.nhs_number):
        raise InvalidInput({"nhs_number": "A patient with this NHS number is on file: match the record to them"})
    now = now or datetime.now(UTC)
    born, estimated = _date_of_birth(record)
    details = intake.PatientDetails(
        nhs_number=record.nhs_number, given_name=record.given_name,
        family_name=record.family_name or FAMILY_NAME_NOT_GIVEN, date_of_birth=born, sex=NOT_KNOWN_SEX,
        postcode=record.postcode, imd_decile=None, imd_index=None, ethnic_category=NOT_KNOWN_ETHNICITY,
        preferred_language=None, interpreter_needed=None, communication_needs=[],
        housing_status=FLAGGED_HOUSING if "housing" in record.flags else "not_known", learning_disability=None,
        cognitive_impairment=None, caring_responsibilities=None)
    patient = intake.register_patient(session, actor, details, now, identity_verified=False,
                                      date_of_birth_estimated=estimated)
    referral = intake.receive_on_file(session, actor, patient, _referral_details(session, record), now=now,
                                      policy=policy)
    outreach_reconciliation.link(session, actor, record, referral, seen_version, kind="new_patient", now=now)
    return patient


def refer_and_link(session: Session, actor: Actor, record: OutreachRecord, patient: Patient, seen_version: int,
                   now: datetime | None = None, policy: Policy = DEFAULT_POLICY) -> Referral:
    """The record is this patient on file, who has no open referral: receive an outreach referral for them and
    link the record to it."""
    _check(session, actor, record, seen_version)
    if session.scalar(select(Referral.id).where(Referral.patient_id == patient.id,
                                                Referral.state.not_in(states.CLOSED_STATES)).limit(1)):
        raise InvalidInput({"referral_id": "Link the record to one of this patient's open referrals"})
    now = now or datetime.now(UTC)
    referral = intake.receive_on_file(session, actor, patient, _referral_details(session, record), now=now,
                                      policy=policy)
    outreach_reconciliation.link(session, actor, record, referral, seen_version, now=now)
    return referral


def _check(session: Session, actor: Actor, record: OutreachRecord, seen_version: int) -> None:
    """link's own checks, before anything is registered or received for the record."""
    if not outreach_reconciliation.may_reconcile(session, actor, record):
        raise NotPermitted("Only the clinicians named on the session may reconcile its records.")
    if record.reconciliation != "unreconciled":
        raise TransitionNotAllowed("This record is already linked to a patient.")
    if seen_version != record.version:
        raise StaleRecord("This record changed since you opened it.")


def _date_of_birth(record: OutreachRecord) -> tuple[date, bool]:
    """The date of birth given, or 1 July of the year the approximate age gives (mid-year: at most six months
    out for the year), marked estimated."""
    if record.date_of_birth:
        return record.date_of_birth, False
    if record.approximate_age is None:
        raise InvalidInput({"approximate_age": "The record has no date of birth or approximate age: ask at the "
                                               "next session before registering the person"})
    return date(record.seen_at.astimezone(LONDON).year - record.approximate_age, 7, 1), True


def _referral_details(session: Session, record: OutreachRecord) -> intake.ReferralDetails:
    """The outreach referral: from the clinician who saw the person, on behalf of the venue's partner (or the
    service's outreach team), received when the person was seen, for the need they presented with. Urgent when a
    safeguarding screen at the venue answered yes."""
    venue = record.session.venue
    seen_on = record.seen_at.astimezone(LONDON)
    return intake.ReferralDetails(
        pathway_code=OUTREACH_PATHWAY, referrer_name=session.get(User, record.recorded_by).display_name,
        referrer_organisation=venue.partner.name if venue.partner else OUTREACH_TEAM,
        referrer_contact=f"Outreach session at {venue.name}, {seen_on:%d %B %Y}"[:160],
        received_at=record.seen_at, reason=record.presenting_need,
        urgency="urgent" if record.safeguarding_screen_positive else "routine", external_ref=None)
