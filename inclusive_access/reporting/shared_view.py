"""What a shared view of the equity dashboard hides: one linear system over every count it publishes for a period
(segment tables, intersectional tables, the monthly charts and the completeness table), so no hidden 1-7 is worked
out by setting one published figure against others (suppression.suppress_linked solves it)."""
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from inclusive_access.domain import fact_counts, segments
from inclusive_access.reporting import queries, suppression, tables
from inclusive_access.reporting.queries import Period
from inclusive_access.reporting.tables import (
    COMPLETENESS_PARTS,
    CROSS_SEGMENTS,
    DEPRIVATION,
    MEASURES,
    MONTH,
    PENDING,
    PENDING_COUNT,
    RATE_CHARTS,
    SEGMENT_LABELS,
    SHOWN_COUNTS,
    UNKNOWN_VALUES,
    WAIT_COUNT,
    segment_values,
)

#: tables.PENDING's part of the flagged referrals: those whose triage is not yet due
TRIAGE_PENDING = PENDING["flagged"][0]
#: the counts of each month a shared view gives away: the rate charts' numerators and denominators (a rate with its
#: denominator gives its numerator), the DNAs pending that the two DNA counts give, and the completeness table's
#: referrals with the parts each percentage splits them into
MONTHLY_COUNTS = tuple(dict.fromkeys(("referrals", PENDING_COUNT, "dnas_decided",
                                      *(name for key, _label, num, den in MEASURES if key in RATE_CHARTS
                                        for name in (num, den)),
                                      *(part for parts in COMPLETENESS_PARTS.values() for part in parts))))


def _pending_by_quintile(session: Session, period: Period, now: datetime) -> dict[tuple, dict[str, int]]:
    """What is still within its time at `now` (queries.pending), keyed as counts_by_quintile's rows: (segment,
    quintile, value)."""
    quintile = queries.SEGMENTS[segments.IMD_QUINTILE.key]
    by_quintile = queries.pending(session, period, {"q": quintile}, now)
    out = {(fact_counts.ALL, q, ""): found for (q,), found in by_quintile.items()}
    for segment in SEGMENT_LABELS:
        if segment != segments.IMD_QUINTILE.key:
            by = {"q": quintile, "v": queries.SEGMENTS[segment]}
            out |= {(segment, q, v): found for (q, v), found in queries.pending(session, period, by, now).items()}
    return out


def shared_hidden(session: Session, period: Period, now: datetime | None = None) -> set[tuple]:
    """The counts a shared view hides, for everything it publishes for the period at once: every segment table and
    every intersectional table (any of them can be exported), so no "*" is worked out by setting one against another.

    Keys: (count, segment, value) in a segment table, (count, segment, quintile, value) in an intersectional one.
    What an analyst knows links them: each segment table sums to the same total; an intersectional table's rows and
    columns sum to the IMD and the other segment's tables; the DNAs decided and pending make up the DNAs; a flag's
    referrals are all flagged, those due for triage and those not yet due; and in the deprivation flag's table
    (defined from the quintile) every empty cell is known to be empty. The clarifications due are part of a count
    not published (all clarifications), so nothing shown gives the rest away.
    """
    imd = segments.IMD_QUINTILE.key
    pending = _pending_by_quintile(session, period, now or datetime.now(UTC))
    found = {key: tables.derived(row, pending.get(key)) for row in queries.counts_by_quintile(session, period)
             for key in [(row["segment"], row["quintile"], row["value"])]}
    quintiles = [q for q, _label in segment_values(imd)]

    def cell(segment: str, quintile, value) -> dict:
        return found.get((segment, quintile, value)) or tables.derived(None)

    counts: dict[tuple, int] = {}
    relations: list[dict[tuple, int]] = []
    for name in (*SHOWN_COUNTS, WAIT_COUNT, PENDING_COUNT):
        for q in quintiles:
            counts[name, imd, q] = cell(fact_counts.ALL, q, "")[name]
        for segment in SEGMENT_LABELS:
            values = [v for v, _label in segment_values(segment)]
            if segment != imd:
                for v in values:
                    counts[name, segment, v] = sum(cell(segment, q, v)[name] for q in quintiles)
            relations.append({(name, segment, v): 1 for v in values} | {(name,): -1})
        if name in (WAIT_COUNT, PENDING_COUNT):  # shown in the segment tables only
            continue
        for segment in CROSS_SEGMENTS:
            values = [v for v, _label in segment_values(segment)]
            for q in quintiles:
                counts |= {(name, segment, q, v): cell(segment, q, v)[name] for v in values}
                relations.append({(name, segment, q, v): 1 for v in values} | {(name, imd, q): -1})
            relations += [{(name, segment, q, v): 1 for q in quintiles} | {(name, segment, v): -1} for v in values]
            if segment == DEPRIVATION:
                relations += [{(name, segment, q, v): 1} for q in quintiles for v in values
                              if counts[name, segment, q, v] == 0]
    for segment in (flag.key for flag in segments.FLAG_SEGMENTS):
        # A flag's referrals are all flagged: they less those due for triage are those not yet due, a count not
        # published. Where the flag has none, the analyst knows each quintile's is none too (none is negative),
        # which makes the referrals and those due equal there: known zeros. Otherwise they are unknowns.
        places = [(segment, True), *((segment, q, True) for q in quintiles)]
        relations += [{("flagged_due", *place): 1, (TRIAGE_PENDING, *place): 1, ("referrals", *place): -1}
                      for place in places]
        relations.append({(TRIAGE_PENDING, segment, q, True): 1 for q in quintiles}
                         | {(TRIAGE_PENDING, segment, True): -1})
        if not any(cell(segment, q, True)[TRIAGE_PENDING] for q in quintiles):
            counts |= dict.fromkeys(((TRIAGE_PENDING, *place) for place in places), 0)
    for segment in SEGMENT_LABELS:  # the DNAs shown and the DNAs decided give the pending ones away
        relations += [{("dnas_decided", segment, v): 1, (PENDING_COUNT, segment, v): 1, ("dnas", segment, v): -1}
                      for v, _label in segment_values(segment)]
    monthly = _monthly(session, period, now or datetime.now(UTC))
    counts |= {(name, MONTH, month): c[name] for month, c in monthly.items() for name in MONTHLY_COUNTS}
    return suppression.suppress_linked(counts, relations + _monthly_relations(list(monthly)))


def _monthly(session: Session, period: Period, now: datetime) -> dict[str, dict]:
    """MONTHLY_COUNTS for each month received in the period, as the rate charts and the completeness table give
    them away."""
    pending = queries.pending(session, period, {"month": queries.RECEIVED_MONTH}, now)
    out = {r["month"]: tables.derived(r, pending.get((r["month"],)))
           for r in queries.counts_by_month(session, period)}
    for r in queries.completeness_by_month(session, period):
        out[r["month"]] |= {"ethnicity_stated": r["ethnicity"], "ethnicity_not_stated": r["referrals"] - r["ethnicity"],
                            "imd_recorded": r["imd"], "imd_not_recorded": r["referrals"] - r["imd"]}
    return out


def _monthly_relations(months: list[str]) -> list[dict[tuple, int]]:
    """Each month's counts sum to the period's; within a month, the DNAs decided and pending make up the DNAs, and
    the referrals with and without an ethnic group stated (or an IMD quintile) make up the referrals; and over the
    months, those stated (recorded) are the segment tables' known rows, the others their unknown rows."""
    if not months:
        return []
    relations = [{(name, MONTH, m): 1 for m in months} | {(name,): -1} for name in MONTHLY_COUNTS]
    for m in months:
        relations.append({("dnas_decided", MONTH, m): 1, (PENDING_COUNT, MONTH, m): 1, ("dnas", MONTH, m): -1})
        relations += [{(part, MONTH, m): 1 for part in parts} | {("referrals", MONTH, m): -1}
                      for parts in COMPLETENESS_PARTS.values()]
    for segment, (known_part, unknown_part) in COMPLETENESS_PARTS.items():
        values = [v for v, _label in segment_values(segment)]
        for part, group in ((known_part, [v for v in values if v not in UNKNOWN_VALUES]),
                            (unknown_part, [v for v in values if v in UNKNOWN_VALUES])):
            relations.append({(part, MONTH, m): 1 for m in months} | {("referrals", segment, v): -1 for v in group})
    return relations
