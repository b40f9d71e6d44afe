"""Referral intake: one set of rules for the form and the CSV import, and the receive command."""
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, clocks, events, name_keys, organisations, records, states
from inclusive_access.domain import validation as v
from inclusive_access.domain.access import BOOKING_WORK, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.equity import (
    COMMUNICATION_NEEDS,
    ETHNIC_CATEGORIES,
    HOUSING_STATUSES,
    IMD_INDICES,
    SEXES,
    age_band,
    derive_flags,
    imd_quintile,
)
from inclusive_access.domain.errors import DuplicateSubmission, InvalidInput, OpenReferralExists, TransitionNotAllowed
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.models import Pathway, Patient, Referral

URGENCIES = {"routine": "Routine", "urgent": "Urgent"}
PATIENT_FIELDS = (
    "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode", "imd_decile",
    "imd_index", "ethnic_category", "preferred_language", "interpreter_needed", "communication_needs",
    "housing_status", "learning_disability", "cognitive_impairment", "caring_responsibilities",
)
REFERRAL_FIELDS = (
    "pathway", "referrer_name", "referrer_organisation", "referrer_contact", "received_at",
    "reason", "urgency", "external_ref",
)


@dataclass(frozen=True)
class PatientDetails:
    #: None only for a patient registered from an outreach record who did not know it (identity not verified)
    nhs_number: str | None
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    postcode: str | None
    imd_decile: int | None
    imd_index: str | None
    ethnic_category: str
    preferred_language: str | None
    interpreter_needed: bool | None
    communication_needs: list[str]
    housing_status: str
    learning_disability: bool | None
    cognitive_impairment: bool | None
    caring_responsibilities: bool | None


@dataclass(frozen=True)
class ReferralDetails:
    pathway_code: str
    referrer_name: str
    referrer_organisation: str
    referrer_contact: str
    received_at: datetime
    reason: str
    urgency: str
    external_ref: str | None
    #: the referrer's organisation's ODS code, when given (its name comes from the organisations table if not typed)
    referrer_ods_code: str | None = None


def parse_patient(raw: dict, errors: v.FieldErrors, today: date,
                  without_nhs_number: bool = False) -> PatientDetails | None:
    """Check the patient half of an intake against the rules; errors are collected, not raised.
    `without_nhs_number`: the patient on file has none (registered from an outreach record), so none is sent."""
    needs_raw = raw.get("communication_needs") or []
    if isinstance(needs_raw, str):
        needs_raw = [n.strip() for n in needs_raw.split(";") if n.strip()]
    unknown_needs = [n for n in needs_raw if n not in COMMUNICATION_NEEDS]
    if unknown_needs:
        errors.add("communication_needs", f"Unknown communication need '{unknown_needs[0][:20]}'")
    decile = v.integer_in(errors, raw, "imd_decile", "IMD decile", 1, 10)
    index = v.choice(errors, raw, "imd_index", "which deprivation index", IMD_INDICES, required=False)
    if decile is not None and index is None:
        errors.add("imd_index", "Select which deprivation index the decile comes from")
    details = dict(
        nhs_number=None if without_nhs_number else v.nhs_number_field(errors, raw),
        given_name=v.text(errors, raw, "given_name", "the given name", 100),
        family_name=v.text(errors, raw, "family_name", "the family name", 100),
        date_of_birth=v.past_date(errors, raw, "date_of_birth", "the date of birth", today),
        sex=v.choice(errors, raw, "sex", "sex", SEXES),
        postcode=v.postcode(errors, raw),
        imd_decile=decile,
        imd_index=index if decile is not None else None,
        ethnic_category=v.choice(errors, raw, "ethnic_category", "the ethnic category", ETHNIC_CATEGORIES),
        preferred_language=v.text(errors, raw, "preferred_language", "the preferred language", 60,
                                  required=False),
        interpreter_needed=v.yes_no_unknown(errors, raw, "interpreter_needed", "interpreter needed"),
        communication_needs=sorted(set(needs_raw)),
        housing_status=v.choice(errors, raw, "housing_status", "the housing status", HOUSING_STATUSES),
        learning_disability=v.yes_no_unknown(errors, raw, "learning_disability", "learning disability"),
        cognitive_impairment=v.yes_no_unknown(errors, raw, "cognitive_impairment", "cognitive impairment"),
        caring_responsibilities=v.yes_no_unknown(errors, raw, "caring_responsibilities",
                                                 "caring responsibilities"),
    )
    return None if errors else PatientDetails(**details)


def parse_referral(raw: dict, errors: v.FieldErrors, now: datetime, pathway_codes) -> ReferralDetails | None:
    """Check the referral half of an intake against the rules."""
    details = dict(
        pathway_code=v.choice(errors, raw, "pathway", "the pathway", pathway_codes),
        referrer_name=v.text(errors, raw, "referrer_name", "the referrer's name", 120),
        referrer_organisation=v.text(errors, raw, "referrer_organisation", "the referrer's organisation", 160,
                                     required=not (raw.get("referrer_ods_code") or "").strip()),
        referrer_contact=v.text(errors, raw, "referrer_contact", "the referrer's contact details", 160),
        received_at=v.past_local_datetime(errors, raw, "received_at", "the date and time received", now),
        reason=v.text(errors, raw, "reason", "the reason for referral", 4000, multiline=True),
        urgency=v.choice(errors, raw, "urgency", "the urgency", URGENCIES),
        external_ref=v.text(errors, raw, "external_ref", "the external reference", 64, required=False),
        referrer_ods_code=organisations.parse_code(errors, raw, "referrer_ods_code"),
    )
    return None if errors else ReferralDetails(**details)


def _referral(session: Session, raw: dict, errors: v.FieldErrors, now: datetime) -> ReferralDetails | None:
    """parse_referral, with the organisation's name from the ODS table when only its code was given."""
    referral = parse_referral(raw, errors, now, active_pathway_codes(session))
    if referral is None or not referral.referrer_ods_code:
        return referral
    name = organisations.known_name(session, referral.referrer_ods_code, errors, "referrer_ods_code")
    return replace(referral, referrer_organisation=referral.referrer_organisation or name)


def active_pathway_codes(session: Session) -> dict[str, str]:
    return dict(session.execute(
        select(Pathway.code, Pathway.name).where(Pathway.active).order_by(Pathway.name)).all())


def parse_intake(session: Session, raw: dict, now: datetime | None = None):
    """Validate a whole intake (form or CSV row). Raises InvalidInput with every field's error."""
    now = now or datetime.now(UTC)
    errors = v.FieldErrors()
    patient = parse_patient(raw, errors, now.astimezone(v.LONDON).date())
    referral = _referral(session, raw, errors, now)
    if errors:
        raise InvalidInput(dict(errors))
    return patient, referral


def find_patient(session: Session, nhs_number: str | None) -> Patient | None:
    # no number finds no one: `= NULL` would match nothing, but `IS NULL` would find every unverified patient
    return session.scalar(select(Patient).where(Patient.nhs_number == nhs_number)) if nhs_number else None


def open_referral_id(session: Session, patient_id: int, pathway_id: int) -> int | None:
    """The patient's oldest referral on the pathway that is neither discharged nor rejected."""
    return session.scalar(select(Referral.id).where(
        Referral.patient_id == patient_id, Referral.pathway_id == pathway_id,
        Referral.state.not_in(states.CLOSED_STATES)).order_by(Referral.id).limit(1))


def discharged_before_return(session: Session, patient_id: int, pathway_id: int, received_at: datetime,
                             referral_id: int | None = None) -> Referral | None:
    """The patient's latest other referral on the pathway discharged within 90 days before `received_at`: a referral
    received then is a re-referral (DOMAIN.md), linked by staff or not."""
    earliest = received_at - timedelta(days=clocks.RE_REFERRAL_DAYS + 1)
    candidates = session.scalars(select(Referral).where(
        Referral.patient_id == patient_id, Referral.pathway_id == pathway_id, Referral.id != referral_id,
        Referral.discharged_at.between(earliest, received_at)).order_by(Referral.discharged_at.desc()))
    return next((r for r in candidates if clocks.returns_within_90_days(r.discharged_at, received_at)), None)


def parse_duplicate_reason(reason: str | None) -> str | None:
    """Why another referral is needed on a pathway the patient is open on, as the form and the import check it."""
    errors = v.FieldErrors()
    reason = v.text(errors, {"duplicate_reason": reason}, "duplicate_reason",
                    "the reason for another referral on this pathway", 500, required=False, multiline=True)
    if errors:
        raise InvalidInput(dict(errors))
    return reason


def receive_referral(
    session: Session, actor: Actor, patient: PatientDetails, referral: ReferralDetails,
    submission_token: str | None = None, now: datetime | None = None, policy: Policy = DEFAULT_POLICY,
    previous_referral_id: int | None = None, duplicate_reason: str | None = None,
) -> tuple[Referral, bool]:
    """Register the patient (or link the existing one by NHS number) and receive the referral.

    The patient's record on file is never overwritten by an intake: a known NHS number links
    to it, and flags are derived from it as it stands at receipt. Returns (referral, linked).
    A second open referral on one pathway is refused (OpenReferralExists) unless `duplicate_reason`
    confirms it: a Back and Save, or a referrer's resend, would otherwise put the patient twice on the lists.
    """
    require_role(actor, BOOKING_WORK, allow_system=True)
    events.lock_log(session)
    now = now or datetime.now(UTC)
    _refuse_repeats(session, submission_token, referral.external_ref)
    record = find_patient(session, patient.nhs_number)
    linked = record is not None
    if record is None:
        record = register_patient(session, actor, patient, now)
    return _receive(session, actor, record, linked, referral, submission_token, now, policy, previous_referral_id,
                    duplicate_reason), linked


def register_patient(session: Session, actor: Actor, patient: PatientDetails, now: datetime,
                     identity_verified: bool = True, date_of_birth_estimated: bool = False) -> Patient:
    """A new patient, evented. One registered from an outreach record on the identity the person gave is not
    verified, and may have a date of birth estimated from an approximate age; the event says so."""
    record = Patient(**asdict(patient), **name_keys.keys(patient.given_name, patient.family_name),
                     identity_verified=identity_verified, date_of_birth_estimated=date_of_birth_estimated,
                     created_at=now)
    session.add(record)
    session.flush()
    data = asdict(patient)
    if not identity_verified:
        data.update(identity_verified=False, date_of_birth_estimated=date_of_birth_estimated)
    events.record(session, actor, actions.PATIENT_REGISTERED, "patient", record.id,
                  patient_id=record.id, data=data, now=now)
    return record


def receive_on_file(session: Session, actor: Actor, patient: Patient, referral: ReferralDetails,
                    submission_token: str | None = None, now: datetime | None = None,
                    policy: Policy = DEFAULT_POLICY, previous_referral_id: int | None = None,
                    duplicate_reason: str | None = None) -> Referral:
    """A referral for a patient already on file, found by staff rather than by NHS number (which an unverified
    patient may not have): the rules of receive_referral, the patient's record as it stands."""
    require_role(actor, BOOKING_WORK, allow_system=True)
    events.lock_log(session)
    now = now or datetime.now(UTC)
    _refuse_repeats(session, submission_token, referral.external_ref)
    return _receive(session, actor, patient, True, referral, submission_token, now, policy, previous_referral_id,
                    duplicate_reason)


def _receive(session: Session, actor: Actor, record: Patient, linked: bool, referral: ReferralDetails,
             submission_token: str | None, now: datetime, policy: Policy, previous_referral_id: int | None,
             duplicate_reason: str | None) -> Referral:
    snapshot = {f: getattr(record, f) for f in PATIENT_FIELDS}
    flags = derive_flags(snapshot, policy.deprivation_quintiles)
    pathway = session.scalar(select(Pathway).where(Pathway.code == referral.pathway_code))
    already_open = open_referral_id(session, record.id, pathway.id) if linked else None
    returning = discharged_before_return(session, record.id, pathway.id, referral.received_at) if linked else None
    if already_open:
        duplicate_reason = parse_duplicate_reason(duplicate_reason)
        if not duplicate_reason:
            raise OpenReferralExists(already_open)
    row = Referral(
        patient_id=record.id, pathway_id=pathway.id, external_ref=referral.external_ref,
        submission_token=submission_token, referrer_name=referral.referrer_name,
        referrer_organisation=referral.referrer_organisation, referrer_ods_code=referral.referrer_ods_code,
        referrer_contact=referral.referrer_contact,
        received_at=referral.received_at, reason=referral.reason, urgency=referral.urgency,
        flags=flags, flagged=bool(flags), imd_quintile=imd_quintile(record.imd_decile),
        state="received", created_at=now, previous_referral_id=previous_referral_id,
        triage_due_at=clocks.triage_due(referral.received_at, bool(flags), policy.clocks),
    )
    session.add(row)
    session.flush()
    data = {k: val for k, val in asdict(referral).items()}
    data.update(flags=flags, linked_existing_patient=linked, imd_quintile=row.imd_quintile,
                previous_referral_id=previous_referral_id,
                ethnic_category=record.ethnic_category, triage_due_at=row.triage_due_at, version=row.version,
                sex=record.sex,
                age_band=age_band(record.date_of_birth, referral.received_at.astimezone(v.LONDON).date()))
    if already_open:
        data.update(open_referral_id=already_open, duplicate_reason=duplicate_reason)
    if returning:
        data.update(re_referral_after=returning.id, re_referral_discharged_at=returning.discharged_at)
    events.record(session, actor, actions.REFERRAL_RECEIVED, "referral", row.id,
                  patient_id=record.id, referral_id=row.id, data=data, now=now)
    return row


def _refuse_repeats(session: Session, submission_token: str | None, external_ref: str | None) -> None:
    """A second submit of one form, or a second import of one row, finds the referral the first one made."""
    for column, value in ((Referral.submission_token, submission_token), (Referral.external_ref, external_ref)):
        existing = session.scalar(select(Referral.id).where(column == value)) if value else None
        if existing:
            raise DuplicateSubmission(existing)


def receive_for_patient(session: Session, actor: Actor, patient: Patient, raw: dict, seen_version: int,
                        submission_token: str | None = None, now: datetime | None = None,
                        policy: Policy = DEFAULT_POLICY, duplicate_reason: str | None = None) -> Referral:
    """A referral for a patient on file, chosen at intake: the form shows their details, and staff change only
    what the referral says is different.

    The fields that differ are written as a correction is (records.write_changes: one patient.updated event,
    unchanged fields untouched, a form older than the record refused), and before the flags are derived, so a
    change the referral brings (a new interpreter need, a move into temporary housing) flags this referral.
    """
    require_role(actor, BOOKING_WORK)
    now = now or datetime.now(UTC)
    errors = v.FieldErrors()
    details = parse_patient({**raw, "nhs_number": patient.nhs_number}, errors, now.astimezone(v.LONDON).date(),
                            without_nhs_number=patient.nhs_number is None)
    referral = _referral(session, raw, errors, now)
    if errors:
        raise InvalidInput(dict(errors))
    _refuse_repeats(session, submission_token, referral.external_ref)
    records.write_changes(session, actor, patient, details, seen_version)
    return receive_on_file(session, actor, patient, referral, submission_token, now, policy,
                           duplicate_reason=duplicate_reason)


def re_refer(session: Session, actor: Actor, previous: Referral, raw: dict, submission_token: str | None = None,
             now: datetime | None = None, policy: Policy = DEFAULT_POLICY) -> Referral:
    """A new referral for the same patient, linked to a discharged or rejected one, which stays read-only.

    The new referral's flags are derived afresh from the patient's record as it stands today.
    """
    require_role(actor, BOOKING_WORK)
    now = now or datetime.now(UTC)
    if previous.state not in states.CLOSED_STATES:
        raise TransitionNotAllowed("Only a discharged or rejected referral is re-referred; this one is still open.")
    errors = v.FieldErrors()
    details = _referral(session, raw, errors, now)
    if errors:
        raise InvalidInput(dict(errors))
    row = receive_on_file(session, actor, session.get(Patient, previous.patient_id), details, submission_token, now,
                          policy, previous_referral_id=previous.id, duplicate_reason=raw.get("duplicate_reason"))
    events.record(session, actor, actions.REFERRAL_RE_REFERRED, "referral", previous.id,
                  patient_id=previous.patient_id, referral_id=previous.id, now=now,
                  data={"new_referral_id": row.id, "summary": f"Re-referred as referral {row.id}"})
    return row
