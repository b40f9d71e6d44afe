"""The only writer of referral_facts (and, through fact_counts, of its counts): each event updates its referral's
row in the same transaction, and `rebuild` recomputes every row from the event log alone, with the same pure
`project` function."""
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import column, delete, exists, or_, select, table
from sqlalchemy.orm import Session

from inclusive_access.domain import fact_counts, segments
from inclusive_access.domain.equity import ETHNIC_GROUPS
from inclusive_access.extensions import UTCDateTime
from inclusive_access.models import Event, ReasonableAdjustment, ReferralFact

LONDON = ZoneInfo("Europe/London")
COLUMNS = tuple(c.name for c in ReferralFact.__table__.columns)
#: DOMAIN.md: rebooking after a DNA counts as on time within 14 days of the missed appointment
REBOOK_WITHIN = timedelta(days=14)
RE_REFERRAL_WITHIN = timedelta(days=90)
#: the decisions that end "awaiting triage" for the same-day triage measure
TRIAGE_DECISIONS = frozenset({"triage.accepted", "triage.rejected", "triage.rejection_proposed",
                              "clarification.requested"})
#: every action `project` reads by name; keep it beside `project` (a test checks that other actions change nothing)
PROJECTED_ACTIONS = TRIAGE_DECISIONS | {
    "referral.received", "rejection.upheld", "clarification.answered", "clarification.closed_without_answer",
    "referral.first_contact", "appointment.attended", "appointment.dna", "appointment.booked",
    "barrier_check.opened", "barrier_check.completed", "adjustment.delivery_recorded", "referral.discharged"}
#: a patient's events the replay follows: whether the patient has an active adjustment, and (recorded) the change to
#: each of the patient's referrals still open
ADJUSTMENT_RECORDED, ADJUSTMENT_ENDED = "adjustment.recorded", "adjustment.ended"
PATIENT_ACTIONS = frozenset({ADJUSTMENT_RECORDED, ADJUSTMENT_ENDED})
#: ...and any transition, whatever its action: its data (canonical JSON, no spaces) holds a string "to" like this
TRANSITION_MARK = '"to":"'
#: session.info key set while `deferred` holds the projection back for one rebuild
DEFERRED = "facts_deferred"
#: the actions whose data `project` reads, besides a transition's (a test checks the others ignore theirs)
READS_DATA = frozenset({"referral.received", "clarification.requested", "referral.first_contact",
                        "appointment.dna", "adjustment.delivery_recorded", "referral.discharged"})


def _time(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:  # naive UTC text, as SQLite stores it; re-reading it is faster than replace()
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
    so the month is that of the UTC hour, looked up once per hour: the time-zone arithmetic was a tenth of a
    replay."""
    return _month_of_hour(moment.year, moment.month, moment.day, moment.hour)


class Known(NamedTuple):
    """What `project` may look up besides the event, as it stood just before it."""

    #: an earlier referral's facts
    facts: Callable[[int], dict | None]
    #: whether a patient has a reasonable adjustment active
    adjusted: Callable[[int], bool]


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
        dnas=0, dnas_rebooked_in_14_days=0, barrier_checks=0, barrier_checks_completed=0, adjustments_due=0,
        adjustments_met=0, dna_linked_discharge=False, previous_referral_id=data.get("previous_referral_id"),
        re_referral_within_90_days=False, adjustment_in_place=known.adjusted(event.patient_id))
    earlier = known.facts(fact["previous_referral_id"]) if fact["previous_referral_id"] else None
    if earlier and earlier["closed_at"] is not None:
        fact["re_referral_within_90_days"] = received - earlier["closed_at"] <= RE_REFERRAL_WITHIN
    return fact


def project(fact: dict | None, event, known: Known) -> dict | None:
    """The referral's facts after `event`, from the event and what is `known` (pure).

    A patient's adjustment.recorded is given for each of the patient's referrals: one still open then had an
    adjustment in place. Returns None for events that do not change the facts given.
    """
    action = event.action
    if action == ADJUSTMENT_RECORDED:
        if fact is None or fact["closed_at"] is not None or fact["adjustment_in_place"]:
            return None
        return {**fact, "adjustment_in_place": True}
    if event.referral_id is None:
        return None
    data = json.loads(event.data) if isinstance(event.data, str) else (event.data or {})
    at = _time(event.occurred_at)
    if action == "referral.received":
        return _received(event, data, known)
    if fact is None:
        return None
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
        first = _time(data["first_contact_at"])
        fact.update(first_contact_at=first, first_contact_month=_month(first),
                    days_to_first_contact=(first - fact["received_at"]).total_seconds() / 86400)
    elif action == "appointment.attended":
        fact["attended"] += 1
    elif action == "appointment.dna":
        fact["dnas"] += 1
        fact["unrebooked_dna_at"] = _time(data["starts_at"])
    elif action == "appointment.booked" and fact["unrebooked_dna_at"] is not None:
        fact["dnas_rebooked_in_14_days"] += int(at - fact["unrebooked_dna_at"] <= REBOOK_WITHIN)
        fact["unrebooked_dna_at"] = None
    elif action == "barrier_check.opened":
        fact["barrier_checks"] += 1
    elif action == "barrier_check.completed":
        fact["barrier_checks_completed"] += 1
    elif action == "adjustment.delivery_recorded":
        deliveries = data.get("deliveries") or []
        fact["adjustments_due"] += len(deliveries)
        fact["adjustments_met"] += sum(1 for d in deliveries if d["met"])
    elif action == "referral.discharged":
        fact.update(discharged_at=at, closed_at=at, discharge_reason=data.get("reason"),
                    dna_linked_discharge=data.get("reason") == "non_attendance")
    return fact


def _row(session: Session, referral_id: int) -> dict | None:
    row = session.get(ReferralFact, referral_id)
    return None if row is None else {c: getattr(row, c) for c in COLUMNS}


def _adjusted(session: Session, patient_id: int) -> bool:
    # the register is written before its event, in the same transaction: as the log stands at the event
    return session.scalar(select(exists().where(ReasonableAdjustment.patient_id == patient_id,
                                                ReasonableAdjustment.status == "active")))


def apply(session: Session, event: Event) -> None:
    """Update the facts an event changes, in the caller's transaction (events.record calls this): its referral's,
    or for an adjustment recorded, those of the patient's referrals still open."""
    if session.info.get(DEFERRED):
        return
    if event.action == ADJUSTMENT_RECORDED:
        referral_ids = session.scalars(select(ReferralFact.referral_id).where(
            ReferralFact.patient_id == event.patient_id, ReferralFact.closed_at.is_(None))).all()
    elif event.referral_id is not None:
        referral_ids = [event.referral_id]
    else:
        return
    known = Known(lambda rid: _row(session, rid), lambda pid: _adjusted(session, pid))
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
    session.flush()


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


def replay(rows: Iterable) -> dict[int, dict]:
    """Every referral's facts from events in log order (in memory: the rebuild and the migration use it).

    Each row is (action, occurred_at, referral_id, patient_id, data), in that order, and may hold the values as
    stored (naive UTC, JSON text): each is read once here, then given to `project`.
    """
    facts: dict[int, dict] = {}
    found = facts.get
    active: Counter[int] = Counter()  # each patient's active adjustments
    referrals_of: defaultdict[int, list[int]] = defaultdict(list)
    known = Known(found, lambda pid: active[pid] > 0)
    for action, occurred_at, referral_id, patient_id, data in rows:  # unpacking: a Row's attributes cost more
        if action in PATIENT_ACTIONS:
            active[patient_id] += 1 if action == ADJUSTMENT_RECORDED else -1
            if action == ADJUSTMENT_RECORDED:
                event = _Event(action, _time(occurred_at), referral_id, patient_id, {})
                for rid in referrals_of[patient_id]:
                    if (after := project(facts[rid], event, known)) is not None:
                        facts[rid] = after
            continue
        if referral_id is None:
            continue
        if isinstance(data, str):  # decoded only where `project` reads it: replay is about 30% faster for it
            data = _decode(data)[0] if action in READS_DATA or TRANSITION_MARK in data else {}
        event = _Event(action, _time(occurred_at), referral_id, patient_id, data)
        after = project(found(referral_id), event, known)
        if after is not None:
            if referral_id not in facts:
                referrals_of[patient_id].append(referral_id)
            facts[referral_id] = after
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
    UTC datetimes, written straight as text: five times cheaper, and the largest cost of writing a million rows."""
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
    facts = replay(_driver_rows(session, query, batch))
    connection, values = session.connection(), list(facts.values())
    # Indexes are built once over the new rows, not kept up to date row by row (several times faster at scale);
    # the DDL is in the caller's transaction on both engines, so a failed rebuild leaves them as they were.
    indexes = sorted(ReferralFact.__table__.indexes, key=lambda index: index.name)
    for index in indexes:
        index.drop(connection)
    session.execute(delete(ReferralFact))
    for start in range(0, len(values), batch):
        sql, rows = _stored_rows(session, values[start:start + batch])
        connection.exec_driver_sql(sql, rows)
    for index in indexes:
        index.create(connection)
    fact_counts.recount(session)
    session.flush()
    return len(values)
