"""Wait quantiles read by offset along an index: crafted waits with ties, one-referral groups and unknowns, and
(SQLite) the query plans that keep them from sorting the period's waits."""
import pytest

from inclusive_access.models import ReferralFact
from inclusive_access.reporting import queries
from inclusive_access.reporting.queries import Period
from tests.conftest import ON_SQLITE
from tests.factories import make_referral
from tests.query_plans import plans_of

#: (received month, pathway, IMD quintile, days to first contact or None)
WAITS = [
    ("2026-03", "msk", 1, 3.0), ("2026-03", "msk", 1, 1.0), ("2026-04", "msk", 1, 2.0), ("2026-04", "msk", 1, 2.0),
    ("2026-04", "msk", 2, 5.5),
    ("2026-03", "msk", None, 0.0), ("2026-04", "msk", None, 10.0),
    ("2026-04", "msk", 3, None),  # no first contact yet: not in any quantile
    ("2026-02", "msk", 2, 99.0), ("2026-05", "msk", 2, 99.0),  # outside the period
    ("2026-04", "frailty", 1, 40.0),  # another pathway
]


@pytest.fixture
def crafted(db_session):
    """Referrals made through intake, their facts then given crafted months and waits (the measure under test
    reads only these columns)."""
    for month, pathway, quintile, days in WAITS:
        fact = db_session.get(ReferralFact, make_referral(db_session).id)
        fact.received_month, fact.pathway, fact.imd_quintile = month, pathway, quintile
        fact.days_to_first_contact = days
        fact.first_contact_month = month if days is not None else None
    db_session.commit()
    return db_session


def test_type_7_quantiles_with_ties_single_referrals_and_the_unknown_row(crafted):
    got = queries.wait_quantiles_by(crafted, Period("2026-03", "2026-04", "msk"), "imd_quintile")
    # quintile 1 sorted 1, 2, 2, 3: median (h 2.5) 2 + 0.5 * 0; p90 (h 3.7) 2 + 0.7 * (3 - 2)
    assert got[1] == {"n": 4, "median": 2.0, "p90": pytest.approx(2.7)}
    assert got[2] == {"n": 1, "median": 5.5, "p90": 5.5}
    # unknown quintile 0 and 10: median 5, p90 (h 1.9) 0 + 0.9 * 10
    assert got[None] == {"n": 2, "median": 5.0, "p90": pytest.approx(9.0)}
    assert 3 not in got


def test_the_order_statistics_asked_for_are_read_by_rank(crafted):
    def first_second_and_last(n: int) -> dict[str, int]:
        return {"first": 1, "second": min(2, n), "last": n}

    got = queries.wait_quantiles_by(crafted, Period("2026-03", "2026-04", "msk"), "imd_quintile",
                                    ranks=first_second_and_last)
    assert (got[1]["first"], got[1]["second"], got[1]["last"]) == (1.0, 2.0, 3.0)  # sorted 1, 2, 2, 3
    assert (got[2]["first"], got[2]["second"], got[2]["last"]) == (5.5, 5.5, 5.5)
    assert (got[None]["first"], got[None]["last"]) == (0.0, 10.0)


def test_every_pathway_unless_one_is_chosen(crafted):
    got = queries.wait_quantiles_by(crafted, Period("2026-03", "2026-04"), "imd_quintile")
    # 1, 2, 2, 3, 40: the frailty referral joins quintile 1
    assert got[1] == {"n": 5, "median": 2.0, "p90": pytest.approx(3 + 0.6 * 37)}


def test_monthly_medians_per_pathway_month_and_known_quintile(crafted):
    got = queries.monthly_median_waits(crafted, ["2026-03", "2026-04"])
    assert got == {("msk", "2026-03", 1): {"n": 2, "median": 2.0}, ("msk", "2026-04", 1): {"n": 2, "median": 2.0},
                   ("msk", "2026-04", 2): {"n": 1, "median": 5.5}, ("frailty", "2026-04", 1): {"n": 1, "median": 40.0}}
    together = queries.monthly_median_waits(crafted, ["2026-04"], by_pathway=False)
    assert together[(None, "2026-04", 1)] == {"n": 3, "median": 2.0}


def test_each_months_median_over_everyone_counts_every_quintile_known_or_not(crafted):
    # 2026-03: 3 and 1 in quintile 1, 0 not known; 2026-04: 2, 2 (quintile 1), 5.5 (2), 10 (not known), 40 (frailty)
    assert queries.monthly_median_wait(crafted, ["2026-03", "2026-04"]) == {
        "2026-03": {"n": 3, "median": 1.0}, "2026-04": {"n": 5, "median": 5.5}}
    # MSK alone in April: 2, 2, 5.5, 10, median (h 2.5) 2 + 0.5 * (5.5 - 2)
    assert queries.monthly_median_wait(crafted, ["2026-04"], "msk") == {"2026-04": {"n": 4, "median": 3.75}}


def test_the_kpis_ends_alone_with_the_order_statistics_asked_for(crafted):
    got = queries.monthly_median_waits(crafted, ["2026-04"], quintiles=(1, 5),
                                       ranks=lambda n: {"lower": 1, "upper": n})
    assert got == {("msk", "2026-04", 1): {"n": 2, "median": 2.0, "lower": 2.0, "upper": 2.0},
                   ("frailty", "2026-04", 1): {"n": 1, "median": 40.0, "lower": 40.0, "upper": 40.0}}


def _plans(session, run) -> tuple[object, list[tuple[str, list[str]]]]:
    """What `run` returns, and each statement it issues with SQLite's plan for it, line by line."""
    result, plans = plans_of(session, run)
    return result, [(statement, plan.split("\n")) for statement, plan in plans]


def _read_in_order(plan: list[str], index: str) -> bool:
    """The window's rows come from `index` and, at most, each of its groups is sorted apart (never the whole read)."""
    return any(index in line for line in plan) and not any(line == "USE TEMP B-TREE FOR ORDER BY" for line in plan)


@ON_SQLITE
@pytest.mark.parametrize("pathway", [None, "msk"])
def test_sqlite_reads_each_segments_wait_index_without_sorting(crafted, pathway):
    period = Period("2026-03", "2026-04", pathway)
    for segment in ("imd_quintile", "ethnic_group", "flag_carer"):
        _found, plans = _plans(crafted, lambda s=segment: queries.wait_quantiles_by(crafted, period, s))
        assert len(plans) == 2, "the counts, then every group's order statistics in one window"
        index = f"referral_facts USING COVERING INDEX ix_referral_facts_wait_{segment}"
        (_counts, counts_plan), (_window, window_plan) = plans
        assert counts_plan == [f"SCAN {index}"]  # in group order: no temporary B-tree
        assert f"SCAN {index}" in window_plan
        assert not any("TEMP B-TREE" in line for line in window_plan)


@ON_SQLITE
def test_sqlite_reads_the_equity_kpis_medians_and_the_month_range_from_indexes(crafted):
    months = ["2026-03", "2026-04"]
    for run in (lambda: queries.monthly_median_waits(crafted, months),
                lambda: queries.monthly_median_waits(crafted, months, by_pathway=False),
                lambda: queries.monthly_median_waits(crafted, months, quintiles=(1, 5),
                                                     ranks=lambda n: {"lower": 1, "upper": n}),
                lambda: queries.monthly_median_wait(crafted, months),
                lambda: queries.monthly_median_wait(crafted, months, "msk", by_pathway=True)):
        _found, plans = _plans(crafted, run)
        assert len(plans) == 2, "the counts, then every group's order statistics in one window"
        for _statement, plan in plans:
            assert _read_in_order(plan, "ix_referral_facts_first_contact_wait (first_contact_month=?")
    months, [(_statement, plan)] = _plans(crafted, lambda: queries.months_with_referrals(crafted))
    assert months == ("2026-02", "2026-05")
    assert [line for line in plan if "referral_facts" in line] == [
        "SEARCH referral_facts USING COVERING INDEX ix_referral_facts_received", ] * 2
