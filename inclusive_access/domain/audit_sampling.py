"""Reproducible audit samples: a record type, months, an optional segment filter and strata, a size and a seed
always draw the same records, in the database, on SQLite and PostgreSQL alike.

Each candidate's sort key mixes its record id with constants drawn from the seed, in integer arithmetic mod
p = 2^31 - 1 that both databases compute identically (a database random function would differ between engines and
runs): a different seed gives a different order, the same seed the same one."""
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import BigInteger, String, case, cast, func, select
from sqlalchemy.orm import Session, aliased

from inclusive_access.domain import actions, events, segments, submissions
from inclusive_access.domain.access import AUDIT_WORK, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.equity import ETHNIC_GROUPS
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.domain.governance import MONTH
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import AuditSample, AuditSampleRecord, BarrierCheck, Clarification, ReasonableAdjustment
from inclusive_access.models import ReferralFact as F

PRIME = 2_147_483_647
MAX_SIZE = 500
RECORD_TYPES = {
    "adjustment": "Reasonable adjustments",
    "dna_discharge": "Discharges linked to non-attendance",
    "rejected_referral": "Rejected referrals",
    "barrier_check": "Barrier checks after a missed appointment",
    "clarification": "Clarification requests",
    "flagged_triage": "Triage of flagged referrals",
}
#: the segments a sample may be filtered or stratified by, in the form's order
OFFERED = (segments.IMD_QUINTILE, segments.ETHNIC_GROUP, segments.PATHWAY, segments.ANY_FLAG,
           *segments.FLAG_SEGMENTS)
#: segment key -> its referral_facts column (snapshotted at receipt)
SEGMENTS = {segment.key: getattr(F, segment.column) for segment in OFFERED}
SEGMENT_LABELS = segments.labels(OFFERED)
#: the true/false segments: any flag, or each one
FLAG_SEGMENTS = frozenset(segment.key for segment in OFFERED if segment.true_false)
ALLOCATIONS = {"equal": "Equal: the same number from each group",
               "proportional": "Proportional to each group's size"}


@dataclass(frozen=True)
class SampleRequest:
    record_type: str
    first_month: str
    last_month: str
    size: int | None
    seed: int | None
    pathway: str | None = None
    segment: str | None = None
    segment_value: str | None = None
    stratify_by: str | None = None
    allocation: str | None = None

    def errors(self) -> dict[str, str]:
        found = {}
        if self.record_type not in RECORD_TYPES:
            found["record_type"] = "Select the kind of record to sample"
        for name in ("first_month", "last_month"):
            if not MONTH.match(getattr(self, name) or ""):
                found[name] = "Enter the month as YYYY-MM"
        if not found.keys() & {"first_month", "last_month"} and self.first_month > self.last_month:
            found["last_month"] = "The last month must not be before the first"
        if self.size is None or not 1 <= self.size <= MAX_SIZE:
            found["size"] = f"Enter a sample size from 1 to {MAX_SIZE}"
        if self.seed is None or not 0 <= self.seed < PRIME:
            found["seed"] = f"Enter a seed from 0 to {PRIME - 1:,}"
        if self.segment and self.segment not in SEGMENTS:
            found["segment"] = "Select a segment from the list"
        elif self.segment and not self.segment_value:
            found["segment_value"] = "Enter the value of the segment to keep"
        elif self.segment and (allowed := segment_values(self.segment)) and self.segment_value not in allowed:
            found["segment_value"] = f"Enter one of: {', '.join(allowed)}"
        if self.stratify_by and self.stratify_by not in SEGMENTS:
            found["stratify_by"] = "Select a segment from the list"
        if bool(self.stratify_by) != bool(self.allocation):
            found["allocation" if self.stratify_by else "stratify_by"] = (
                "Choose both what to stratify by and how to allocate, or neither")
        elif self.allocation and self.allocation not in ALLOCATIONS:
            found["allocation"] = "Select equal or proportional allocation"
        return found


def offered_seed() -> int:
    """A fresh seed for the form (the auditor may change it; the sample records whichever is used)."""
    return random.SystemRandom().randrange(PRIME)


def _bounds(first: str, last: str) -> tuple[datetime, datetime]:
    year, month = int(last[:4]), int(last[5:])
    after = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return tuple(datetime.fromisoformat(f"{m}-01").replace(tzinfo=LONDON).astimezone(UTC) for m in (first, after))


def _candidates(record_type: str) -> tuple:
    """(select of record_id, patient_id, referral_id joined to the referral's facts, the moment the period filters)"""
    if record_type == "adjustment":  # a patient's record: segmented by their latest referral's facts
        ra = ReasonableAdjustment
        other = aliased(F)
        latest = (select(func.max(other.referral_id)).where(other.patient_id == ra.patient_id).correlate(ra)
                  .scalar_subquery())
        return (select(ra.id.label("record_id"), ra.patient_id.label("patient_id"), F.referral_id.label("referral_id"))
                .join(F, F.referral_id == latest), ra.recorded_at)
    if record_type in ("barrier_check", "clarification"):
        row = BarrierCheck if record_type == "barrier_check" else Clarification
        moment = BarrierCheck.opened_at if record_type == "barrier_check" else Clarification.requested_at
        return (select(row.id.label("record_id"), F.patient_id.label("patient_id"),
                       row.referral_id.label("referral_id")).join(F, F.referral_id == row.referral_id), moment)
    query = select(F.referral_id.label("record_id"), F.patient_id.label("patient_id"),
                   F.referral_id.label("referral_id"))
    if record_type == "dna_discharge":
        return query.where(F.dna_linked_discharge.is_(True)), F.discharged_at
    if record_type == "rejected_referral":
        return query, F.rejected_at
    return query.where(F.flagged.is_(True)), F.triaged_at  # flagged_triage


def _segment_condition(segment: str, value: str):
    """The filter for a segment value as the form gives it (validated by SampleRequest.errors)."""
    column = SEGMENTS[segment]
    if segment in FLAG_SEGMENTS:
        return column.is_(value == "true")
    if segment == segments.IMD_QUINTILE.key:
        return column.is_(None) if value == segments.IMD_QUINTILE.unknown else column == int(value)
    return column == value  # ethnic groups store "Not known" as a value of their own


def _stratum(segment: str):
    """A stratum's name, the same text on both databases (a boolean cast to text is 1/0 on SQLite)."""
    column = SEGMENTS[segment]
    if segment in FLAG_SEGMENTS:
        return case((column.is_(True), "true"), else_="false")
    return func.coalesce(cast(column, String), segments.NOT_KNOWN)


def segment_values(segment: str) -> list[str] | None:
    """The values a segment filter accepts, or None where any text is allowed (a pathway's code)."""
    if segment == segments.IMD_QUINTILE.key:
        return ["1", "2", "3", "4", "5", segments.IMD_QUINTILE.unknown]
    if segment == segments.ETHNIC_GROUP.key:
        return list(dict.fromkeys(ETHNIC_GROUPS.values()))
    if segment in FLAG_SEGMENTS:
        return ["true", "false"]
    return None


def _population(request: SampleRequest):
    query, moment = _candidates(request.record_type)
    start, end = _bounds(request.first_month, request.last_month)
    query = query.where(moment >= start, moment < end)
    if request.pathway:
        query = query.where(F.pathway == request.pathway)
    if request.segment:
        query = query.where(_segment_condition(request.segment, request.segment_value))
    return query


def allocate(counts: dict[str, int], size: int, how: str) -> dict[str, int]:
    """How many records to take from each stratum; the total is min(size, population).

    Equal: size / k each, strata too small to fill their share giving the rest to the others, in turn. Proportional:
    each stratum's exact share, rounded down, then the remaining records to the largest remainders (Hamilton's
    method; ties to the stratum named first in sort order) — never more than a stratum holds.
    """
    size = min(size, sum(counts.values()))
    taken = dict.fromkeys(counts, 0)
    if how == "equal":
        open_strata = sorted(s for s, n in counts.items() if n > 0)
        left = size
        while left and open_strata:
            share, extra = divmod(left, len(open_strata))
            for position, stratum in enumerate(list(open_strata)):
                room = counts[stratum] - taken[stratum]
                add = min(room, share + (1 if position < extra else 0))
                taken[stratum] += add
                left -= add
            open_strata = [s for s in open_strata if taken[s] < counts[s]]
        return taken
    total = sum(counts.values())
    exact = {s: size * n / total for s, n in counts.items()} if total else {}
    for stratum, share in exact.items():
        taken[stratum] = int(share)
    by_remainder = sorted(exact, key=lambda s: (-(exact[s] - int(exact[s])), s))
    for stratum in by_remainder[:size - sum(taken.values())]:
        taken[stratum] += 1
    return taken


def _key(record_type: str, seed: int, record_id):
    """The sort key: two rounds of an affine step then a square, mod p, with constants from the seed. The squares
    break the lattice an affine map alone leaves (ids a fixed step apart would sort together); every value stays
    below 2^62, so 64-bit integer arithmetic is exact on both databases. The record type seeds it too, so one seed
does not put the same ids first in every table."""
    rng = random.Random(f"{record_type}:{seed}")  # noqa: S311 - a reproducible order, not a secret
    key = cast(record_id, BigInteger)
    for _round in range(2):
        key = (key * rng.randrange(2, PRIME - 1) + rng.randrange(PRIME)) % PRIME
        key = (key * key + rng.randrange(PRIME)) % PRIME
    return key


def draw_sample(session: Session, actor: Actor, request: SampleRequest, submission_token: str | None = None,
                now: datetime | None = None) -> AuditSample:
    """Draw and record a sample: the records are the candidates with the lowest keys (per stratum, by allocation),
    ties broken by id, so the same request draws the same records again."""
    require_role(actor, AUDIT_WORK)
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, AuditSample, submission_token)
    if errors := request.errors():
        raise InvalidInput(errors)
    stratum = _stratum(request.stratify_by) if request.stratify_by else None
    population = _population(request).add_columns(
        (stratum if stratum is not None else cast(None, String)).label("stratum")).subquery()
    key = _key(request.record_type, request.seed, population.c.record_id)
    counts = dict(session.execute(select(population.c.stratum, func.count()).group_by(population.c.stratum)).all())
    wanted = allocate(counts, request.size, request.allocation) if stratum is not None else {None: request.size}
    drawn = []
    for group, take in sorted(wanted.items(), key=lambda item: (item[0] is None, item[0] or "")):
        if take:
            query = select(population).order_by(key, population.c.record_id).limit(take)
            if stratum is not None:
                query = query.where(population.c.stratum == group)
            drawn += session.execute(query).all()
    sample = AuditSample(record_type=request.record_type, first_month=request.first_month,
                         last_month=request.last_month, pathway=request.pathway, segment=request.segment,
                         segment_value=request.segment_value if request.segment else None,
                         stratify_by=request.stratify_by, allocation=request.allocation, size=request.size,
                         seed=request.seed, population=sum(counts.values()), taken=len(drawn),
                         drawn_by=actor.user_id, drawn_at=now, submission_token=submission_token)
    session.add(sample)
    session.flush()
    session.add_all(AuditSampleRecord(sample_id=sample.id, position=position, record_id=row.record_id,
                                      patient_id=row.patient_id, referral_id=row.referral_id, stratum=row.stratum)
                    for position, row in enumerate(drawn, start=1))
    session.flush()
    session.refresh(sample, ["records"])
    events.record(session, actor, actions.SAMPLE_DRAWN, "audit_sample", sample.id, now=now,
                  data={"record_type": request.record_type, "first_month": request.first_month,
                        "last_month": request.last_month, "pathway": request.pathway, "segment": request.segment,
                        "segment_value": sample.segment_value, "stratify_by": request.stratify_by,
                        "allocation": request.allocation, "size": request.size, "seed": request.seed,
                        "population": sample.population, "taken": sample.taken})
    return sample


def samples(session: Session, limit: int = 100) -> list[AuditSample]:
    """Samples drawn, newest first."""
    return list(session.scalars(select(AuditSample).order_by(AuditSample.drawn_at.desc(), AuditSample.id.desc())
                                .limit(limit)))
