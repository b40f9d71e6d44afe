"""Recomputing referral_facts and outcome_facts from the event log alone, by replaying it through
fact_projection's `project` and outcome_projection's `outcome`, a batch of patients at a time in short transactions
while the service goes on (`steps` says why the result is a rebuild from scratch's): the `flask facts rebuild`
command, and the end of a bulk load that held the projection back."""
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import column, delete, insert, literal, or_, select, table
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, fact_counts, locking, monthly_waits, outcome_projection
from inclusive_access.domain.fact_projection import (
    COLUMNS,
    PATIENT_ACTIONS,
    PROJECTED_ACTIONS,
    READS_DATA,
    Adjustments,
    Appointments,
    Known,
    booking,
    project,
    to_utc,
    unfollowed,
)
from inclusive_access.domain.facts import DEFERRED, store_unrebooked
from inclusive_access.extensions import UTCDateTime
from inclusive_access.models import OutcomeFact, Patient, Referral, ReferralFact, ReferralFactCount, UnrebookedDna


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """For a bulk load (the demo data): its events leave the projection alone, then one `rebuild` recomputes it from
    the log, with the same `project` (cheaper than updating facts event by event: docs/benchmarks.md)."""
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


def replay(rows: Iterable, unrebooked: dict[int, Counter] | None = None,
           outcomes: list[dict] | None = None) -> dict[int, dict]:
    """Every referral's facts from events in log order (in memory: the rebuild and the migration use it).

    Each row is (action, occurred_at, referral_id, patient_id, data), in that order, and may hold the values as
    stored (naive UTC, JSON text): each is read once here, then given to `project`. What `project` looks up (each
    patient's adjustments, each referral's missed appointments and bookings) is kept here as the log goes, so the
    facts come out the same whatever order the events were entered in. `unrebooked`, if given, receives each
    referral's missed starts no booking has followed (the unrebooked_dnas rows); `outcomes`, if given, receives the
    outcome_facts rows (each referral's answers to each instrument, kept here in log order).
    """
    facts: dict[int, dict] = {}
    found = facts.get
    recorded: defaultdict[int, list[datetime]] = defaultdict(list)  # each patient's adjustments recorded...
    ended: defaultdict[int, list[datetime]] = defaultdict(list)  # ...and ended
    missed: defaultdict[int, list[datetime]] = defaultdict(list)  # each referral's missed appointments
    booked: defaultdict[int, list[tuple]] = defaultdict(list)  # ...and bookings, read only once a DNA asks
    referrals_of: defaultdict[int, list[int]] = defaultdict(list)
    contacts: defaultdict[int, list] = defaultdict(list)  # each referral's urgent contacts, by the day they occurred
    answers: defaultdict[tuple[int, str], list] = defaultdict(list)  # each referral's answers to each instrument

    def appointments(referral_id: int) -> Appointments:
        bookings = booked[referral_id]
        for i, (at, data) in enumerate(bookings):
            if isinstance(data, str | dict):
                bookings[i] = booking(at, _decode(data)[0] if isinstance(data, str) else data)
        return Appointments(missed[referral_id], bookings)

    known = Known(lambda pid: Adjustments(recorded[pid], ended[pid]), appointments,
                  lambda pid: [facts[rid] for rid in referrals_of[pid]], lambda rid: contacts.get(rid, ()))
    for action, occurred_at, referral_id, patient_id, data in rows:  # unpacking: a Row's attributes cost more
        if action in PATIENT_ACTIONS:
            at = to_utc(occurred_at)
            (recorded if action == actions.ADJUSTMENT_RECORDED else ended)[patient_id].append(at)
            event = _Event(action, at, referral_id, patient_id, {})
            for rid in referrals_of[patient_id]:
                if (after := project(facts[rid], event, known)) is not None:
                    facts[rid] = after
            continue
        if referral_id is None:
            continue
        if action in outcome_projection.ACTIONS:  # the rows are made once, from all the answers, at the end
            data = _decode(data)[0] if isinstance(data, str) else data
            answers[referral_id, data["instrument"]].append(outcome_projection.answer(data))
            continue
        at = to_utc(occurred_at)
        if action == actions.APPOINTMENT_BOOKED:  # most referrals never miss one: their bookings are never decoded
            booked[referral_id].append((at, data))
        if isinstance(data, str):  # decoded only where `project` reads it: decoding is much of replay's cost
            data = _decode(data)[0] if action in READS_DATA else {}
        if action == actions.APPOINTMENT_DNA:
            missed[referral_id].append(to_utc(data["starts_at"]))
        elif action == actions.URGENT_CONTACT_RECORDED:
            contacts[referral_id].append(outcome_projection.occurred_on(data))
        event = _Event(action, at, referral_id, patient_id, data)
        after = project(found(referral_id), event, known)
        if after is not None:
            if referral_id not in facts:
                referrals_of[patient_id].append(referral_id)
            facts[referral_id] = after
        if action == actions.REFERRAL_DISCHARGED:
            for rid in referrals_of[patient_id]:
                if rid != referral_id and (changed := project(facts[rid], event, known)) is not None:
                    facts[rid] = changed
    if unrebooked is not None:
        for rid in missed:
            if rid in facts and (starts := unfollowed(appointments(rid))):
                unrebooked[rid] = Counter(starts)
    if outcomes is not None:
        outcomes += [outcome_projection.outcome(rid, instrument, given)
                     for (rid, instrument), given in answers.items()]
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


#: patients replayed in one step of the rebuild: their events and facts are all it holds in memory at once
PATIENTS_PER_STEP = 250


def _rows_of(session: Session, lower: int | None, upper: int | None, batch: int) -> int:
    """Recompute the rows of the patients with ids after `lower` up to `upper` (None: no bound), in the caller's
    transaction: their referral_facts, unrebooked_dnas and outcome_facts; returns the referral_facts rows written.

    Reads only their events that `project` and `replay` can act on, chosen by action (a referral's
    PROJECTED_ACTIONS, transitions among them, its questionnaire answers, and PATIENT_ACTIONS; views, attempts, notes
    and the rest never change a referral's facts), and writes with the driver's executemany.
    """
    def among(patient_id) -> list:
        return [*([] if lower is None else [patient_id > lower]), *([] if upper is None else [patient_id <= upper])]

    # An expression of the action, not the column: SQLite, with no statistics, would otherwise read each step from
    # ix_events_action_seq, most of the log every step, rather than the step's patients from ix_events_patient_seq.
    action = _LOG.c.action + literal("")
    relevant = action.in_(sorted(PROJECTED_ACTIONS | outcome_projection.ACTIONS))
    query = (select(_LOG.c.action, _LOG.c.occurred_at, _LOG.c.referral_id, _LOG.c.patient_id, _LOG.c.data)
             .where(*among(_LOG.c.patient_id),
                    or_(_LOG.c.referral_id.is_not(None) & relevant, action.in_(sorted(PATIENT_ACTIONS))))
             .order_by(_LOG.c.seq))
    unrebooked: dict[int, Counter] = {}
    outcomes: list[dict] = []
    facts = replay(_driver_rows(session, query, batch), unrebooked, outcomes)
    theirs = select(Referral.id).where(*among(Referral.patient_id))
    session.execute(delete(ReferralFact).where(*among(ReferralFact.patient_id)))
    session.execute(delete(UnrebookedDna).where(UnrebookedDna.referral_id.in_(theirs)))
    session.execute(delete(OutcomeFact).where(OutcomeFact.referral_id.in_(theirs)))
    store_unrebooked(session, unrebooked)
    if outcomes:
        session.execute(insert(OutcomeFact), outcomes)
    if facts:
        sql, rows = _stored_rows(session, facts.values())
        session.connection().exec_driver_sql(sql, rows)
    return len(facts)


def steps(session: Session, patients: int = PATIENTS_PER_STEP, batch: int = 20_000) -> Iterator[int]:
    """The rebuild, `patients` at a time by patient id, each step in the caller's transaction; yields each step's
    referral_facts rows written. The last steps recount referral_fact_counts in SQL, a month received at a time.

    The caller may commit after each step (`flask facts rebuild` does), so the rebuild is many short transactions
    that never hold the whole log or all the facts in memory. A referral's facts depend on its patient's events
    alone (`replay`'s lookups are all by referral or by patient), so a patient's rows replayed from the log as it
    stands at their step are those of a rebuild from scratch, and each step holds the projection alone
    (locking.lock_projection), so no writer updates facts between its read and its write. An event appended after
    a patient's step is applied to the rebuilt rows by `facts.apply`, as any event is, and one before the step is in
    the step's read: nothing is lost, and once
    the last step has recounted, every table equals a rebuild from scratch of the log as it then stands (what the
    rebuild's tests check, events appended between steps included). Each month's counts are recounted from the
    facts in one step, so they too are exact from then on, as events go on adding to them. Meanwhile, pages read
    each patient's rows as they were or as rebuilt, and each month's counts as they were (plus the events since)
    until it is recounted.
    """
    lower = None
    while True:
        locking.lock_projection(session)
        ids = session.scalars(select(Patient.id).where(*([Patient.id > lower] if lower is not None else []))
                              .order_by(Patient.id).limit(patients)).all()
        upper = ids[-1] if len(ids) == patients else None  # the last step: every patient after `lower`, new ones too
        yield _rows_of(session, lower, upper, batch)
        if upper is None:
            break
        lower = upper
    months = set(session.scalars(select(ReferralFact.received_month).distinct()))
    for month in sorted(months | set(session.scalars(select(ReferralFactCount.received_month).distinct()))):
        locking.lock_projection(session)
        fact_counts.recount(session, month)
        session.flush()
        yield 0
    # Stored months' waits were computed from the facts as they were: the nightly sweep stores them again.
    locking.lock_projection(session)
    monthly_waits.forget_all(session)
    session.flush()
    yield 0


def rebuild(session: Session, batch: int = 20_000) -> int:
    """Recompute referral_facts (with its counts and unrebooked_dnas) and outcome_facts from the event log alone,
    in the caller's transaction (`steps` without a commit between); returns the referral_facts rows written."""
    return sum(steps(session, batch=batch))
