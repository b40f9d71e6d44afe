"""Outcome reporting at scale: the outcome page's, the improvement gap's and the quarterly review's queries, against
DuckDB over the same rows.

Usage (pip install -e .[bench]):
    .venv/bin/python bench/outcome_report.py [--referrals 1000000] [--database-url URL] [--reuse]

Generates N referrals as bench/equity_report.py does (its generator, then `flask facts rebuild`; or, with --reuse,
times the database that run left), then writes the outcome facts straight into outcome_facts: for each referral seen
(a first contact), each outcome questionnaire (PROM) of its pathway and the experience questionnaire (PREM), with a
baseline at first contact, a follow-up at discharge, improvement by the minimal important change and the days to
it, follow-ups missed more often in the more deprived quintiles; and the urgent-contact flags on referral_facts.
They are rows, not questionnaire.completed events, so the rebuild does not replay them (and would remove them).
Then it times each outcome query for the last 12 complete months by IMD quintile and by ethnic group as the pages
call them (median of 3), DuckDB running the same statements over the tables exported to Parquet, and prints
ours/DuckDB ratios.
"""
# ruff: noqa: S311 - seeded fake data, not secrets
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from equity_report import (  # bench/: a script's own folder comes first on sys.path
    PARQUET,
    Loader,
    Measure,
    generate,
    last_twelve_months,
    print_timings,
    print_wall,
    rebuild,
    report_arguments,
    run_queries,
)
from migrated import opened
from sqlalchemy import func, select, text, update

from inclusive_access.domain import intake
from inclusive_access.domain.instruments import Instrument, reached_mic
from inclusive_access.domain.kpis import IMPROVEMENT_GAP
from inclusive_access.domain.policy import DEFAULT_POLICY
from inclusive_access.extensions import db
from inclusive_access.models import OutcomeFact, ReferralFact
from inclusive_access.reporting import (
    improvement_gap,
    kpi,
    outcome_charts,
    outcome_queries,
    outcomes,
    periods,
    quarterly_review,
)
from inclusive_access.reporting.outcome_queries import Scope

F = ReferralFact
SEGMENTS = ("imd_quintile", "ethnic_group")
#: what DuckDB reads: the dashboard's tables, the outcome facts, and the governance tables the review reads
TABLES = (*PARQUET, "outcome_facts", "governance_items", "reported_kpi_months")
#: integer / integer is integer division in SQLite and PostgreSQL (outcome_queries.quarter_of relies on it)
DUCKDB_SETTINGS = ("integer_division = true",)
#: by IMD quintile (None: not known): the more deprived answer less often, miss more follow-ups, gain a little
#: less, and have more urgent contacts, so every outcome gradient has something to show
BASELINE = {1: 0.78, 2: 0.81, 3: 0.84, 4: 0.87, 5: 0.90, None: 0.80}
FOLLOW_UP = {1: 0.50, 2: 0.56, 3: 0.62, 4: 0.67, 5: 0.72, None: 0.55}
GAIN = {1: 0.95, 2: 1.05, 3: 1.15, 4: 1.20, 5: 1.25, None: 1.05}  # mean change in minimal important changes
PREM = {1: 0.25, 2: 0.29, 3: 0.33, 4: 0.36, 5: 0.40, None: 0.28}
URGENT = {1: 0.07, 2: 0.06, 3: 0.05, 4: 0.045, 5: 0.04, None: 0.06}
#: the score's step (a Barthel total moves in fives, PSFS is a mean of three 0-10 ratings)
STEP = {"barthel": 5, "psfs": 0.1}


def score(instrument: Instrument, value: float) -> float:
    low, high = instrument.low, instrument.high
    step = STEP.get(instrument.id, 1)
    return min(high, max(low, round(value / step) * step))


def prom_fact(rng: random.Random, instrument: Instrument, rid: int, quintile: int | None, seen: datetime,
              discharged: datetime | None) -> dict | None:
    """One referral's row on an outcome questionnaire (None: never answered)."""
    low, high = instrument.low, instrument.high
    lower_better, width = instrument.better == "lower", high - low
    fact = dict(referral_id=rid, instrument_id=instrument.id, kind="prom", better=instrument.better, responses=0)
    if rng.random() < BASELINE[quintile]:  # starting towards the worse end
        position = rng.betavariate(3, 2) if lower_better else rng.betavariate(2, 3)
        fact.update(baseline_at=seen + rng.uniform(0, 2) * timedelta(hours=1),
                    baseline_score=score(instrument, low + width * position), responses=1)
    if discharged is not None and rng.random() < FOLLOW_UP[quintile]:
        start = fact.get("baseline_score", score(instrument, (low + high) / 2))
        gain = rng.gauss(instrument.mic * GAIN[quintile], instrument.mic * 1.2)
        fact.update(followup_at=max(seen, discharged - rng.uniform(0, 3) * timedelta(days=1)),
                    followup_score=score(instrument, start - gain if lower_better else start + gain))
        fact["responses"] += 1
    if fact.get("baseline_score") is not None and fact.get("followup_score") is not None:
        fact["improved"] = reached_mic(instrument.better, instrument.mic, fact["baseline_score"],
                                       fact["followup_score"])
        if fact["improved"]:  # a third had already reached it at a review in between
            at = fact["followup_at"]
            if rng.random() < 0.35:
                at = fact["baseline_at"] + (at - fact["baseline_at"]) * rng.uniform(0.3, 0.8)
                fact["responses"] += 1
            fact.update(improved_at=at, days_to_improvement=(at - fact["baseline_at"]).total_seconds() / 86400)
    return fact if fact["responses"] else None


def add_outcomes(app, seed: int) -> dict:
    """outcome_facts and referral_facts' urgent flags for every referral in referral_facts (any there are
    replaced); returns counts and the wall time."""
    started, rng = time.perf_counter(), random.Random(seed)
    with app.app_context():
        instruments = app.extensions["instruments"].values()
        proms = {pathway: [i for i in instruments if i.kind == "prom" and (not i.pathways or pathway in i.pathways)]
                 for pathway in db.session.scalars(select(F.pathway).distinct())}
        prem = next(i for i in instruments if i.kind == "prem")
        db.session.execute(text("DELETE FROM outcome_facts"))
        db.session.execute(update(F).values(urgent_contact_after_referral=False,
                                            urgent_contact_after_discharge=False))
        db.session.commit()
        loader, flagged, facts = Loader(db.engine), [], 0
        referrals = db.session.execute(select(F.referral_id, F.pathway, F.imd_quintile, F.first_contact_at,
                                              F.discharged_at).order_by(F.referral_id)).all()
        db.session.rollback()  # read first: on SQLite an open read would keep the loader's writes waiting
        for rid, pathway, quintile, seen, discharged in referrals:
            after_referral = rng.random() < URGENT[quintile]
            after_discharge = discharged is not None and rng.random() < URGENT[quintile] / 2
            if after_referral or after_discharge:
                flagged.append((after_referral, after_discharge, rid))
            if seen is None:
                continue
            for instrument in proms[pathway]:
                if fact := prom_fact(rng, instrument, rid, quintile, seen, discharged):
                    loader.add("outcome_facts", fact)
                    facts += 1
            if rng.random() < PREM[quintile]:
                at = discharged or seen + rng.uniform(0, 30) * timedelta(days=1)
                loader.add("outcome_facts", dict(
                    referral_id=rid, instrument_id=prem.id, kind="prem", better=prem.better, responses=1,
                    followup_at=at, followup_score=round(100 * rng.betavariate(5, 2), 1)))
                facts += 1
        loader.flush()
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE referral_facts SET urgent_contact_after_referral = :after_referral, "
                              "urgent_contact_after_discharge = :after_discharge WHERE referral_id = :rid"),
                         [{"after_referral": a, "after_discharge": b, "rid": rid} for a, b, rid in flagged])
        if db.engine.dialect.name == "postgresql":  # as autovacuum would after a bulk change (as rebuild does)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
    return {"facts": facts, "flagged": len(flagged), "seconds": time.perf_counter() - started}


def outcome_measures(app, period, quarter: str) -> list[Measure]:
    """What the outcome page, the improvement gap and the quarterly review run for a period: one measure per query
    function (per instrument and segment), then whole pages (their statements again: shown, not in the total)."""
    with app.app_context():
        instruments = dict(app.extensions["instruments"])
        pathways = list(intake.active_pathway_codes(db.session))
        db.session.rollback()
    proms = [i for i in outcomes.in_view(instruments, period) if i.kind == "prom"]
    found = []
    for segment in SEGMENTS:
        for instrument in outcomes.in_view(instruments, period):
            found.append(Measure(f"segment_sums({instrument.id}, {segment})", lambda s, i=instrument, g=segment:
                                 outcome_queries.segment_sums(s, Scope(period, i), g)))
        for instrument in proms:
            found.append(Measure(f"median_days_to_improvement({instrument.id}, {segment})",
                                 lambda s, i=instrument, g=segment:
                                 outcome_queries.median_days_to_improvement(s, Scope(period, i), g)))
        found.append(Measure(f"urgent_by({segment})", lambda s, g=segment: outcome_queries.urgent_by(
            s, period, outcome_queries.SEGMENTS[g], datetime.now(UTC))))
    for instrument in proms:  # by month and by quarter received
        found.append(Measure(f"outcome_charts.instrument_charts({instrument.id})",
                             lambda s, i=instrument: outcome_charts.instrument_charts(s, period, i)))
    months = periods.month_range(periods.months_back(period.last, kpi.WINDOW), period.last)
    trend = periods.quarters_to(quarter, quarterly_review.TREND_QUARTERS)
    found.append(Measure(f"improvement_gap.shares_improved({len(months)} months)",
                         lambda s: improvement_gap.shares_improved(s, [(m, m, m) for m in months])))
    found.append(Measure(f"improvement_gap.shares_improved({len(trend)} quarters)",
                         lambda s: improvement_gap.shares_improved(s, [
                             (q, periods.quarter_months(q)[0], periods.quarter_months(q)[-1]) for q in trend])))

    def page(s, segment: str):
        """/reports/equity/outcomes as the route builds it: the tables, the gradients by quintile, the charts."""
        tables = outcomes.tables(s, period, segment, instruments)
        measured = [t for t in tables if t.instrument is not None and t.instrument.kind == "prom"]
        if segment == "imd_quintile":
            [outcome_charts.gradients(t) for t in measured]
        return [outcome_charts.instrument_charts(s, period, t.instrument) for t in measured]

    for segment in SEGMENTS:
        found.append(Measure(f"page: outcomes by {segment}", lambda s, g=segment: page(s, g), page=True))
    found.append(Measure("page: outcomes.tables(imd_quintile, shared)", lambda s: outcomes.tables(
        s, period, "imd_quintile", instruments, shared=True), page=True))
    found.append(Measure("kpi.gap_series(improvement gap)", lambda s: kpi.gap_series(
        s, pathways, period.last, DEFAULT_POLICY, kpi=IMPROVEMENT_GAP), page=True))
    found.append(Measure(f"page: quarterly_review.review({quarter})", lambda s: quarterly_review.review(
        s, pathways, quarter, DEFAULT_POLICY), page=True))
    return found


def main() -> None:
    parser = report_arguments(__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="time an already generated database (its referral "
                                                             "facts as they are; the outcome facts made again)")
    args = parser.parse_args()
    if args.months < 13:
        parser.error("--months must be at least 13: the report covers the last 12 complete months")
    app, existing, backend = opened(args.database_url, f"ia-bench-{args.referrals}", args.reuse)
    started = time.perf_counter()
    if not (args.reuse and existing):
        if existing:
            raise SystemExit("The database already holds events: give an empty one, or --reuse to time it.")
        print(f"Generating {args.referrals:,} referrals over {args.months} months ...", file=sys.stderr)
        generate(app, args.referrals, args.months, args.seed, hash_chain=False)
        print("Rebuilding referral_facts ...", file=sys.stderr, flush=True)
        rebuild(app, profile=False)
    print("Writing outcome facts ...", file=sys.stderr, flush=True)
    made = add_outcomes(app, args.seed)
    with app.app_context():
        period = last_twelve_months(db.session)
        in_period = db.session.scalar(select(func.count()).select_from(F).where(*period.where()))
        outcome_rows = db.session.scalar(select(func.count()).select_from(OutcomeFact))
        db.session.rollback()
    # the quarter the review page opens on: the last to have closed
    quarter = periods.quarters_to(periods.quarter_of(datetime.now(UTC).strftime("%Y-%m")), 2)[0]
    measures = outcome_measures(app, period, quarter)
    print(f"Timing {len(measures)} outcome queries for {period.first} to {period.last} ...", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="ia-bench-parquet-") as directory:
        results = run_queries(app, measures, args.repeat, args.explain, Path(directory), TABLES,
                              DUCKDB_SETTINGS)
    report(args, backend, made, outcome_rows, period, in_period, results, time.perf_counter() - started)


def report(args, backend, made, outcome_rows, period, in_period, results, wall) -> None:
    import duckdb

    print(f"\nOutcome report benchmark: {args.referrals:,} referrals, {outcome_rows:,} outcome facts "
          f"({made['flagged']:,} referrals with an urgent contact), on {backend}; DuckDB {duckdb.__version__}; "
          f"seed {args.seed}; outcome facts written in {made['seconds']:,.0f} s")
    print(f"outcome queries for {period.first} to {period.last} ({in_period:,} referrals received), "
          f"median of {args.repeat}:")
    print_timings(results, "", "pages (the queries above again, with their Python; DuckDB runs the same SQL):")
    print_wall(wall)


if __name__ == "__main__":
    main()
