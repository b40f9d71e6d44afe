"""Order statistics in one window against an independent recount (odd and even groups, ties, one-person groups), and
closed months' stored wait figures: read as computed, and restated by a late entry until stored again."""
import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select

from inclusive_access.domain import monthly_waits
from inclusive_access.domain.policy import DEFAULT_POLICY
from inclusive_access.models import MonthlyWait, ReferralFact
from inclusive_access.reporting import kpi, queries, stored_waits
from inclusive_access.reporting.queries import Period
from tests.factories import JUDGED_Q1_WAITS, JUDGED_Q5_WAITS, make_referral, staff, wait_gap_month

MONTHS = ["2026-03", "2026-04", "2026-05"]
PATHWAYS = ("msk", "frailty")


def _type_7(values: list[float], p: float) -> float:
    """R's type 7, written out: x[floor h] plus the fraction of the way to the next, h = (n - 1) p + 1."""
    ordered, h = sorted(values), (len(values) - 1) * p + 1
    low = int(h)
    return ordered[low - 1] + (h - low) * (ordered[min(low, len(values) - 1)] - ordered[low - 1])


def _ranks(n: int) -> dict[str, int]:
    return {"first": 1, "third": min(3, n), "last": n}


@pytest.fixture
def varied(db_session):
    """Facts given crafted months, pathways, quintiles and waits in half days (so ties are common): groups of one
    to nine people, odd and even."""
    rng, rows = random.Random(21), []
    for month in MONTHS:
        for pathway in PATHWAYS:
            for quintile in (1, 2, 5, None):
                for _ in range(rng.randint(1, 9)):
                    rows.append((month, pathway, quintile, rng.randint(0, 12) / 2))
    for month, pathway, quintile, days in rows:
        fact = db_session.get(ReferralFact, make_referral(db_session).id)
        fact.received_month = fact.first_contact_month = month
        fact.pathway, fact.imd_quintile, fact.days_to_first_contact = pathway, quintile, days
    db_session.commit()
    return rows


def test_every_groups_order_statistics_match_a_recount(db_session, varied):
    groups: dict[tuple, list[float]] = {}
    for month, pathway, quintile, days in varied:
        for key in ((pathway, month, quintile), (None, month, quintile), (month,), (pathway, month)):
            if None not in key[1:] or len(key) < 3:
                groups.setdefault(key, []).append(days)

    def expected(key: tuple, ranks: bool) -> dict:
        values = sorted(groups[key])
        extra = {name: values[rank - 1] for name, rank in _ranks(len(values)).items()} if ranks else {}
        return {"n": len(values), "median": pytest.approx(_type_7(values, 0.5)), **extra}

    by_pathway = queries.monthly_median_waits(db_session, MONTHS, ranks=_ranks)
    assert by_pathway == {key: expected(key, True) for key in groups if len(key) == 3 and key[0]}
    together = queries.monthly_median_waits(db_session, MONTHS, by_pathway=False)
    assert together == {key: expected(key, False) for key in groups if len(key) == 3 and not key[0]}
    assert queries.monthly_median_wait(db_session, MONTHS) == {
        key[0]: expected(key, False) for key in groups if len(key) == 1}
    assert queries.monthly_median_wait(db_session, MONTHS, by_pathway=True) == {
        key: expected(key, False) for key in groups if len(key) == 2}
    by_quintile: dict = {}
    for _month, _pathway, quintile, days in varied:
        by_quintile.setdefault(quintile, []).append(days)
    got = queries.wait_quantiles_by(db_session, Period(MONTHS[0], MONTHS[-1]), "imd_quintile", ranks=_ranks)
    assert got == {quintile: {"n": len(values), "median": pytest.approx(_type_7(values, 0.5)),
                              "p90": pytest.approx(_type_7(values, 0.9)),
                              **{name: sorted(values)[rank - 1] for name, rank in _ranks(len(values)).items()}}
                   for quintile, values in by_quintile.items()}


def _dashboard_figures(session) -> tuple:
    """What the dashboard shows of the waits by month of first contact, for every pathway and for MSK."""
    return tuple((kpi.gap_series(session, list(PATHWAYS), MONTHS[-1], DEFAULT_POLICY, window=3),
                  kpi.quintile_charts(session, pathway, MONTHS[-1], window=3),
                  kpi.median_wait_chart(session, pathway, MONTHS[-1], window=3)) for pathway in (None, "msk"))


def _store(session) -> None:
    monthly_waits.store(session, stored_waits.unstored(session, "2026-06"), datetime.now(UTC))
    session.commit()


def _reads_of_facts(session, run) -> int:
    """How many statements `run` issues that read referral_facts."""
    issued = []

    def keep(_conn, _cursor, statement, *_args):
        issued.append("referral_facts" in statement)

    event.listen(session.get_bind(), "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", keep)
    return sum(issued)


def test_stored_months_read_as_they_were_computed_without_reading_the_facts(db_session, varied):
    computed = _dashboard_figures(db_session)
    _store(db_session)
    stored = {(row.month, row.pathway, row.quintile) for row in db_session.scalars(select(MonthlyWait))}
    assert {(month, "", 0) for month in MONTHS} <= stored
    assert {("2026-04", "msk", 1), ("2026-04", "", 5)} <= stored
    assert _reads_of_facts(db_session, lambda: _dashboard_figures(db_session)) == 0
    assert _dashboard_figures(db_session) == computed
    assert stored_waits.unstored(db_session, "2026-06") == [], "each month is stored once"


def test_a_late_first_contact_restates_its_month_until_it_is_stored_again(db_session):
    clinician = staff(db_session, "clinician")
    wait_gap_month(db_session, clinician, "2026-04", JUDGED_Q1_WAITS, JUDGED_Q5_WAITS)
    wait_gap_month(db_session, clinician, "2026-05", JUDGED_Q1_WAITS, JUDGED_Q5_WAITS)
    db_session.commit()
    _store(db_session)
    before = kpi.gap_for(db_session, "msk", "2026-04", DEFAULT_POLICY)
    assert (before.q1_n, before.gap) == (10, 6.0)

    wait_gap_month(db_session, clinician, "2026-04", (20, 21, 22, 23, 24), ())  # recorded after April was stored
    db_session.commit()
    months = set(db_session.scalars(select(MonthlyWait.month).distinct()))
    assert months == {"2026-05"}, "only the month the late entries moved is forgotten"
    restated = kpi.gap_for(db_session, "msk", "2026-04", DEFAULT_POLICY)
    assert (restated.q1_n, restated.q1_value) == (15, 14.0)
    assert restated == kpi.gap_for(db_session, "msk", "2026-04", DEFAULT_POLICY)

    _store(db_session)
    assert db_session.scalar(select(func.count()).where(MonthlyWait.month == "2026-04")) > 0
    assert kpi.gap_for(db_session, "msk", "2026-04", DEFAULT_POLICY) == restated
