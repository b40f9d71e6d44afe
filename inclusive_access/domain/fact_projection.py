"""What a referral's facts are after an event: the pure `project` that both the live update (facts.apply) and the
rebuild from the log (fact_rebuild) use, so the two cannot disagree.

Every fact is a function of the times the events carry (a referral's received_at, an appointment's start, when a
booking was made, when an adjustment was recorded or ended, the day an urgent contact occurred), not of the order
they were entered in: attendance is often recorded days late and referrals entered after the day they arrived
(issue 15). The log's order decides only between acts entered as they happen (triage, clarification, discharge),
whose time is their entry. The outcome facts' rules are in outcome_projection."""
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from inclusive_access.domain import actions, clocks, segments
from inclusive_access.domain.equity import ETHNIC_GROUPS
from inclusive_access.domain.outcome_projection import urgent_within_30_days
from inclusive_access.domain.payloads import TRANSITION_ACTIONS, Transition
from inclusive_access.models import ReferralFact

LONDON = ZoneInfo("Europe/London")
COLUMNS = tuple(c.name for c in ReferralFact.__table__.columns)
#: DOMAIN.md: rebooking after a DNA counts as on time within 14 days of the missed appointment
REBOOK_WITHIN = timedelta(days=14)
#: the decisions that end "awaiting triage" for the same-day triage measure
TRIAGE_DECISIONS = frozenset({actions.TRIAGE_ACCEPTED, actions.TRIAGE_REJECTED, actions.TRIAGE_REJECTION_PROPOSED,
                              actions.CLARIFICATION_REQUESTED})
#: the actions that close a referral (finally rejected, or discharged)
CLOSING_ACTIONS = frozenset({actions.TRIAGE_REJECTED, actions.REJECTION_UPHELD, actions.REFERRAL_DISCHARGED})
#: every action `project` reads by name; keep it beside `project` (a test checks that other actions change nothing)
PROJECTED_ACTIONS = TRIAGE_DECISIONS | TRANSITION_ACTIONS | {
    actions.REFERRAL_RECEIVED, actions.REJECTION_UPHELD, actions.CLARIFICATION_ANSWERED, actions.CLARIFICATION_CLOSED,
    actions.FIRST_CONTACT, actions.APPOINTMENT_ATTENDED, actions.APPOINTMENT_DNA, actions.APPOINTMENT_BOOKED,
    actions.APPOINTMENT_LATE_NOT_SEEN, actions.BARRIER_CHECK_OPENED, actions.BARRIER_CHECK_COMPLETED,
    actions.ADJUSTMENT_DELIVERY_RECORDED, actions.REFERRAL_DISCHARGED, actions.URGENT_CONTACT_RECORDED}
#: the actions after which whether an urgent contact followed the receipt or the discharge is looked at again
URGENT_ACTIONS = frozenset({actions.URGENT_CONTACT_RECORDED, actions.REFERRAL_DISCHARGED})
#: a patient's events the replay follows: when each of the patient's adjustments was recorded and ended, which
#: decides adjustment_in_place for each of the patient's referrals
PATIENT_ACTIONS = frozenset({actions.ADJUSTMENT_RECORDED, actions.ADJUSTMENT_ENDED})
#: the actions whose data `project` reads, or replay keeps for what `project` looks up (a test checks the others
#: ignore theirs)
READS_DATA = TRANSITION_ACTIONS | {
    actions.REFERRAL_RECEIVED, actions.CLARIFICATION_REQUESTED, actions.FIRST_CONTACT, actions.APPOINTMENT_ATTENDED,
    actions.APPOINTMENT_DNA, actions.ADJUSTMENT_DELIVERY_RECORDED, actions.REFERRAL_DISCHARGED,
    actions.URGENT_CONTACT_RECORDED}


def to_utc(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:  # naive UTC text, as SQLite stores it: parsed with its offset, not replace()d
            return datetime.fromisoformat(value + "+00:00")
    elif value.tzinfo is UTC:  # the usual case: already read once by replay
        return value
    elif value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    else:
        moment = value
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


@lru_cache(maxsize=1 << 16)
def _month_of_hour(year: int, month: int, day: int, hour: int) -> str:
    return datetime(year, month, day, hour, tzinfo=UTC).astimezone(LONDON).strftime("%Y-%m")


def _month(moment: datetime) -> str:
    """The month in Europe/London of a UTC instant. London's months begin on a UTC hour (midnight GMT or BST),
    so the month is that of the UTC hour, looked up once per hour rather than converted for every event (see
    docs/benchmarks.md, "Measurements behind the code")."""
    return _month_of_hour(moment.year, moment.month, moment.day, moment.hour)


class Adjustments(NamedTuple):
    """When each of a patient's adjustments was recorded, and when each ended (unpaired: counts suffice)."""

    recorded: Sequence[datetime]
    ended: Sequence[datetime]


class Appointments(NamedTuple):
    """A referral's missed appointments (their starts), and its bookings: (when made, the start booked)."""

    missed: Sequence[datetime]
    booked: Sequence[tuple[datetime, datetime]]


class Known(NamedTuple):
    """What `project` may look up besides the event, as the log stands with the event in it."""

    #: a patient's adjustments
    adjustments: Callable[[int], Adjustments]
    #: a referral's missed appointments and bookings
    appointments: Callable[[int], Appointments]
    #: the facts of a patient's referrals
    referrals_of: Callable[[int], Iterable[dict]]
    #: the UK dates of a referral's urgent contacts
    urgent_contacts: Callable[[int], Sequence[date]]


def booking(occurred_at, data: dict) -> tuple[datetime, datetime]:
    """When a booking was made, and the start it booked. A past contact recorded after the fact (retrospective) was
    arranged no later than it took place: its start stands for when it was booked, not the day it was typed in."""
    starts = to_utc(data["starts_at"])
    return (starts if data.get("retrospective") else to_utc(occurred_at)), starts


def _in_place(adjustments: Adjustments, received: datetime, closed: datetime | None) -> bool:
    """Whether the patient had an adjustment active at some time while the referral was open (from its receipt to
    its closure): one active at receipt (recorded by then and not ended by then: the counts decide, with no need to
    pair each end with its adjustment), or one recorded after receipt and no later than the closure."""
    recorded, ended = adjustments
    if not recorded:
        return False
    if sum(at <= received for at in recorded) > sum(at <= received for at in ended):
        return True
    return any(received < at and (closed is None or at <= closed) for at in recorded)


def unfollowed(appointments: Appointments) -> list[datetime]:
    """The missed starts no booking has followed yet (one made since, for a later start): each is pending while its
    14 days run. A booking that follows one DNA follows every earlier one too."""
    missed, booked = appointments
    return [dna for dna in missed if not any(made >= dna and starts > dna for made, starts in booked)]


def _rebooking(appointments: Appointments) -> tuple[int, datetime | None]:
    """DOMAIN.md: a DNA is rebooked on time when a new appointment (one starting after the missed one) is booked
    within 14 days of it. Each DNA is judged on its own, so one booking after two DNAs rebooks both. Also the latest
    missed start that no booking has followed yet (unrebooked_dna_at)."""
    missed, booked = appointments
    rebooked = sum(1 for dna in missed
                   if any(dna <= made <= dna + REBOOK_WITHIN and starts > dna for made, starts in booked))
    return rebooked, max(unfollowed(appointments), default=None)


def _re_referral(fact: dict, others: Iterable[dict]) -> bool:
    """DOMAIN.md: a re-referral is the patient's return to the same pathway within 90 days of a discharge from it,
    whether or not staff linked the two, and whichever was entered first."""
    return any(other["referral_id"] != fact["referral_id"] and other["pathway"] == fact["pathway"]
               and other["discharged_at"] is not None
               and clocks.returns_within_90_days(other["discharged_at"], fact["received_at"]) for other in others)


def _first_contact(fact: dict, at: datetime) -> None:
    """DOMAIN.md: first contact is the first appointment attended, by its start, whenever each was recorded."""
    if fact["first_contact_at"] is None or at < fact["first_contact_at"]:
        fact.update(first_contact_at=at, first_contact_month=_month(at),
                    days_to_first_contact=(at - fact["received_at"]).total_seconds() / 86400)


def _urgent(fact: dict, known: Known) -> None:
    """Whether an urgent contact came within 30 days of receipt, and of discharge, by the day each occurred: one
    recorded before the discharge (or before the receipt was entered) counts once that is in the log."""
    contacts = known.urgent_contacts(fact["referral_id"])
    fact.update(urgent_contact_after_referral=urgent_within_30_days(contacts, fact["received_at"]),
                urgent_contact_after_discharge=urgent_within_30_days(contacts, fact["discharged_at"]))


def _received(event, data: dict, known: Known) -> dict:
    received = to_utc(data["received_at"])
    flags = set(data.get("flags") or ())
    fact = dict.fromkeys(COLUMNS)
    fact.update(
        referral_id=event.referral_id, patient_id=event.patient_id, pathway=data["pathway_code"],
        received_at=received, received_month=_month(received), imd_quintile=data.get("imd_quintile"),
        ethnic_group=ETHNIC_GROUPS.get(data.get("ethnic_category") or "99", "Not known"),
        sex=data.get("sex") or "not_known", age_band=data.get("age_band") or "Not known", flagged=bool(flags),
        **{flag.column: flag.key in flags for flag in segments.FLAGS}, state="received",
        triage_due_at=to_utc(data.get("triage_due_at")), clarifications=0, clarifications_on_time=0, attended=0,
        arrived_late_not_seen=0, dnas=0, dnas_rebooked_in_14_days=0, barrier_checks=0, barrier_checks_completed=0,
        adjustments_due=0, adjustments_met=0, dna_linked_discharge=False,
        previous_referral_id=data.get("previous_referral_id"),
        adjustment_in_place=_in_place(known.adjustments(event.patient_id), received, None))
    fact["re_referral_within_90_days"] = _re_referral(fact, known.referrals_of(event.patient_id))
    _urgent(fact, known)
    return fact


def project(fact: dict | None, event, known: Known) -> dict | None:
    """The referral's facts after `event`, from the event and what is `known` (pure).

    A patient's adjustment.recorded or adjustment.ended is given for each of the patient's referrals, open or
    closed: whether one had an adjustment in place depends on when it was open, not on when it was entered. A
    discharge is given to the patient's other referrals too (after its own): one received within 90 days after it
    is a re-referral, even if it was entered first. Returns None for events that do not change the facts given.
    """
    action = event.action
    if action in PATIENT_ACTIONS:
        if fact is None:
            return None
        in_place = _in_place(known.adjustments(fact["patient_id"]), fact["received_at"], fact["closed_at"])
        return None if in_place == fact["adjustment_in_place"] else {**fact, "adjustment_in_place": in_place}
    if event.referral_id is None:
        return None
    data = json.loads(event.data) if isinstance(event.data, str) else (event.data or {})
    at = to_utc(event.occurred_at)
    if action == actions.REFERRAL_RECEIVED:
        return _received(event, data, known)
    if fact is None:
        return None
    if action == actions.REFERRAL_DISCHARGED and fact["referral_id"] != event.referral_id:
        returned = _re_referral(fact, known.referrals_of(fact["patient_id"]))
        unchanged = returned == fact["re_referral_within_90_days"]
        return None if unchanged else {**fact, "re_referral_within_90_days": returned}
    fact = dict(fact)
    if action in TRANSITION_ACTIONS:
        fact["state"] = Transition.read(data).after
    if action in TRIAGE_DECISIONS and fact["triaged_at"] is None:
        fact["triaged_at"] = at
    if action == actions.TRIAGE_ACCEPTED:
        fact["accepted_at"] = at
    elif action in (actions.TRIAGE_REJECTED, actions.REJECTION_UPHELD):
        fact["rejected_at"] = fact["closed_at"] = at
    elif action == actions.CLARIFICATION_REQUESTED:
        fact["clarifications"] += 1
        fact["clarification_due_at"] = to_utc(data.get("due_at"))
    elif action in (actions.CLARIFICATION_ANSWERED, actions.CLARIFICATION_CLOSED):
        due = fact["clarification_due_at"]
        fact["clarifications_on_time"] += int(due is not None and at <= due)
        fact["clarification_due_at"] = None
    elif action == actions.TRIAGE_FLAGS_CORRECTED:  # reports count the corrected snapshot
        flags = set(data["flags"])
        fact.update(flagged=bool(flags), triage_due_at=to_utc(data["triage_due_at"]),
                    **{flag.column: flag.key in flags for flag in segments.FLAGS})
    elif action == actions.FIRST_CONTACT:
        _first_contact(fact, to_utc(data["first_contact_at"]))
    elif action == actions.APPOINTMENT_ATTENDED:
        fact["attended"] += 1
        if "starts_at" in data:
            _first_contact(fact, to_utc(data["starts_at"]))
    elif action == actions.APPOINTMENT_LATE_NOT_SEEN:
        fact["arrived_late_not_seen"] += 1
    elif action == actions.APPOINTMENT_DNA:
        fact["dnas"] += 1
        fact["dnas_rebooked_in_14_days"], fact["unrebooked_dna_at"] = _rebooking(known.appointments(event.referral_id))
    elif action == actions.APPOINTMENT_BOOKED and fact["dnas"]:  # before any DNA a booking rebooks nothing (yet)
        fact["dnas_rebooked_in_14_days"], fact["unrebooked_dna_at"] = _rebooking(known.appointments(event.referral_id))
    elif action == actions.BARRIER_CHECK_OPENED:
        fact["barrier_checks"] += 1
    elif action == actions.BARRIER_CHECK_COMPLETED:
        fact["barrier_checks_completed"] += 1
    elif action == actions.ADJUSTMENT_DELIVERY_RECORDED:
        deliveries = data.get("deliveries") or []
        fact["adjustments_due"] += len(deliveries)
        fact["adjustments_met"] += sum(1 for d in deliveries if d["met"])
    elif action == actions.REFERRAL_DISCHARGED:
        fact.update(discharged_at=at, closed_at=at, discharge_reason=data.get("reason"),
                    dna_linked_discharge=data.get("reason") == "non_attendance")
    if action in URGENT_ACTIONS:
        _urgent(fact, known)
    if action in CLOSING_ACTIONS:
        fact["adjustment_in_place"] = _in_place(known.adjustments(fact["patient_id"]), fact["received_at"], at)
    return fact
