"""The only writer of referral_facts (and, through fact_counts, of its counts): each event updates its referral's
row in the same transaction, and `rebuild` recomputes every row from the event log alone, with the same pure
`project` function.

Every fact is a function of the times the events carry (a referral's received_at, an appointment's start, when a
booking was made, when an adjustment was recorded or ended), not of the order they were entered in: attendance is
often recorded days late and referrals entered after the day they arrived (issue 15). The log's order decides
only between acts entered as they happen (triage, clarification, discharge), whose time is their entry."""
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import column, delete, insert, or_, select, table
from sqlalchemy.orm import Session

from inclusive_access.domain import clocks, fact_counts, segments
from inclusive_access.domain.equity import ETHNIC_GROUPS
from inclusive_access.extensions import UTCDateTime
from inclusive_access.models import Event, ReferralFact, UnrebookedDna

LONDON = ZoneInfo("Europe/London")
COLUMNS = tuple(c.name for c in ReferralFact.__table__.columns)
#: DOMAIN.md: rebooking after a DNA counts as on time within 14 days of the missed appointment
REBOOK_WITHIN = timedelta(days=14)
#: the decisions that end "awaiting triage" for the same-day triage measure
TRIAGE_DECISIONS = frozenset({"triage.accepted", "triage.rejected", "triage.rejection_proposed",
                              "clarification.requested"})
APPOINTMENT_DNA, APPOINTMENT_BOOKED = "appointment.dna", "appointment.booked"
LATE_NOT_SEEN = "appointment.late_not_seen"
DISCHARGED = "referral.discharged"
#: the actions that close a referral (finally rejected, or discharged)
CLOSING_ACTIONS = frozenset({"triage.rejected", "rejection.upheld", DISCHARGED})
#: every action `project` reads by name; keep it beside `project` (a test checks that other actions change nothing)
PROJECTED_ACTIONS = TRIAGE_DECISIONS | {
    "referral.received", "rejection.upheld", "clarification.answered", "clarification.closed_without_answer",
    "referral.first_contact", "appointment.attended", "appointment.dna", "appointment.booked", LATE_NOT_SEEN,
    "barrier_check.opened", "barrier_check.completed", "adjustment.delivery_recorded", "referral.discharged"}
#: a patient's events the replay follows: when each of the patient's adjustments was recorded and ended, which
#: decides adjustment_in_place for each of the patient's referrals
ADJUSTMENT_RECORDED, ADJUSTMENT_ENDED = "adjustment.recorded", "adjustment.ended"
PATIENT_ACTIONS = frozenset({ADJUSTMENT_RECORDED, ADJUSTMENT_ENDED})
#: ...and any transition, whatever its action: its data (canonical JSON, no spaces) holds a string "to" like this
TRANSITION_MARK = '"to":"'
#: session.info key set while `deferred` holds the projection back for one rebuild
DEFERRED = "facts_deferred"
#: the actions whose data `project` reads, besides a transition's (a test checks the others ignore theirs)
READS_DATA = frozenset({"referral.received", "clarification.requested", "referral.first_contact",
                        "appointment.attended", "appointment.dna", "adjustment.delivery_recorded",
                        "referral.discharged"})


def _time(value) -> datetime | None:
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


def _booking(occurred_at, data: dict) -> tuple[datetime, datetime]:
    """When a booking was made, and the start it booked. A past contact recorded after the fact (retrospective) was
    arranged no later than it took place: its start stands for when it was booked, not the day it was typed in."""
    starts = _time(data["starts_at"])
    return (starts if data.get("retrospective") else _time(occurred_at)), starts


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


def _received(event, data: dict, known: Known) -> dict:
    received = _time(data["received_at"])
    flags = set(data.get("flags") or ())
    fact = dict.fromkeys(COLUMNS)
    fact.update(
        referral_id=event.referral_id, patient_id=event.patient_id, pathway=data["pathway_code"],
        received_at=received, received_month=_month(received), imd_quintile=data.get("imd_quintile"),
        ethnic_group=ETHNIC_GROUPS.get(data.get("ethnic_category") or "99", "Not known"),
        sex=data.get("sex") or "not_known", age_band=data.get("age_band") or "Not known", flagged=bool(flags),
        **{flag.column: flag.key in flags for flag in segments.FLAGS}, state="received",
        triage_due_at=_time(data.get("triage_due_at")), clarifications=0, clarifications_on_time=0, attended=0,
        arrived_late_not_seen=0, dnas=0, dnas_rebooked_in_14_days=0, barrier_checks=0, barrier_checks_completed=0,
        adjustments_due=0, adjustments_met=0, dna_linked_discharge=False,
        previous_referral_id=data.get("previous_referral_id"),
        adjustment_in_place=_in_place(known.adjustments(event.patient_id), received, None))
    fact["re_referral_within_90_days"] = _re_referral(fact, known.referrals_of(event.patient_id))
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
    at = _time(event.occurred_at)
    if action == "referral.received":
        return _received(event, data, known)
    if fact is None:
        return None
    if action == DISCHARGED and fact["referral_id"] != event.referral_id:
        returned = _re_referral(fact, known.referrals_of(fact["patient_id"]))
        unchanged = returned == fact["re_referral_within_90_days"]
        return None if unchanged else {**fact, "re_referral_within_90_days": returned}
    fact = dict(fact)
    if isinstance(data.get("to"), str) and "from" in data:  # a transition names the state it moved to
        fact["state"] = data["to"]
    if action in TRIAGE_DECISIONS and fact["triaged_at"] is None:
        fact["triaged_at"] = at
    if action == "triage.accepted":
        fact["accepted_at"] = at
    elif action in ("triage.rejected", "rejection.upheld"):
        fact["rejected_at"] = fact["closed_at"] = at
    elif action == "clarification.requested":
        fact["clarifications"] += 1
        fact["clarification_due_at"] = _time(data.get("due_at"))
    elif action in ("clarification.answered", "clarification.closed_without_answer"):
        due = fact["clarification_due_at"]
        fact["clarifications_on_time"] += int(due is not None and at <= due)
        fact["clarification_due_at"] = None
    elif action == "referral.first_contact":
        _first_contact(fact, _time(data["first_contact_at"]))
    elif action == "appointment.attended":
        fact["attended"] += 1
        if "starts_at" in data:
            _first_contact(fact, _time(data["starts_at"]))
    elif action == LATE_NOT_SEEN:
        fact["arrived_late_not_seen"] += 1
    elif action == APPOINTMENT_DNA:
        fact["dnas"] += 1
        fact["dnas_rebooked_in_14_days"], fact["unrebooked_dna_at"] = _rebooking(known.appointments(event.referral_id))
    elif action == APPOINTMENT_BOOKED and fact["dnas"]:  # before any DNA a booking rebooks nothing (yet)
        fact["dnas_rebooked_in_14_days"], fact["unrebooked_dna_at"] = _rebooking(known.appointments(event.referral_id))
    elif action == "barrier_check.opened":
        fact["barrier_checks"] += 1
    elif action == "barrier_check.completed":
        fact["barrier_checks_completed"] += 1
    elif action == "adjustment.delivery_recorded":
        deliveries = data.get("deliveries") or []
        fact["adjustments_due"] += len(deliveries)
        fact["adjustments_met"] += sum(1 for d in deliveries if d["met"])
    elif action == DISCHARGED:
        fact.update(discharged_at=at, closed_at=at, discharge_reason=data.get("reason"),
                    dna_linked_discharge=data.get("reason") == "non_attendance")
    if action in CLOSING_ACTIONS:
        fact["adjustment_in_place"] = _in_place(known.adjustments(fact["patient_id"]), fact["received_at"], at)
    return fact


def _row(session: Session, referral_id: int) -> dict | None:
    row = session.get(ReferralFact, referral_id)
    return None if row is None else {c: getattr(row, c) for c in COLUMNS}


def _referrals_of(session: Session, patient_id: int) -> list[dict]:
    session.flush()  # a discharge's own row first
    return [_row(session, rid) for rid in session.scalars(select(ReferralFact.referral_id).where(
        ReferralFact.patient_id == patient_id))]


def _adjustments(session: Session, patient_id: int) -> Adjustments:
    """The patient's adjustments as the log stands (read from ix_events_patient_seq)."""
    recorded, ended = [], []
    for action, at in session.execute(select(Event.action, Event.occurred_at).where(
            Event.patient_id == patient_id, Event.action.in_(sorted(PATIENT_ACTIONS)))):
        (recorded if action == ADJUSTMENT_RECORDED else ended).append(_time(at))
    return Adjustments(recorded, ended)


def _appointments(session: Session, referral_id: int) -> Appointments:
    """The referral's missed appointments and bookings as the log stands (read from ix_events_referral_seq)."""
    missed, booked = [], []
    for action, at, data in session.execute(select(Event.action, Event.occurred_at, Event.data).where(
            Event.referral_id == referral_id, Event.action.in_((APPOINTMENT_DNA, APPOINTMENT_BOOKED)))):
        data = json.loads(data)
        if action == APPOINTMENT_DNA:
            missed.append(_time(data["starts_at"]))
        else:
            booked.append(_booking(at, data))
    return Appointments(missed, booked)


def apply(session: Session, event: Event) -> None:
    """Update the facts an event changes, in the caller's transaction (events.record calls this, once the event is
    flushed): its referral's, or for an adjustment recorded or ended, those of all the patient's referrals."""
    if session.info.get(DEFERRED):
        return
    if event.action in PATIENT_ACTIONS:
        referral_ids = session.scalars(select(ReferralFact.referral_id).where(
            ReferralFact.patient_id == event.patient_id)).all()
    elif event.action == DISCHARGED:  # its own referral first, then the patient's others it may make re-referrals
        referral_ids = [event.referral_id, *session.scalars(select(ReferralFact.referral_id).where(
            ReferralFact.patient_id == event.patient_id, ReferralFact.referral_id != event.referral_id))]
    elif event.referral_id is not None:
        referral_ids = [event.referral_id]
    else:
        return
    known = Known(cache(lambda pid: _adjustments(session, pid)), lambda rid: _appointments(session, rid),
                  lambda pid: _referrals_of(session, pid))
    for referral_id in referral_ids:
        before = _row(session, referral_id)
        after = project(before, event, known)
        if after is None or after == before:
            continue
        if before is None:
            session.add(ReferralFact(**after))
        else:
            row = session.get(ReferralFact, referral_id)
            for column, value in after.items():
                if before[column] != value:
                    setattr(row, column, value)
        fact_counts.add(session, before, after)
        if event.action in (APPOINTMENT_DNA, APPOINTMENT_BOOKED):  # a DNA, or a booking that followed one
            session.execute(delete(UnrebookedDna).where(UnrebookedDna.referral_id == referral_id))
            _store_unrebooked(session, {referral_id: Counter(unfollowed(known.appointments(referral_id)))})
    session.flush()


def _store_unrebooked(session: Session, by_referral: dict[int, Counter]) -> None:
    """Write unrebooked_dnas rows: each referral's missed starts, and how many were missed at each."""
    rows = [{"referral_id": rid, "missed_at": at, "dnas": n} for rid, starts in by_referral.items()
            for at, n in sorted(starts.items())]
    if rows:
        session.execute(insert(UnrebookedDna), rows)


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """For a bulk load (the demo data): its events leave the projection alone, then one `rebuild` recomputes it from
    the log, with the same `project`: a third of the load's time was updating facts event by event."""
    session.info[DEFERRED] = True
    try:
        yield
    finally:
        del session.info[DEFERRED]
    rebuild(session)


class _Event(NamedTuple):
    action: str
    occurred_at: datetime | None
    referral_id: int | None
    patient_id: int | None
    data: dict


#: canonical JSON has no surrounding whitespace, so the decoder's first value is the whole text
_decode = json.JSONDecoder().raw_decode


def replay(rows: Iterable, unrebooked: dict[int, Counter] | None = None) -> dict[int, dict]:
    """Every referral's facts from events in log order (in memory: the rebuild and the migration use it).

    Each row is (action, occurred_at, referral_id, patient_id, data), in that order, and may hold the values as
    stored (naive UTC, JSON text): each is read once here, then given to `project`. What `project` looks up (each
    patient's adjustments, each referral's missed appointments and bookings) is kept here as the log goes, so the
    facts come out the same whatever order the events were entered in. `unrebooked`, if given, receives each
    referral's missed starts no booking has followed (the unrebooked_dnas rows).
    """
    facts: dict[int, dict] = {}
    found = facts.get
    recorded: defaultdict[int, list[datetime]] = defaultdict(list)  # each patient's adjustments recorded...
    ended: defaultdict[int, list[datetime]] = defaultdict(list)  # ...and ended
    missed: defaultdict[int, list[datetime]] = defaultdict(list)  # each referral's missed appointments
    booked: defaultdict[int, list[tuple]] = defaultdict(list)  # ...and bookings, read only once a DNA asks
    referrals_of: defaultdict[int, list[int]] = defaultdict(list)

    def appointments(referral_id: int) -> Appointments:
        bookings = booked[referral_id]
        for i, (at, data) in enumerate(bookings):
            if isinstance(data, str | dict):
                bookings[i] = _booking(at, _decode(data)[0] if isinstance(data, str) else data)
        return Appointments(missed[referral_id], bookings)

    known = Known(lambda pid: Adjustments(recorded[pid], ended[pid]), appointments,
                  lambda pid: [facts[rid] for rid in referrals_of[pid]])
    for action, occurred_at, referral_id, patient_id, data in rows:  # unpacking: a Row's attributes cost more
        if action in PATIENT_ACTIONS:
            at = _time(occurred_at)
            (recorded if action == ADJUSTMENT_RECORDED else ended)[patient_id].append(at)
            event = _Event(action, at, referral_id, patient_id, {})
            for rid in referrals_of[patient_id]:
                if (after := project(facts[rid], event, known)) is not None:
                    facts[rid] = after
            continue
        if referral_id is None:
            continue
        at = _time(occurred_at)
        if action == APPOINTMENT_BOOKED:  # most referrals never miss one: their bookings are never decoded
            booked[referral_id].append((at, data))
        if isinstance(data, str):  # decoded only where `project` reads it: decoding is much of replay's cost
            data = _decode(data)[0] if action in READS_DATA or TRANSITION_MARK in data else {}
        if action == APPOINTMENT_DNA:
            missed[referral_id].append(_time(data["starts_at"]))
        event = _Event(action, at, referral_id, patient_id, data)
        after = project(found(referral_id), event, known)
        if after is not None:
            if referral_id not in facts:
                referrals_of[patient_id].append(referral_id)
            facts[referral_id] = after
        if action == DISCHARGED:
            for rid in referrals_of[patient_id]:
                if rid != referral_id and (changed := project(facts[rid], event, known)) is not None:
                    facts[rid] = changed
    if unrebooked is not None:
        for rid in missed:
            if rid in facts and (starts := unfollowed(appointments(rid))):
                unrebooked[rid] = Counter(starts)
    return facts


#: the log as stored, with no type conversion on read: `replay` reads each value once
_LOG = table("events", *(column(name) for name in ("seq", "action", "occurred_at", "referral_id", "patient_id",
                                                     "data")))


def _sqlite_text(moment: datetime) -> str:
    """An aware datetime as SQLAlchemy's SQLite DATETIME stores a UTCDateTime: naive UTC, always with microseconds."""
    if moment.tzinfo is not UTC:
        if moment.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        moment = moment.astimezone(UTC)
    return moment.isoformat(" ", "microseconds")[:26]


def _to_stored(column, dialect) -> Callable | None:
    """A column's conversion to what the driver takes: the column type's own (for the dialect), except SQLite's
    UTC datetimes, written straight as text: the type's own conversion is the largest cost of the write."""
    if dialect.name == "sqlite" and isinstance(column.type, UTCDateTime):
        return _sqlite_text
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _stored_rows(session: Session, facts: Iterable[dict]) -> tuple[str, list[tuple]]:
    """The INSERT for referral_facts and its rows as the driver takes them."""
    dialect = session.get_bind().dialect
    convert = [(i, f) for i, c in enumerate(ReferralFact.__table__.columns) if (f := _to_stored(c, dialect))]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    placeholders = ", ".join([mark] * len(COLUMNS))
    sql = f"INSERT INTO referral_facts ({', '.join(COLUMNS)}) VALUES ({placeholders})"  # noqa: S608 - model's names
    in_order, rows = itemgetter(*COLUMNS), []
    for fact in facts:
        values = list(in_order(fact))
        for i, to_stored in convert:
            if values[i] is not None:
                values[i] = to_stored(values[i])
        rows.append(tuple(values))
    return sql, rows


def _driver_rows(session: Session, query, batch: int) -> Iterator[tuple]:
    """The query's rows as the driver returns them, in the session's transaction: plain tuples, without a Row
    object each (a fifth of a rebuild at 1M referrals); on PostgreSQL from a server-side cursor, so the log is
    never held whole. The query's values are the code's own constants, rendered inline."""
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    cursor = driver.cursor(name="facts_rebuild") if connection.dialect.name == "postgresql" else driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def rebuild(session: Session, batch: int = 20_000) -> int:
    """Recompute referral_facts from the event log alone, in the caller's transaction; returns the rows written.

    Reads only the events `project` and `replay` can act on (PROJECTED_ACTIONS and transitions of a referral,
    PATIENT_ACTIONS; views, attempts, notes and the rest never change a referral's facts) and writes with the
    driver's executemany.
    """
    relevant = or_(_LOG.c.action.in_(sorted(PROJECTED_ACTIONS)), _LOG.c.data.like(f"%{TRANSITION_MARK}%"))
    query = (select(_LOG.c.action, _LOG.c.occurred_at, _LOG.c.referral_id, _LOG.c.patient_id, _LOG.c.data)
             .where(or_(_LOG.c.referral_id.is_not(None) & relevant, _LOG.c.action.in_(sorted(PATIENT_ACTIONS))))
             .order_by(_LOG.c.seq))
    unrebooked: dict[int, Counter] = {}
    facts = replay(_driver_rows(session, query, batch), unrebooked)
    connection, values = session.connection(), list(facts.values())
    # Indexes are built once over the new rows, not kept up to date row by row (far cheaper for a full rebuild);
    # the DDL is in the caller's transaction on both engines, so a failed rebuild leaves them as they were.
    indexes = sorted(ReferralFact.__table__.indexes, key=lambda index: index.name)
    for index in indexes:
        index.drop(connection)
    session.execute(delete(ReferralFact))
    session.execute(delete(UnrebookedDna))
    _store_unrebooked(session, unrebooked)
    for start in range(0, len(values), batch):
        sql, rows = _stored_rows(session, values[start:start + batch])
        connection.exec_driver_sql(sql, rows)
    for index in indexes:
        index.create(connection)
    fact_counts.recount(session)
    session.flush()
    return len(values)
