"""Which channel, template and addressee a message to a patient takes, decided from what is recorded about them.

The booking script's answers (the referral's triage record) say how the person wants to be contacted; the patient's
communication needs say in what format; their contact details say where. The rules, in order:

1. Not safe to leave a message (the script's answer is no): nothing is sent automatically, to anyone. The message is
   withheld with the reason, and staff contact the person as the script says.
2. Whom it is addressed to: the carer or advocate when the script's contact method is "through a carer or advocate",
   or, with no script answer, when the patient's communication needs include an advocate and one is recorded.
   Otherwise the patient.
3. The channel, by the script's contact method: text -> text message to the mobile; email -> email; letter -> letter;
   telephone -> a text message if a mobile is recorded, else a letter (nobody rings automatically); no answer ->
   the first recorded of mobile, email, postal address. A carer or advocate gets a text message if their mobile is
   recorded, else an email, else a letter to their address.
4. A letter's template follows the patient's needs when the patient is the addressee: easy read
   (letter_easy_read) over large print (letter_large_print) when both are recorded, because easy read is also set
   in large type while large print alone does not make the words easier; otherwise the standard letter. Braille:
   Notify cannot print it, so a letter to a patient who needs braille is withheld for staff to send by hand (a
   text message or email is still sent: it is read aloud or on a braille display). A carer's letter is standard.
5. The chosen channel's details missing (no mobile for a text, no address for a letter): withheld, naming what is
   missing, so staff can record it or make contact another way.

Every message names an interpreter's language (`interpreter_language`: the script's language when it says an
interpreter is needed, else the patient's preferred language when their record says so, else empty). A letter
carries address_line_1 (the addressee's name) to address_line_7, the postcode last; contact details keep at most
five address lines so that fits Notify's seven, and at least one so there are Notify's minimum three.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain.clocks import LONDON
from inclusive_access.domain.outbox import MessageSettings, Route, Withheld
from inclusive_access.models import ContactDetails, Patient, Referral, TriageRecord

NOT_SAFE = "Not safe to leave a message: contact the person as the booking script says"
BRAILLE = "The patient needs braille, which Notify cannot send: send the letter by hand"
#: Notify's letter: seven address lines, the first the addressee's name, the last the postcode
MAX_ADDRESS_LINES = 5


@dataclass(frozen=True)
class _Addressee:
    """Whom a message goes to and where they can be reached."""

    who: str
    name: str
    mobile: str | None
    email: str | None
    address_lines: tuple[str, ...]
    postcode: str | None


def contact_details_for(session: Session, patient_id: int) -> ContactDetails | None:
    return session.scalar(select(ContactDetails).where(ContactDetails.patient_id == patient_id))


def display_name(patient: Patient) -> str:
    """The patient's name as a letter or message addresses them (not the record's upper-cased family name)."""
    return f"{patient.given_name} {patient.family_name}"


def interpreter_language(answers: dict, patient: Patient) -> str:
    if answers.get("interpreter_needed") and answers.get("language"):
        return answers["language"]
    if patient.interpreter_needed and patient.preferred_language:
        return patient.preferred_language
    return ""


def london_date(moment: datetime) -> str:
    """e.g. "Tuesday 8 December 2026"."""
    local = moment.astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y}"


def london_time(moment: datetime) -> str:
    """e.g. "2:30pm", "9am"."""
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{hour}{'' if local.minute == 0 else f':{local.minute:02d}'}{'am' if local.hour < 12 else 'pm'}"


def route_for(session: Session, patient: Patient, referral: Referral | None, settings: MessageSettings,
              personalisation: dict | None = None) -> Route | Withheld:
    """How a message about `referral` reaches `patient` (or their carer), with `personalisation` (the message
    kind's own fields) added to what every message carries. The rules are the module's docstring."""
    # the booking script's answers (domain.triage saves them; read here directly, as triage imports this chain)
    answers = (session.scalar(select(TriageRecord.answers).where(TriageRecord.referral_id == referral.id))
               if referral is not None else None) or {}
    method = answers.get("contact_method") or None
    details = contact_details_for(session, patient.id)
    if answers.get("safe_to_leave_message") is False:
        return Withheld(NOT_SAFE, _addressed_to(method, patient, details))
    addressee = _addressee(method, patient, details)
    if isinstance(addressee, Withheld):
        return addressee
    channel = _channel(method, addressee)
    if isinstance(channel, Withheld):
        return channel
    template = channel
    if channel == "letter" and addressee.who == "patient":
        needs = set(patient.communication_needs or ())
        if "braille" in needs:
            return Withheld(BRAILLE)
        template = ("letter_easy_read" if "easy_read" in needs
                    else "letter_large_print" if "large_print" in needs else "letter")
    fields = {"name": addressee.name, "patient_name": display_name(patient),
              "interpreter_language": interpreter_language(answers, patient),
              "service_phone": settings.service_phone, **(personalisation or {})}
    if channel == "letter":
        fields.update(address_fields(addressee.name, addressee.address_lines, addressee.postcode))
    recipient = {"sms": addressee.mobile, "email": addressee.email}.get(channel)
    return Route(channel, template, addressee.who, recipient, fields)


def address_fields(name: str, lines, postcode: str) -> dict:
    """Notify's address_line_1.. : the name, the address, the postcode last (unused lines left out)."""
    return {f"address_line_{n}": line for n, line in enumerate([name, *lines, postcode], start=1)}


def _addressed_to(method: str | None, patient: Patient, details: ContactDetails | None) -> str:
    if method == "carer" or (method is None and "advocate" in (patient.communication_needs or ())
                             and details is not None and details.carer_name):
        return "carer"
    return "patient"


def _addressee(method: str | None, patient: Patient, details: ContactDetails | None) -> _Addressee | Withheld:
    if _addressed_to(method, patient, details) == "carer":
        if details is None or not details.carer_name:
            return Withheld("No carer or advocate recorded: record their name and contact details", "carer")
        return _Addressee("carer", details.carer_name, details.carer_mobile, details.carer_email,
                          tuple(details.carer_address_lines or ()), details.carer_postcode)
    if details is None:
        return _Addressee("patient", display_name(patient), None, None, (), patient.postcode)
    return _Addressee("patient", display_name(patient), details.mobile, details.email,
                      tuple(details.address_lines or ()), patient.postcode)


def _channel(method: str | None, to: _Addressee) -> str | Withheld:
    has_address = bool(to.address_lines) and bool(to.postcode)
    whose = "the carer's or advocate's" if to.who == "carer" else "the patient's"
    if to.who == "carer" or method is None:
        for channel, present in (("sms", to.mobile), ("email", to.email), ("letter", has_address)):
            if present:
                return channel
        return Withheld(f"No mobile number, email address or postal address recorded: record {whose}", to.who)
    if method == "text":
        return "sms" if to.mobile else Withheld("The booking script says text message, but no mobile number is "
                                                "recorded", to.who)
    if method == "email":
        return "email" if to.email else Withheld("The booking script says email, but no email address is "
                                                 "recorded", to.who)
    if method == "letter":
        return "letter" if has_address else Withheld("The booking script says letter, but no postal address "
                                                     "with postcode is recorded", to.who)
    # telephone: nobody rings automatically, so a text if there is a mobile, else a letter
    if to.mobile:
        return "sms"
    return "letter" if has_address else Withheld("The booking script says telephone: no mobile number for a text "
                                                 "message, nor postal address for a letter, is recorded", to.who)
