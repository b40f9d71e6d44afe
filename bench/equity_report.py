"""Equity dashboard at scale: its queries, `flask facts rebuild`, and DuckDB over the same rows, in one run.

Usage (pip install -e .[bench]):
    .venv/bin/python bench/equity_report.py [--referrals 1000000] [--database-url URL] [--months 24] [--explain]

Generates N referrals with their whole event histories (clearly fake patients, NHS numbers from the 9xx test
range) straight into a freshly migrated database with bulk inserts: the same actions and `data` shapes the
domain writes, but not through it. By default the hash chain is filled with placeholders (linked, unique, not
hashes of the rows, so `flask audit verify` fails on this data); `--hash-chain` computes real hashes. Then it
times (a) each dashboard query for the last 12 complete months (median of 3 runs), (b) `flask facts rebuild`,
and (c) the same aggregates in DuckDB over referral_facts exported to Parquet, and prints ours/DuckDB ratios.
"""
# ruff: noqa: S311, S608 - seeded fake data, not secrets; SQL text is built from our own compiled statements
import argparse
import heapq
import inspect
import itertools
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from migrated import opened  # bench/migrated.py: a script's own folder comes first on sys.path
from sqlalchemy import case, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from inclusive_access.demo.people import ETHNIC_WEIGHTS, FAMILY, GIVEN, HOUSING_WEIGHTS, LANGUAGES, ORGS
from inclusive_access.domain import actions, chain_keys, clocks, equity, name_keys
from inclusive_access.domain import events as ev
from inclusive_access.domain.payloads import Transition
from inclusive_access.domain.policy import DEFAULT_POLICY
from inclusive_access.extensions import UTCDateTime, db
from inclusive_access.models import ReferralFact
from inclusive_access.reporting import kpi, periods, queries, tables

F = ReferralFact
USERS = [("bench.booking", "booking"), ("bench.booking2", "booking"), ("bench.clinician", "clinician"),
         ("bench.senior", "senior"), ("bench.senior2", "senior"), ("bench.manager", "manager")]
BOOKING, BOOKING2, CLINICIAN, SENIOR, SENIOR2 = ((i + 1, role) for i, (_u, role) in enumerate(USERS[:5]))
SYSTEM = (None, None)
PATHWAYS = {"frailty": (9, 0, 1), "msk": (20, 0, 3), "mental_health": (26, 1, 3)}  # median days to slot, follow-ups
#: deprived patients wait a little longer and miss more appointments, so the equity KPI has something to show
WAIT_FACTOR = {1: 1.10, 2: 1.05, 3: 1.0, 4: 0.98, 5: 0.96, None: 1.03}
DNA_RATE = {1: 0.14, 2: 0.12, 3: 0.10, 4: 0.08, 5: 0.07, None: 0.11}
DECILE_WEIGHTS = [14, 13, 12, 11, 10, 9, 9, 8, 7, 7]
SEXES = {"female": 50, "male": 46, "indeterminate": 1, "not_stated": 2, "not_known": 1}
FORMATS = ["clinic", "telephone", "video", "telephone_interpreter", "home_visit", "community_venue"]
H, D = timedelta(hours=1), timedelta(days=1)
EVENT_COLUMNS = ["seq", "occurred_at", "actor_id", "actor_role", "action", "entity_type", "entity_id", "patient_id",
                 "referral_id", "data", "prev_hash", "hash", "key_id"]


class Loader:
    """Buffered bulk inserts in table order (executemany on SQLite, COPY on PostgreSQL), stored as the app stores."""

    def __init__(self, engine, batch: int = 50_000):
        self.engine, self.batch, self.sqlite = engine, batch, engine.dialect.name == "sqlite"
        self.rows: dict[str, list] = {}
        self.columns: dict[str, list[str]] = {}

    def time(self, at: datetime):
        """An aware UTC event time as stored: naive UTC, as text on SQLite (SQLAlchemy's format)."""
        return at.isoformat(" ", "microseconds")[:26] if self.sqlite else at.replace(tzinfo=None)

    def value(self, v):
        if isinstance(v, datetime):
            v = v.astimezone(UTC).replace(tzinfo=None)
            return v.isoformat(" ", "microseconds") if self.sqlite else v
        if isinstance(v, bool):
            return int(v) if self.sqlite else v
        if isinstance(v, date):
            return v.isoformat() if self.sqlite else v
        return json.dumps(v) if isinstance(v, list) else v

    def add(self, table: str, row: dict) -> None:
        columns = self.columns.setdefault(table, [c.name for c in db.metadata.tables[table].columns])
        self.rows.setdefault(table, []).append(tuple(self.value(row.get(c)) for c in columns))
        if len(self.rows[table]) >= self.batch:
            self.flush()

    def event(self, row: tuple) -> None:
        self.rows.setdefault("events", []).append(row)
        if len(self.rows["events"]) >= self.batch:
            self.flush()

    def flush(self) -> None:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.sqlite:
                cursor.execute("PRAGMA cache_size=-262144")  # 256 MB for the load's connection only
                cursor.execute("BEGIN")
            for table in (*LOADED, *(t for t in list(self.rows) if t not in LOADED)):  # parents first
                rows = self.rows.pop(table, [])
                if not rows:
                    continue
                names = EVENT_COLUMNS if table == "events" else self.columns[table]
                if self.sqlite:
                    cursor.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                                       f"({', '.join('?' * len(names))})", rows)
                else:
                    with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            raw.commit()
        finally:
            raw.close()


class Story:
    """One referral's events in time order, cut off at `until` (what had happened when the report runs)."""

    def __init__(self, until: datetime, referral_id: int, patient_id: int, at: datetime):
        self.until, self.rid, self.pid, self.t = until, referral_id, patient_id, at
        self.version, self.state, self.live, self.events, self.row = 1, "received", True, [], {}

    def log(self, after: timedelta, action: str, actor, entity: tuple, data: dict | None = None,
            referral: bool = True, on: int | None = None) -> bool:
        """Append an event `after` the last one (never before it); `on` names another referral."""
        t = self.t + max(after, timedelta(0))
        if not self.live or t > self.until:
            self.live = False
            return False
        self.t = t
        self.events.append((t, action, actor, entity, data or {}, on or (self.rid if referral else None)))
        return True

    def move(self, after: timedelta, action: str, actor, to: str, data: dict, entity: tuple | None = None) -> bool:
        """A transition, as referral_flow.transition writes it: from, to and the bumped version."""
        payload = Transition(self.state, to).data(self.version + 1, data)
        if self.log(after, action, actor, entity or ("referral", self.rid), payload):
            self.version, self.state = self.version + 1, to
        return self.live

    def book(self, after: timedelta, appointment_id: int, starts_at: datetime, fmt: str) -> bool:
        data = {"starts_at": starts_at, "format": fmt, "place": "Hub (bench)" if fmt == "clinic" else None,
                "notes": None, "version": self.version + 1, "summary": "Appointment booked"}
        if self.log(after, actions.APPOINTMENT_BOOKED, BOOKING, ("appointment", appointment_id), data):
            self.version += 1
        return self.live


class History:
    """Patients, referrals and a log in time order: each referral's future is drawn at receipt and merged in."""

    def __init__(self, loader: Loader, rng: random.Random, until: datetime, pathways: dict[str, int],
                 hash_chain: bool):
        self.loader, self.rng, self.until, self.pathways, self.hash_chain = loader, rng, until, pathways, hash_chain
        self.ids = {k: itertools.count(1) for k in ("appointment", "check", "clarification", "triage", "review",
                                                    "adjustment", "concern")}
        self.patients: list[tuple] = []  # (dob, decile, flags, ethnic category, sex, adjustment ids)
        self.registered: dict = {}  # the newest patient's details, for patient.registered
        self.pending: list = []  # heap of (occurred_at, order, event)
        self.order, self.seq, self.prev_hash = itertools.count(), 0, ev.GENESIS_HASH
        self.closing: list = []  # heap of (closed_at, referral_id, patient_id)
        self.closed: list = []  # recently closed referrals, for re-referrals
        self.prefixes = itertools.count(900_000_000)

    def next(self, kind: str) -> int:
        return next(self.ids[kind])

    def new_patient(self, pathway: str, at: datetime) -> int:
        rng, pid = self.rng, len(self.patients) + 1
        decile = None if rng.random() < 0.10 else rng.choices(range(1, 11), DECILE_WEIGHTS)[0]
        language = rng.choice(LANGUAGES) if rng.random() < 0.12 else ("English" if rng.random() < 0.9 else None)
        lowest = 65 if pathway == "frailty" else 18

        def tri(p: float) -> bool | None:
            return None if rng.random() < 0.1 else rng.random() < p

        snapshot = dict(
            nhs_number=self.nhs_number(), given_name=rng.choice(GIVEN), family_name=rng.choice(FAMILY),
            date_of_birth=(at - timedelta(days=rng.randint(lowest * 365, 98 * 365))).date(),
            sex=rng.choices(list(SEXES), list(SEXES.values()))[0],
            postcode=f"ZZ99 {rng.randint(1, 9)}AB", imd_decile=decile, imd_index=decile and "IoD2025",
            ethnic_category=rng.choices(list(ETHNIC_WEIGHTS), list(ETHNIC_WEIGHTS.values()))[0],
            preferred_language=language,
            interpreter_needed=(language not in (None, "English") and rng.random() < 0.7) or (False if language
                                                                                              else None),
            communication_needs=rng.sample(sorted(equity.COMMUNICATION_NEEDS), 1) if rng.random() < 0.08 else [],
            housing_status=rng.choices(list(HOUSING_WEIGHTS), list(HOUSING_WEIGHTS.values()))[0],
            learning_disability=tri(0.04), cognitive_impairment=tri(0.10), caring_responsibilities=tri(0.12))
        self.loader.add("patients", {"id": pid, **snapshot, **name_keys.keys(snapshot["given_name"],
                                                                             snapshot["family_name"]),
                                     "identity_verified": True, "date_of_birth_estimated": False,
                                     "created_at": at, "version": 1})
        self.patients.append((snapshot["date_of_birth"], decile, equity.derive_flags(snapshot),
                              snapshot["ethnic_category"], snapshot["sex"], []))
        self.registered = snapshot
        return pid

    def nhs_number(self) -> str:
        """The next valid number of the 9xx test range (a prefix whose check digit would be 10 is skipped)."""
        while True:
            prefix = next(self.prefixes)
            total = sum(int(d) * w for d, w in zip(str(prefix), range(10, 1, -1), strict=True))
            if (check := (11 - total % 11) % 11) != 10:
                return f"{prefix}{check}"

    def emit(self, before: datetime | None) -> None:
        """Write, in seq order, every pending event earlier than `before` (all when None)."""
        while self.pending and (before is None or self.pending[0][0] < before):
            at, _order, (action, actor, entity, pid, rid, data) = heapq.heappop(self.pending)
            self.seq += 1
            digest, key_id = f"{self.seq:064x}", chain_keys.current_id()
            if self.hash_chain:
                digest = ev.compute_hash(SimpleNamespace(
                    seq=self.seq, occurred_at=at, actor_id=actor[0], actor_role=actor[1], action=action,
                    entity_type=entity[0], entity_id=entity[1], patient_id=pid, referral_id=rid, data=data,
                    prev_hash=self.prev_hash, key_id=key_id))
            self.loader.event((self.seq, self.loader.time(at), actor[0], actor[1], action, entity[0], entity[1],
                               pid, rid, data, self.prev_hash, digest, key_id))
            self.prev_hash = digest

    def referral(self, rid: int, received: datetime) -> None:
        rng = self.rng
        self.emit(received)
        while self.closing and self.closing[0][0] < received:
            self.closed.append(heapq.heappop(self.closing)[1:])
        del self.closed[:-20_000]
        pathway = rng.choices(list(PATHWAYS), [35, 40, 25])[0]
        previous, registered = None, False
        if self.closed and rng.random() < 0.05:
            previous, pid = self.closed.pop(rng.randrange(len(self.closed)))
        elif self.patients and rng.random() < 0.06:
            pid = rng.randint(1, len(self.patients))
        else:
            pid, registered = self.new_patient(pathway, received), True
        dob, decile, flags, ethnic_category, sex, adjustments = self.patients[pid - 1]
        story = Story(self.until, rid, pid, received)
        if registered:
            story.log(timedelta(0), actions.PATIENT_REGISTERED, BOOKING, ("patient", pid), self.registered,
                      referral=False)
        quintile, flagged = equity.imd_quintile(decile), bool(flags)
        due = clocks.triage_due(received, flagged)
        story.log(timedelta(0), actions.REFERRAL_RECEIVED, BOOKING, ("referral", rid), dict(
            pathway_code=pathway, referrer_name="Dr Bench Test", referrer_organisation=rng.choice(ORGS),
            referrer_contact="0113 496 0000", received_at=received, reason="Synthetic benchmark referral",
            urgency="urgent" if rng.random() < 0.1 else "routine", external_ref=None, flags=flags,
            linked_existing_patient=not registered, imd_quintile=quintile, previous_referral_id=previous,
            ethnic_category=ethnic_category, triage_due_at=due, version=1, sex=sex,
            age_band=equity.age_band(dob, received.astimezone(clocks.LONDON).date())))
        if previous:
            story.log(timedelta(0), actions.REFERRAL_RE_REFERRED, BOOKING, ("referral", previous),
                      {"new_referral_id": rid, "summary": f"Re-referred as referral {rid}"}, on=previous)
        self.triage(story, flagged, due, adjustments)
        if story.state == "accepted":
            self.treat(story, pathway, quintile, adjustments)
        row = story.row
        self.loader.add("referrals", dict(
            id=rid, patient_id=pid, pathway_id=self.pathways[pathway], referrer_name="Dr Bench Test",
            referrer_organisation="Bench", referrer_contact="0113 496 0000", received_at=received,
            reason="Synthetic benchmark referral", urgency="routine", flags=flags, flagged=flagged,
            imd_quintile=quintile, state=story.state, triage_due_at=due, triage_priority=1, created_at=received,
            previous_referral_id=previous, version=story.version, **row))
        if story.state in ("rejected", "discharged"):
            heapq.heappush(self.closing, (story.t, rid, pid))
        for at, action, actor, entity, data, referral_id in story.events:
            heapq.heappush(self.pending, (at, next(self.order), (action, actor, entity, pid, referral_id,
                                                                 ev.canonical_json(data))))

    def triage(self, s: Story, flagged: bool, due: datetime, adjustments: list) -> None:
        rng = self.rng
        late = rng.random() < (0.15 if flagged else 0.1)
        after = (due - s.t) + rng.uniform(0.5, 30) * H if late else (due - s.t) * rng.uniform(0.05, 0.95)
        if rng.random() < 0.7:
            s.log(after * 0.9, actions.RECORD_VIEWED, BOOKING2, ("referral", s.rid))
        triage_id = self.next("triage")
        script = {"answers": {"contact_method": "telephone", "digital_access": "phone_only", "mobility": "none"},
                  "suggested_formats": ["telephone", "clinic"], "proposed_adjustments": []}
        s.log(after * 0.1 if s.events[-1][1] == actions.RECORD_VIEWED else after, actions.TRIAGE_SCRIPT_RECORDED,
              BOOKING, ("triage_record", triage_id), script)
        if not adjustments and (flagged and rng.random() < 0.35):
            self.adjust(s, adjustments)
        s.row["triaged_at"] = s.t if s.live else None
        roll = rng.random()
        if roll < 0.08:
            self.clarify(s)
            s.log(rng.uniform(0.2, 6) * H, actions.TRIAGE_SCRIPT_RECORDED, BOOKING, ("triage_record", triage_id),
                  script)
            roll = rng.uniform(0.08, 1)
        if roll < 0.10:
            s.row["triage_escalated_at"] = s.t
            s.move(timedelta(0), actions.TRIAGE_ESCALATED, BOOKING, "received",
                   {"reason": "Needs a senior view", "summary": "Escalated to senior triage"})
            s.t += rng.uniform(1, 30) * H
            roll = rng.uniform(0.10, 1)
        if roll < 0.38:  # with the overturned ones accepted, about 70% are accepted
            reject = {"code": "wrong_service", "reason": "Better met by another service (bench)"}
            if not flagged:
                s.row.update(rejection_code=reject["code"], rejection_text=reject["reason"])
                s.move(timedelta(0), actions.TRIAGE_REJECTED, CLINICIAN, "rejected",
                       {**reject, "summary": "Rejected at triage"})
                return
            review = self.next("review")
            s.move(timedelta(0), actions.TRIAGE_REJECTION_PROPOSED, CLINICIAN, "rejection_review",
                   {**reject, "review_id": review, "summary": "Rejection proposed: waits for a senior"})
            decided = {"review_id": review, "kind": "rejection", "decision": "approved", "rationale": "Agreed",
                       "plan": None}
            if rng.random() < 0.7:
                s.move(rng.uniform(2, 72) * H, actions.REJECTION_UPHELD, SENIOR, "rejected",
                       {**decided, "summary": "Rejection upheld by a senior"})
                return
            s.move(rng.uniform(2, 72) * H, actions.REJECTION_OVERTURNED, SENIOR, "received",
                   {**decided, "decision": "continue", "summary": "Returned to triage by a senior"})
        s.move(rng.uniform(0, 2) * H, actions.TRIAGE_ACCEPTED, BOOKING, "accepted", {"summary": "Accepted at triage"})

    def clarify(self, s: Story) -> None:
        rng, item, asked = self.rng, ("clarification", self.next("clarification")), s.t
        s.move(timedelta(0), actions.CLARIFICATION_REQUESTED, BOOKING, "awaiting_clarification", {
            "question": "Which knee?", "channel": "telephone", "contact": "Referrer (bench)",
            "due_at": s.t + 24 * H, "summary": "Clarification requested"})
        s.log(rng.uniform(0.5, 6) * H, actions.CLARIFICATION_ATTEMPTED, BOOKING, item,
              {"method": "telephone", "reached": rng.random() < 0.6, "note": None})
        wait = rng.uniform(1, 20) * H if rng.random() < 0.8 else rng.uniform(24, 96) * H
        if wait > 24 * H:
            s.log(asked + 24.25 * H - s.t, actions.CLARIFICATION_ESCALATED, SYSTEM, item,
                  {"due_at": asked + 24 * H, "overdue_by_minutes": 15})
        answered = rng.random() < 0.9
        action = actions.CLARIFICATION_ANSWERED if answered else actions.CLARIFICATION_CLOSED
        s.move(asked + wait - s.t, action, BOOKING, "received", {
            "response": "The left knee" if answered else None, "close_reason": None if answered else "No reply",
            "summary": "Clarification answered" if answered else "Closed without answer"}, entity=item)

    def adjust(self, s: Story, adjustments: list) -> None:
        aid, at = self.next("adjustment"), s.t
        ended = self.rng.random() < 0.1
        ends = at + self.rng.uniform(30, 300) * D if ended else None
        ends = ends if ends is not None and ends <= self.until else None
        if not s.log(timedelta(0), actions.ADJUSTMENT_RECORDED, BOOKING, ("adjustment", aid), {
                "category": "communication_support", "description": "Interpreter (bench)", "source": "triage_script",
                "consent_basis": "patient", "review_date": (at + 365 * D).date()}, referral=False):
            return
        if ends:  # the patient's event, months on: merged into the log in time order like every other
            s.events.append((ends, actions.ADJUSTMENT_ENDED, BOOKING, ("adjustment", aid),
                             {"reason": "No longer needed"}, None))
        self.loader.add("reasonable_adjustments", dict(
            id=aid, patient_id=s.pid, category="communication_support", description="Interpreter (bench)",
            source="triage_script", consent_basis="patient", applies_to_appointments=True, recorded_by=BOOKING[0],
            recorded_role="booking", recorded_at=at, review_date=(at + 365 * D).date(),
            status="ended" if ends else "active", ended_at=ends, end_reason="No longer needed" if ends else None,
            version=2 if ends else 1))
        adjustments.append(aid)

    def treat(self, s: Story, pathway: str, quintile: int | None, adjustments: list) -> None:
        """Appointments until first contact and follow-ups; DNAs open barrier checks; then a discharge review."""
        rng = self.rng
        median, low, high = PATHWAYS[pathway]
        follow_ups, dnas, attended = rng.randint(low, high), 0, 0
        lead = median * WAIT_FACTOR[quintile] * rng.lognormvariate(0, 0.45)
        while s.live and attended <= follow_ups:
            appointment, fmt = self.next("appointment"), rng.choice(FORMATS)
            slot = s.t + rng.uniform(2, 48) * H + lead * D
            if not s.book(rng.uniform(1, 48) * H, appointment, slot, fmt):
                return
            lead = rng.uniform(7, 21)
            if rng.random() < 0.04:
                s.log(rng.uniform(0, 1) * (slot - s.t), actions.APPOINTMENT_CANCELLED, BOOKING,
                      ("appointment", appointment), {"status": "cancelled_patient", "attendance_code": "2",
                                                     "reason": "Unwell", "starts_at": slot, "format": fmt})
                lead = rng.uniform(3, 10)
                continue
            missed = rng.random() < DNA_RATE[quintile]
            outcome = {"status": "dna" if missed else "attended", "attendance_code": "3" if missed else "5",
                       "reason": None, "starts_at": slot, "format": fmt}
            outcome_action = actions.APPOINTMENT_DNA if missed else actions.APPOINTMENT_ATTENDED
            s.log(slot - s.t + rng.uniform(0.5, 3) * H, outcome_action, BOOKING, ("appointment", appointment), outcome)
            if adjustments and s.live:
                s.log(timedelta(0), actions.ADJUSTMENT_DELIVERY_RECORDED, BOOKING, ("appointment", appointment), {
                    "deliveries": [{"adjustment_id": a, "met": rng.random() < 0.85, "reason": None}
                                   for a in adjustments]})
            if missed:
                dnas += 1
                if not self.barrier_check(s, appointment, dnas, quintile):
                    return
                lead = rng.uniform(2, 12)
                continue
            attended += 1
            if attended == 1 and s.live:
                s.row["first_contact_at"] = slot
                s.move(timedelta(0), actions.FIRST_CONTACT, BOOKING, "in_treatment", {
                    "appointment_id": appointment, "first_contact_at": slot, "summary": "First contact"})
        if s.live and rng.random() < 0.5:
            s.log(rng.uniform(1, 72) * H, actions.RECORD_VIEWED, CLINICIAN, ("referral", s.rid))
        review = self.next("review")
        reason = rng.choices(["treatment_complete", "patient_choice", "moved_away"], [85, 10, 5])[0]
        s.move(rng.uniform(1, 10) * D, actions.DISCHARGE_REQUESTED, CLINICIAN, "discharge_review", {
            "reason": reason, "reason_text": "Goals met (bench)", "dna_count": dnas, "summary": "Discharge requested"},
            entity=("senior_review", review))
        self.discharge(s, rng.uniform(2, 72) * H, review, "discharge", reason)

    def discharge(self, s: Story, after: timedelta, review: int, kind: str, reason: str) -> None:
        if s.move(after, actions.REFERRAL_DISCHARGED, SENIOR2, "discharged", {
                "review_id": review, "kind": kind, "decision": "approved", "rationale": "Agreed (bench)",
                "plan": None, "reason": reason, "safe_despite_concern": None, "summary": "Discharged"}):
            s.row.update(discharged_at=s.t, discharge_reason=reason)

    def barrier_check(self, s: Story, appointment: int, dnas: int, quintile: int | None) -> bool:
        """The graded response; returns False when the referral is discharged for non-attendance (or time is up)."""
        rng, check = self.rng, ("barrier_check", self.next("check"))
        s.log(timedelta(0), actions.BARRIER_CHECK_OPENED, BOOKING, check,
              {"appointment_id": appointment, "was_not_brought": False})
        review = None
        if dnas >= 2:
            review = self.next("review")
            s.row["senior_review_flagged_at"] = s.t if s.live else None
            s.log(timedelta(0), actions.SENIOR_REVIEW_FLAGGED, BOOKING, ("referral", s.rid),
                  {"reason": f"{dnas} missed appointments", "review_id": review})
        for _ in range(rng.randint(1, 3)):
            s.log(rng.uniform(2, 30) * H, actions.BARRIER_CHECK_ATTEMPTED, BOOKING2, check,
                  {"method": "telephone", "reached": rng.random() < 0.6, "note": None})
        barriers = rng.sample(sorted(["transport_cost", "work", "childcare", "digital_access"]), rng.randint(0, 2))
        s.log(rng.uniform(0, 2) * H, actions.BARRIER_CHECK_UPDATED, BOOKING2, check,
              {"barriers": barriers, "other": None, "safeguarding": "no_concern"})
        s.log(rng.uniform(0, 2) * H, actions.BARRIER_CHECK_COMPLETED, BOOKING2, check, {
            "outcome": "rebooked", "alternative_format": None, "barriers": barriers, "adjustment_id": None,
            "safeguarding": "no_concern"})
        if review is not None:
            s.row["senior_review_flagged_at"] = None
            if rng.random() < 0.4:
                self.discharge(s, rng.uniform(1, 5) * D, review, "attendance", "non_attendance")
                return False
            s.move(rng.uniform(1, 5) * D, actions.ENGAGEMENT_CONTINUED, SENIOR, s.state, {
                "review_id": review, "kind": "attendance", "decision": "continue", "rationale": "Try again",
                "plan": "Telephone first", "summary": "Engagement continues after senior review"})
        # deprived patients are rebooked within 14 days a little less often
        s.t += rng.uniform(0, 10 if rng.random() < (0.7 if quintile == 1 else 0.8) else 25) * D
        return s.live


LOADED = ("users", "patients", "reasonable_adjustments", "referrals", "events")


def drop_indexes(engine) -> list[str]:
    """Drop the loaded tables' secondary indexes (and SQLite's triggers) for the load; returns the DDL to restore
    them exactly as the migrations made them."""
    names = ", ".join(f"'{t}'" for t in LOADED)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            found = conn.exec_driver_sql(f"SELECT type, name, sql FROM sqlite_master WHERE type IN "
                                         f"('index', 'trigger') AND tbl_name IN ({names}) AND sql IS NOT NULL").all()
        else:
            found = conn.exec_driver_sql(f"SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = "
                                         f"'public' AND tablename IN ({names}) AND indexname NOT IN "
                                         f"(SELECT conname FROM pg_constraint)").all()
        for kind, name, _sql in found:
            conn.exec_driver_sql(f"DROP {kind.upper()} {name}")
    return [sql for _kind, _name, sql in found]


def generate(app, referrals: int, months: int, seed: int, hash_chain: bool) -> dict:
    """Fill the migrated database; returns counts and the wall time."""
    started, rng = time.perf_counter(), random.Random(seed)
    until = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = until - timedelta(days=round(months * 30.44))
    with app.app_context():
        restore, loader = drop_indexes(db.engine), Loader(db.engine)
        pathways = dict(db.session.execute(text("SELECT code, id FROM pathways")).all())
        db.session.rollback()
        for i, (username, role) in enumerate(USERS, start=1):
            loader.add("users", dict(id=i, username=username, display_name=f"Bench {role} {i}", role=role,
                                     password_hash="!unusable",  # noqa: S106 - not a hash: no one can sign in
                                     active=True, must_change_password=False, created_at=start, version=1))
        history = History(loader, rng, until, pathways, hash_chain)
        span = (until - start).total_seconds()
        moments = []
        while len(moments) < referrals:  # mostly working hours, London time
            at = start + timedelta(seconds=rng.random() * span)
            local = at.astimezone(clocks.LONDON)
            if (local.weekday() < 5 and 8 <= local.hour < 18) or rng.random() < 0.05:
                moments.append(at)
        moments.sort()
        for rid, received in enumerate(moments, start=1):
            history.referral(rid, received)
            if rid % 50_000 == 0:
                rate = rid / (time.perf_counter() - started)
                print(f"  generated {rid:,}/{referrals:,} referrals, {history.seq:,} events ({rate:,.0f}/s)",
                      file=sys.stderr, flush=True)
        history.emit(None)
        loader.flush()
        print(f"  {history.seq:,} events in {time.perf_counter() - started:,.0f} s; indexing ...", file=sys.stderr,
              flush=True)
        with db.engine.begin() as conn:
            for ddl in restore:
                conn.exec_driver_sql(ddl)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                for table in ("users", "patients", "referrals", "reasonable_adjustments"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    return {"events": history.seq, "patients": len(history.patients), "until": until,
            "seconds": time.perf_counter() - started}


@dataclass(frozen=True)
class Measure:
    """One dashboard query. `ours` runs the app's function; DuckDB runs the SQL that function issues, compiled for
    it, unless `duckdb` gives its own statements (quantile_cont for the type-7 quantiles), checked by `check`."""

    name: str
    ours: Callable[[Session], object]
    duckdb: Callable[[], list[str]] | None = None
    check: Callable[[object, list], bool] | None = None
    #: a page-level call (tables, kpi) repeats queries already timed: shown, but not in the total
    page: bool = False


def dashboard_measures(period: queries.Period) -> list[Measure]:
    """What the equity dashboard runs for a period: extend this list when a query is added."""
    waits = {"median": 0.5, "p90": 0.9}
    months = periods.month_range(period.first, period.last)
    found = []
    for segment in tables.SEGMENT_LABELS:
        key = {"segment": queries.SEGMENTS[segment]}
        found.append(Measure(f"counts_by({segment})", lambda s, g=segment: queries.counts_by(s, period, g),
                             lambda k=key: [facts_counts_sql(period, k)], same_counts))
        found.append(Measure(f"wait_quantiles_by({segment})",
                             lambda s, g=segment: queries.wait_quantiles_by(s, period, g),
                             lambda k=key: [quantile_sql(k, period.where(), waits)], same_quantiles))
    found.append(Measure("completeness_by_month", lambda s: queries.completeness_by_month(s, period),
                         lambda: [facts_completeness_sql(period)], same_counts))
    found.append(Measure("months_with_referrals", queries.months_with_referrals))
    if hasattr(queries, "cross_counts"):  # intersectional table
        keys = {"row": F.imd_quintile, "column": F.ethnic_group}
        found.append(Measure("cross_counts(imd_quintile x ethnic_group)",
                             lambda s: queries.cross_counts(s, period, "imd_quintile", "ethnic_group"),
                             lambda k=keys: [facts_counts_sql(period, k)], same_counts))
    if hasattr(queries, "monthly_median_waits"):  # the equity KPI, by month of first contact
        keys = {"pathway": F.pathway, "month": F.first_contact_month, "quintile": F.imd_quintile}
        conditions = [F.first_contact_month >= period.first, F.first_contact_month <= period.last,
                      F.imd_quintile.is_not(None)]
        found.append(Measure("monthly_median_waits",
                             lambda s: queries.monthly_median_waits(s, months),
                             lambda: [quantile_sql(keys, conditions, {"median": 0.5})], same_quantiles))
    found.append(Measure("monthly_median_wait", lambda s: queries.monthly_median_wait(s, months),
                         lambda: [quantile_sql({"month": F.first_contact_month},
                                               [F.first_contact_month >= period.first,
                                                F.first_contact_month <= period.last], {"median": 0.5})],
                         same_quantiles))
    found.append(Measure("counts_by_month", lambda s: queries.counts_by_month(s, period),
                         lambda: [facts_counts_sql(period, {"month": F.received_month})], same_counts))
    # What a page calls (DuckDB runs the same statements, window-function quantiles included).
    found.append(Measure("tables.segment_table(imd_quintile)",
                         lambda s: tables.segment_table(s, period, "imd_quintile"), page=True))
    found.append(Measure("tables.completeness", lambda s: tables.completeness(s, period), page=True))
    if hasattr(tables, "cross_table"):
        found.append(Measure("tables.cross_table(ethnic_group, accepted)",
                             lambda s: tables.cross_table(s, period, "ethnic_group", "accepted"), page=True))
    if hasattr(tables, "completeness_charts"):
        found.append(Measure("tables.completeness_charts", lambda s: tables.completeness_charts(s, period),
                             page=True))
    found.append(Measure("tables.rate_charts", lambda s: tables.rate_charts(s, period), page=True))
    found.append(Measure("kpi.gap_series(all pathways)", lambda s: kpi.gap_series(
        s, list(PATHWAYS), period.last, DEFAULT_POLICY), page=True))
    found.append(Measure("kpi.quintile_charts(all pathways)", lambda s: kpi.quintile_charts(
        s, None, period.last), page=True))
    found.append(Measure("kpi.median_wait_chart(all pathways)", lambda s: kpi.median_wait_chart(
        s, None, period.last), page=True))
    found.append(Measure("kpi.gap_for(msk, last month)", lambda s: kpi.gap_for(
        s, "msk", period.last, DEFAULT_POLICY), page=True))
    return found


def for_duckdb(statement) -> str:
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def facts_counts_sql(period: queries.Period, keys: dict) -> str:
    """What counts_by and cross_counts return, aggregated straight from referral_facts (DuckDB has no rollup):
    COUNTS in one GROUP BY."""
    statement = (select(*(column.label(name) for name, column in keys.items()),
                        *(expr.label(name) for name, expr in queries.COUNTS.items()))
                 .where(*period.where()).group_by(*keys.values()))
    return for_duckdb(statement)


def facts_completeness_sql(period: queries.Period) -> str:
    stated = case((F.ethnic_group.not_in(("Not stated", "Not known")), 1), else_=0)
    return for_duckdb(select(F.received_month.label("month"), func.count().label("referrals"),
                             func.sum(stated).label("ethnicity"), func.count(F.imd_quintile).label("imd"))
                      .where(*period.where()).group_by(F.received_month))


def same_counts(ours: list[dict], duck: list) -> bool:
    """Our rows (dicts) against DuckDB's (tuples in the same column order)."""
    return normalised(tuple(row.values()) for row in ours) == normalised(duck[0])


def quantile_sql(keys: dict, conditions: list, ps: dict[str, float]) -> str:
    statement = (select(*(column.label(name) for name, column in keys.items()), func.count().label("n"),
                        *(func.quantile_cont(F.days_to_first_contact, p).label(name) for name, p in ps.items()))
                 .where(*conditions, F.days_to_first_contact.is_not(None)).group_by(*keys.values()))
    return for_duckdb(statement)


def same_quantiles(ours: dict, duck: list) -> bool:
    found = {}
    for row in duck[0]:
        width = len(row) - len(next(iter(ours.values()), {"n": 0}))
        found[tuple(row[:width])] = row[width:]
    mine = {key if isinstance(key, tuple) else (key,): value for key, value in ours.items()}
    return mine.keys() == found.keys() and all(
        abs(a - b) <= 1e-9 * max(1.0, abs(a)) for key, v in mine.items() for a, b in zip(v.values(), found[key],
                                                                                        strict=True))


def capture(session, run) -> tuple[object, list]:
    """Run once, keeping each statement issued and its rows (frozen, so the caller still gets a Result)."""
    issued, original = [], session.execute

    def execute(statement, *args, **kwargs):
        frozen = original(statement, *args, **kwargs).freeze()
        issued.append((statement, frozen.data))
        return frozen()

    session.execute = execute
    try:
        return run(session), issued
    finally:
        del session.execute


def normalised(rows) -> list[tuple]:
    def value(v):
        return round(float(v), 6) if isinstance(v, float) else int(v) if isinstance(v, bool) else v
    return sorted((tuple(value(v) for v in row) for row in rows), key=lambda r: [(v is None, v) for v in r])


def same_rows(ours, theirs) -> bool:
    """Two statements' rows alike, floats to 1e-9 relative: sums of floats added in another order differ in their
    last bits."""
    def alike(a, b) -> bool:
        if isinstance(a, float) or isinstance(b, float):
            return isinstance(a, int | float) and isinstance(b, int | float) and math.isclose(a, b, rel_tol=1e-9)
        return a == b

    mine, found = normalised(ours), normalised(theirs)
    return len(mine) == len(found) and all(len(x) == len(y) and all(map(alike, x, y))
                                           for x, y in zip(mine, found, strict=True))


def median_ms(run, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def plan(session, statement) -> list[str]:
    dialect = session.get_bind().dialect
    compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    if dialect.name == "sqlite":
        return [row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    return [row[0] for row in session.execute(text(f"EXPLAIN {compiled}"))]


#: what DuckDB reads: the facts the measures aggregate, the counts the pages' statements sum, and the DNAs still
#: in their 14 days the rebooking measure leaves out
PARQUET = ("referral_facts", "referral_fact_counts", "unrebooked_dnas")


def export_parquet(session, directory: Path, names: tuple[str, ...] = PARQUET) -> float:
    """The tables named (PARQUET by default) to Parquet, read in batches through the cursor."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    started = time.perf_counter()
    arrow = {int: pa.int64(), float: pa.float64(), bool: pa.bool_(), str: pa.string(), date: pa.date32()}
    for table in (db.metadata.tables[name] for name in names):
        kinds = [datetime if isinstance(c.type, UTCDateTime) else c.type.python_type for c in table.columns]
        schema = pa.schema([(c.name, pa.timestamp("us") if k is datetime else arrow[k])
                            for c, k in zip(table.columns, kinds, strict=True)])
        query = select(table).execution_options(yield_per=100_000)
        with session.execute(query) as result, pq.ParquetWriter(directory / f"{table.name}.parquet", schema) as out:
            for rows in result.partitions():
                columns = [pa.array(col, pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us")) if k is datetime
                           else pa.array(col, arrow[k]) for col, k in zip(zip(*rows, strict=True), kinds, strict=True)]
                out.write_batch(pa.record_batch(columns, schema=schema))
    return time.perf_counter() - started


def run_queries(app, measures: list[Measure], repeat: int, explain: bool, directory: Path,
                names: tuple[str, ...] = PARQUET, settings: tuple[str, ...] = ()) -> list[tuple]:
    """Each measure's median time, ours and DuckDB's over the tables `names` exported to Parquet (with DuckDB
    `settings`), and whether their answers agree."""
    import duckdb

    results = []
    with app.app_context():
        session = db.session
        print(f"  export to Parquet: {export_parquet(session, directory, names):.1f} s", file=sys.stderr, flush=True)
        duck = duckdb.connect()
        for setting in settings:
            duck.execute(f"SET {setting}")
        for name in names:
            duck.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{directory / name}.parquet')")
        for m in measures:
            try:
                answer, issued = capture(session, m.ours)
                ours_ms, _ = median_ms(lambda m=m: m.ours(session), repeat)
                sql = m.duckdb() if m.duckdb else [for_duckdb(statement) for statement, _rows in issued]
                duck_ms, duck_rows = median_ms(lambda sql=sql: [duck.execute(q).fetchall() for q in sql], repeat)
            except Exception as exc:  # noqa: BLE001 - a query being changed elsewhere must not end a long run
                session.rollback()
                print(f"  {m.name}: failed, {exc!r}"[:300], file=sys.stderr, flush=True)
                continue
            if m.check:
                same = m.check(answer, duck_rows)
            else:
                same = len(issued) == len(duck_rows) and all(
                    same_rows(rows, theirs) for (_s, rows), theirs in zip(issued, duck_rows, strict=True))
            results.append((m, ours_ms, duck_ms, same))
            print(f"  {m.name}: {ours_ms:,.1f} ms, DuckDB {duck_ms:,.1f} ms", file=sys.stderr, flush=True)
            if explain:
                for statement, _rows in issued:
                    print(f"== {m.name}", *(f"    {line}" for line in plan(session, statement)), sep="\n")
        session.rollback()
    return results


def uncovered(measures: list[Measure]) -> list[str]:
    """Public functions of queries, tables and kpi that take a session but no measure names (to add them)."""
    names = " ".join(m.name for m in measures)
    return [f"{module.__name__.rsplit('.', 1)[1]}.{name}" for module in (queries, tables, kpi)
            for name, value in vars(module).items() if inspect.isfunction(value) and not name.startswith("_")
            and value.__module__ == module.__name__ and name not in names
            and next(iter(inspect.signature(value).parameters), None) == "session"]


def last_twelve_months(session) -> queries.Period:
    """The last 12 complete months: the newest month with referrals is still under way."""
    _first, newest = queries.months_with_referrals(session)
    index = int(newest[:4]) * 12 + int(newest[5:]) - 2
    months = [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in (index - 11, index)]
    return queries.Period(months[0], months[1])


def rebuild(app, profile: bool) -> dict:
    """`flask facts rebuild`, as the command runs it."""
    with app.app_context():
        events_total = db.session.scalar(text("SELECT count(*) FROM events"))
        db.session.rollback()
    runner, started = app.test_cli_runner(), time.perf_counter()
    with app.app_context():  # as the flask command line pushes one
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            result = profiler.runcall(runner.invoke, args=["facts", "rebuild"])
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
        else:
            result = runner.invoke(args=["facts", "rebuild"])
    seconds = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"flask facts rebuild failed: {result.output}{result.exception!r}")
    with app.app_context():
        if db.engine.dialect.name == "postgresql":  # as autovacuum would after a bulk change
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        rows = db.session.scalar(text("SELECT count(*) FROM referral_facts"))
        db.session.rollback()
    return {"events": events_total, "rows": rows, "seconds": seconds, "output": result.output.strip()}


def report_arguments(description: str) -> argparse.ArgumentParser:
    """The arguments every report benchmark takes: how much history, where, and how often each query runs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="default: a new SQLite file under /tmp")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--months", type=int, default=24, help="months of history to generate (at least 13)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query; the median is printed")
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    return parser


def main() -> None:
    parser = report_arguments(__doc__.splitlines()[0])
    parser.add_argument("--hash-chain", action="store_true", help="compute the real hash chain (slower)")
    parser.add_argument("--reuse", action="store_true", help="time an already generated database")
    parser.add_argument("--profile-rebuild", action="store_true", help="cProfile the rebuild (to stderr)")
    args = parser.parse_args()
    if args.months < 13:
        parser.error("--months must be at least 13: the report covers the last 12 complete months")
    app, existing, backend = opened(args.database_url, f"ia-bench-{args.referrals}", args.reuse)
    started = time.perf_counter()
    if args.reuse and existing:
        made = {"events": existing, "patients": None, "seconds": 0.0}
    elif existing:
        raise SystemExit("The database already holds events: give an empty one, or --reuse to time it as it is.")
    else:
        print(f"Generating {args.referrals:,} referrals over {args.months} months ...", file=sys.stderr)
        made = generate(app, args.referrals, args.months, args.seed, args.hash_chain)
    print("Rebuilding referral_facts ...", file=sys.stderr, flush=True)
    rebuilt = rebuild(app, args.profile_rebuild)
    with app.app_context():
        period = last_twelve_months(db.session)
        in_period = db.session.scalar(select(func.count()).select_from(F).where(*period.where()))
        db.session.rollback()
    measures = dashboard_measures(period)
    print(f"Timing {len(measures)} dashboard queries for {period.first} to {period.last} ...", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="ia-bench-parquet-") as directory:
        results = run_queries(app, measures, args.repeat, args.explain, Path(directory))
    report(args, backend, made, rebuilt, period, in_period, results, measures, time.perf_counter() - started)


def report(args, backend, made, rebuilt, period, in_period, results, measures, wall) -> None:
    import duckdb

    rate = rebuilt["events"] / rebuilt["seconds"]
    print(f"\nEquity report benchmark: {args.referrals:,} referrals, {made['events']:,} events, on {backend}; "
          f"DuckDB {duckdb.__version__}; seed {args.seed}")
    if made["seconds"]:
        print(f"generate: {made['patients']:,} patients, {made['events']:,} events in {made['seconds']:,.0f} s "
              f"({'real' if args.hash_chain else 'placeholder'} hash chain)")
    print(f"(b) flask facts rebuild: {rebuilt['rows']:,} rows from {rebuilt['events']:,} events in "
          f"{rebuilt['seconds']:,.1f} s = {rate:,.0f} events/s (target >= 50,000)  [{rebuilt['output']}]")
    print(f"(a, c) dashboard queries for {period.first} to {period.last} ({in_period:,} referrals received), "
          f"median of {args.repeat}:")
    print_timings(results, "  (target <= 5.0 on SQLite at 1M)" if backend.startswith("sqlite") else "",
                  "pages (the same queries through tables/kpi; DuckDB runs the same SQL):")
    if missing := uncovered(measures):
        print(f"not timed (add to dashboard_measures): {', '.join(missing)}")
    print_wall(wall)


def print_timings(results, target: str, pages: str) -> None:
    """Each query's median time, ours beside DuckDB's, the queries first with their total, then the pages."""
    width = max(len(r[0].name) for r in results) + 2
    print(f"{'query':<{width}}{'ours ms':>10}{'duckdb ms':>11}{'ratio':>8}  same result")
    for page in (False, True):
        if page:
            ours = sum(r[1] for r in results if not r[0].page)
            duck = sum(r[2] for r in results if not r[0].page)
            print(f"{'total (queries above)':<{width}}{ours:>10,.1f}{duck:>11,.1f}{ours / duck:>8.1f}{target}")
            print(pages)
        for m, ours, duck, same in (r for r in results if r[0].page == page):
            print(f"{m.name:<{width}}{ours:>10,.1f}{duck:>11,.1f}{ours / duck:>8.1f}  {'yes' if same else 'NO'}")


def print_wall(wall: float) -> None:
    print(f"wall time: {wall:,.0f} s; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on "
          f"{os.cpu_count()} CPUs (a shared machine slows every figure alike)")


if __name__ == "__main__":
    main()
