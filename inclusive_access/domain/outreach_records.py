"""The minimum record of a person seen at an outreach session, received from the clinician's device, which may
have held it for hours without signal. A repeated send finds the record its first send stored: one person seen is
one record, whatever the network did."""
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, outreach
from inclusive_access.domain import validation as v
from inclusive_access.domain.access import require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, NotPermitted
from inclusive_access.domain.segments import FLAG_LABELS
from inclusive_access.models import OutreachRecord, OutreachSession, Partner

RISKS = {"yes": "Yes", "no": "No", "not_known": "Not known"}
#: the device's key: a random UUID or similar, so two devices never choose the same one
_CLIENT_KEY = re.compile(r"^[A-Za-z0-9-]{16,64}$")
#: a device clock may run a little fast; a record seen later than this after now is a wrong clock, not a record
CLOCK_SKEW = timedelta(minutes=10)
#: a record may be completed just before a session's planned start (people arrive early)
EARLY_START = timedelta(hours=1)
_TEXT_FIELDS = ("client_key", "seen_at", "given_name", "family_name", "name_is_alias", "approximate_age",
                "date_of_birth", "nhs_number", "postcode", "consent_to_share", "presenting_need",
                "exploitation_risk", "self_neglect_risk", "safeguarding_detail", "action_agreed", "follow_up_on",
                "follow_up_plan")


@dataclass(frozen=True)
class MinimumRecord:
    client_key: str
    seen_at: datetime
    given_name: str
    family_name: str | None
    name_is_alias: bool
    approximate_age: int | None
    date_of_birth: date | None
    nhs_number: str | None
    postcode: str | None
    consent_to_share: bool
    shared_with_partner_ids: list[int]
    presenting_need: str
    exploitation_risk: str
    self_neglect_risk: str
    safeguarding_detail: str | None
    flags: list[str]
    action_agreed: str
    follow_up_on: date | None
    follow_up_plan: str | None


def parse_record(session: Session, planned: OutreachSession, raw: dict, now: datetime) -> MinimumRecord:
    """The record as sent: text fields as strings, `shared_with_partner_ids` and `flags` as lists."""
    errors = v.FieldErrors()
    for field in _TEXT_FIELDS:
        if not isinstance(raw.get(field) or "", str):
            errors.add(field, "Send this answer as text")
    for field in ("shared_with_partner_ids", "flags"):
        if not isinstance(raw.get(field) or [], list):
            errors.add(field, "Send this answer as a list")
    if errors:
        raise InvalidInput(errors)
    client_key = (raw.get("client_key") or "").strip()
    if not _CLIENT_KEY.match(client_key):
        errors.add("client_key", "The record's key from the device is missing or not recognised")
    seen_at = _seen_at(errors, raw, planned, now)
    consent = _yes_no(errors, raw, "consent_to_share", "whether they agree to information being shared")
    shared = _shared_with(session, errors, raw.get("shared_with_partner_ids") or [], consent)
    flags = [str(flag) for flag in raw.get("flags") or []]
    if not set(flags) <= FLAG_LABELS.keys():
        errors.add("flags", "Select inequality flags from the list")
    exploitation = v.choice(errors, raw, "exploitation_risk", "an answer for risk of exploitation", RISKS)
    self_neglect = v.choice(errors, raw, "self_neglect_risk", "an answer for risk of self-neglect", RISKS)
    detail = v.text(errors, raw, "safeguarding_detail", "what the safeguarding worry is", 4000,
                    required="yes" in (exploitation, self_neglect), multiline=True)
    follow_up_on = _follow_up_on(errors, raw, seen_at)
    record = MinimumRecord(
        client_key=client_key, seen_at=seen_at,
        given_name=v.text(errors, raw, "given_name", "a name or the name they want to be called", 100),
        family_name=v.text(errors, raw, "family_name", "the family name", 100, required=False),
        name_is_alias=_yes_no(errors, raw, "name_is_alias", "whether the name is an alias", default=False),
        approximate_age=v.integer_in(errors, raw, "approximate_age", "the approximate age", 0, 120),
        date_of_birth=(v.past_date(errors, raw, "date_of_birth", "the date of birth", now.date())
                       if (raw.get("date_of_birth") or "").strip() else None),
        nhs_number=(v.nhs_number_field(errors, raw) if (raw.get("nhs_number") or "").strip() else None),
        postcode=v.postcode(errors, raw),
        consent_to_share=bool(consent), shared_with_partner_ids=shared,
        presenting_need=v.text(errors, raw, "presenting_need", "the presenting need", 4000, multiline=True),
        exploitation_risk=exploitation, self_neglect_risk=self_neglect,
        safeguarding_detail=detail if "yes" in (exploitation, self_neglect) else None,
        flags=[flag for flag in FLAG_LABELS if flag in flags],
        action_agreed=v.text(errors, raw, "action_agreed", "the action agreed", 4000, multiline=True),
        follow_up_on=follow_up_on,
        follow_up_plan=v.text(errors, raw, "follow_up_plan", "the follow-up planned", 2000,
                              required=follow_up_on is not None, multiline=True))
    if errors:
        raise InvalidInput(errors)
    return record


def receive_record(session: Session, actor: Actor, planned: OutreachSession, raw: dict,
                   now: datetime | None = None) -> tuple[OutreachRecord, bool]:
    """Store a minimum record sent by one of the session's clinicians; (record, False) when this device already
    sent it, so the device can forget it either way."""
    require_role(actor, outreach.OUTREACH_CLINICIANS)
    if not outreach.is_named_on(session, planned.id, actor.user_id):
        raise NotPermitted("Only the clinicians named on this session may record what they see there.")
    now = now or datetime.now(UTC)
    events.lock_log(session)
    key = (raw.get("client_key") or "").strip() if isinstance(raw.get("client_key"), str) else None
    if key and (existing := session.scalar(select(OutreachRecord).where(OutreachRecord.client_key == key))):
        if existing.session_id != planned.id or existing.recorded_by != actor.user_id:
            raise InvalidInput({"client_key": "This record's key belongs to another record"})
        return existing, False
    details = parse_record(session, planned, raw, now)
    record = OutreachRecord(session_id=planned.id, received_at=now, recorded_by=actor.user_id, **asdict(details))
    session.add(record)
    session.flush()
    events.record(session, actor, actions.OUTREACH_RECORD_RECEIVED, "outreach_record", record.id, now=now,
                  data={"session_id": planned.id, **asdict(details)})
    return record, True


def may_record(session: Session, actor: Actor, planned: OutreachSession) -> bool:
    """Whether the actor may open the session's minimum record on a device: one of its named clinicians, as
    `receive_record` requires, so nobody completes a record the server would refuse."""
    return actor.role in outreach.OUTREACH_CLINICIANS and outreach.is_named_on(session, planned.id, actor.user_id)


def partners_to_share_with(session: Session) -> list[Partner]:
    """The partners a person may agree to share with: the current ones, as `receive_record` accepts, by name."""
    return list(session.scalars(select(Partner).where(Partner.active).order_by(Partner.name)))


def _seen_at(errors: v.FieldErrors, raw: dict, planned: OutreachSession, now: datetime) -> datetime | None:
    value = (raw.get("seen_at") or "").strip()
    try:
        seen_at = datetime.fromisoformat(value)
    except ValueError:
        errors.add("seen_at", "The time the person was seen is missing or not a date and time")
        return None
    seen_at = (seen_at if seen_at.tzinfo else seen_at.replace(tzinfo=v.LONDON)).astimezone(UTC)
    if seen_at > now + CLOCK_SKEW:
        errors.add("seen_at", "The time the person was seen is in the future: check the device's clock")
    elif seen_at < planned.starts_at - EARLY_START:
        errors.add("seen_at", "The time the person was seen is before this session started")
    return seen_at


def _yes_no(errors: v.FieldErrors, raw: dict, field: str, label: str, default: bool | None = None) -> bool | None:
    value = (raw.get(field) or "").strip().lower()
    if not value and default is not None:
        return default
    if value not in ("yes", "no"):
        errors.add(field, f"Select yes or no for {label}")
        return None
    return value == "yes"


def _shared_with(session: Session, errors: v.FieldErrors, chosen: list, consent: bool | None) -> list[int]:
    ids = sorted({int(pid) for pid in chosen if str(pid).isdigit()})
    if len(ids) != len({str(pid) for pid in chosen}):
        errors.add("shared_with_partner_ids", "Select partners from the list")
    elif ids and consent is False:
        errors.add("shared_with_partner_ids", "Nothing may be shared without the person's agreement")
    elif ids and len(list(session.scalars(select(Partner.id).where(Partner.id.in_(ids), Partner.active)))) != len(ids):
        errors.add("shared_with_partner_ids", "Select current partners from the list")
    return ids


def _follow_up_on(errors: v.FieldErrors, raw: dict, seen_at: datetime | None) -> date | None:
    value = (raw.get("follow_up_on") or "").strip()
    if not value:
        return None
    try:
        follow_up_on = date.fromisoformat(value)
    except ValueError:
        errors.add("follow_up_on", "The follow-up date must be a real date")
        return None
    if seen_at and follow_up_on < seen_at.astimezone(v.LONDON).date():
        errors.add("follow_up_on", "The follow-up date must be on or after the day the person was seen")
    return follow_up_on
