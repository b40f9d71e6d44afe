"""Where to reach a patient, and the carer or advocate who receives messages for them: recorded by the care team,
checked as GOV.UK Notify will check them, versioned, and evented.

Why the limits: Notify sends text messages to UK mobile numbers and prints a letter's address in seven lines, the
first the addressee's name and the last the postcode, so an address keeps at most five lines of its own (each at
most 35 characters, as Royal Mail prints them) and at least one, for Notify's minimum of three. The patient's
postcode is the one on their record; a carer's is recorded here.
"""
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, locking
from inclusive_access.domain import validation as v
from inclusive_access.domain.access import BOOKING_WORK, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord
from inclusive_access.domain.message_routes import MAX_ADDRESS_LINES, contact_details_for
from inclusive_access.models import ContactDetails, Patient

LINE_LENGTH = 35
#: an email address as Notify would accept it: something, one @, a domain with a dot, no spaces
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
#: field -> its label in staff words (the form's, the timeline's)
LABELS = {"mobile": "mobile number", "email": "email address", "address_lines": "address",
          "carer_name": "carer's or advocate's name", "carer_mobile": "carer's mobile number",
          "carer_email": "carer's email address", "carer_address_lines": "carer's address",
          "carer_postcode": "carer's postcode"}


@dataclass(frozen=True)
class ContactInfo:
    mobile: str | None = None
    email: str | None = None
    address_lines: tuple[str, ...] = ()
    carer_name: str | None = None
    carer_mobile: str | None = None
    carer_email: str | None = None
    carer_address_lines: tuple[str, ...] = ()
    carer_postcode: str | None = None

    @classmethod
    def of(cls, row: ContactDetails | None) -> "ContactInfo":
        if row is None:
            return cls()
        return cls(row.mobile, row.email, tuple(row.address_lines or ()), row.carer_name, row.carer_mobile,
                   row.carer_email, tuple(row.carer_address_lines or ()), row.carer_postcode)


def uk_mobile(errors: v.FieldErrors, raw: dict, field: str, label: str) -> str | None:
    """A UK mobile number (07 and nine more digits; +44 or 0044 for the 0 allowed), stored as "07700 900123"."""
    typed = (raw.get(field) or "").strip()
    digits = re.sub(r"[\s\-().]", "", typed)
    if not digits:
        return None
    digits = re.sub(r"^(\+44|0044|44)0?(?=7)", "0", digits)  # +44 (0)7700 ... as people write it
    if not re.fullmatch(r"07\d{9}", digits):
        errors.add(field, f"Enter a UK {label}, like 07700 900982")
        return None
    return f"{digits[:5]} {digits[5:]}"


def email_address(errors: v.FieldErrors, raw: dict, field: str, label: str) -> str | None:
    value = v.text(errors, raw, field, label, 320, required=False)
    if value and not EMAIL.match(value):
        errors.add(field, f"Enter the {label} in the correct format, like name@example.com")
        return None
    return value


def address(errors: v.FieldErrors, raw: dict, prefix: str, label: str) -> tuple[str, ...]:
    """`prefix`1..5 as typed, blank lines dropped; the first line missing field takes the message."""
    lines = []
    for n in range(1, MAX_ADDRESS_LINES + 1):
        value = v.text(errors, raw, f"{prefix}{n}", f"line {n} of the {label}", LINE_LENGTH, required=False)
        if value:
            lines.append(value)
    return tuple(lines)


def parse_contact_details(raw: dict) -> ContactInfo:
    """The form's fields (address_line_1.., carer_address_line_1..) as contact details, or InvalidInput naming
    each field's first problem. Carer details need the carer's name; a carer's address needs its postcode."""
    errors = v.FieldErrors()
    info = ContactInfo(
        mobile=uk_mobile(errors, raw, "mobile", "mobile number"),
        email=email_address(errors, raw, "email", "email address"),
        address_lines=address(errors, raw, "address_line_", "address"),
        carer_name=v.text(errors, raw, "carer_name", "the carer's or advocate's name", 120, required=False),
        carer_mobile=uk_mobile(errors, raw, "carer_mobile", "mobile number for the carer"),
        carer_email=email_address(errors, raw, "carer_email", "carer's email address"),
        carer_address_lines=address(errors, raw, "carer_address_line_", "carer's address"),
        carer_postcode=v.postcode(errors, raw, "carer_postcode"))
    carer_given = info.carer_mobile or info.carer_email or info.carer_address_lines or info.carer_postcode
    if carer_given and not info.carer_name:
        errors.add("carer_name", "Enter the carer's or advocate's name, or remove their contact details")
    if info.carer_address_lines and not info.carer_postcode:
        errors.add("carer_postcode", "Enter the postcode of the carer's address")
    if info.carer_postcode and not info.carer_address_lines:
        errors.add("carer_address_line_1", "Enter the carer's address, or remove its postcode")
    if errors:
        raise InvalidInput(dict(errors))
    return info


def record_contact_details(session: Session, actor: Actor, patient: Patient, seen_version: int,
                           details: ContactInfo, now: datetime | None = None) -> ContactDetails:
    """Save the patient's contact details; `seen_version` is the version the form showed (0: there were none).

    The event names the fields changed ("changed", for every role) and their values before and after ("changes":
    personal, for the care team alone, domain.event_view)."""
    require_role(actor, BOOKING_WORK)
    now = now or datetime.now(UTC)
    events.lock_log(session)
    row = contact_details_for(session, patient.id)
    if (row.version if row is not None else 0) != seen_version:
        raise StaleRecord("This patient's contact details changed since you opened them.")
    before, after = asdict(ContactInfo.of(row)), asdict(details)
    changes = {field: [_stored(before[field]), _stored(after[field])] for field in after
               if before[field] != after[field]}
    if row is None:
        row = ContactDetails(patient_id=patient.id)
        session.add(row)
    for field, value in after.items():
        setattr(row, field, _stored(value))
    row.updated_by, row.updated_at = actor.user_id, now
    locking.flush(session, "patient's contact details")
    events.record(session, actor, actions.PATIENT_CONTACT_DETAILS_RECORDED, "contact_details", row.id,
                  patient_id=patient.id, now=now,
                  data={"version": row.version, "changed": list(changes), "changes": changes})
    return row


def _stored(value):
    return list(value) if isinstance(value, tuple) else value
