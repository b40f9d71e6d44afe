"""Equity queries against an independent recomputation in Python over the same facts, and crafted cases."""
import statistics
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from inclusive_access.models import ReferralFact
from inclusive_access.reporting import queries
from inclusive_access.reporting.queries import Period
from tests.conftest import ON_SQLITE
from tests.demo_snapshots import same_demo
from tests.query_plans import plans_of

HISTORY = {"patients": 80, "referrals": 120, "seed": 7}
pytestmark = same_demo(**HISTORY)


@pytest.fixture
def history(db_session, load_demo):
    load_demo(**HISTORY)
    return [row for row in db_session.scalars(select(ReferralFact))]


def _expected_counts(rows, segment: str) -> dict:
    """The same counts, by hand, from the rows."""
    out: dict = {}
    for r in rows:
        c = out.setdefault(getattr(r, segment), dict.fromkeys(queries.COUNTS, 0))
        c["referrals"] += 1
        c["accepted"] += r.accepted_at is not None
        c["rejected"] += r.rejected_at is not None
        c["flagged"] += r.flagged
        c["flagged_triaged_on_time"] += bool(r.flagged and r.triaged_at and r.triaged_at <= r.triage_due_at)
        for name in ("clarifications", "clarifications_on_time", "attended", "arrived_late_not_seen", "dnas",
                     "dnas_rebooked_in_14_days", "barrier_checks", "barrier_checks_completed", "adjustments_due",
                     "adjustments_met"):
            c[name] += getattr(r, name)
        c["first_contacts"] += r.first_contact_at is not None
        c["discharged"] += r.discharged_at is not None
        c["dna_linked_discharges"] += r.dna_linked_discharge
        c["re_referrals_within_90_days"] += r.re_referral_within_90_days
        c["referrals_with_adjustment"] += r.adjustment_in_place
    return out


def test_counts_by_every_segment_match_a_recount(db_session, history):
    """One random history (it takes a while to make), every segment checked against it."""
    months = sorted({r.received_month for r in history})
    period = Period(months[1], months[-2])
    rows = [r for r in history if period.first <= r.received_month <= period.last]
    assert any(r.adjustment_in_place for r in rows), "the history has adjustments in place in the period"
    for segment in queries.SEGMENTS:
        got = {row["segment"]: {k: v for k, v in row.items() if k != "segment"}
               for row in queries.counts_by(db_session, period, segment)}
        assert got == _expected_counts(rows, segment), segment
        assert sum(v["referrals"] for v in got.values()) == len(rows)
    in_msk = queries.counts_by(db_session, Period(months[0], months[-1], pathway="msk"), "imd_quintile")
    assert sum(row["referrals"] for row in in_msk) == sum(1 for r in history if r.pathway == "msk")


def test_counts_by_month_match_a_recount(db_session, history):
    months = sorted({r.received_month for r in history})
    period = Period(months[1], months[-1])
    got = {row.pop("month"): row for row in queries.counts_by_month(db_session, period)}
    assert got == _expected_counts([r for r in history if r.received_month >= period.first], "received_month")
    assert len(got) == len(months) - 1


def test_wait_quantiles_match_type_7_quantiles(db_session, history):
    months = sorted({r.received_month for r in history})
    period = Period(months[0], months[-1])
    for segment in ("imd_quintile", "ethnic_group", "flag_language", "age_band"):
        got = queries.wait_quantiles_by(db_session, period, segment)
        groups: dict = {}
        for r in history:
            if r.days_to_first_contact is not None:
                groups.setdefault(getattr(r, segment), []).append(r.days_to_first_contact)
        assert set(got) == set(groups), segment
        for key, values in groups.items():
            assert got[key]["n"] == len(values)
            assert got[key]["median"] == pytest.approx(statistics.median(values))
            p90 = values[0] if len(values) == 1 else statistics.quantiles(values, n=10, method="inclusive")[-1]
            assert got[key]["p90"] == pytest.approx(p90)


@ON_SQLITE
def test_what_is_still_within_its_time_is_read_from_its_own_short_range_not_the_periods_referrals(db_session):
    """A year's referrals are most of the projection; the DNAs of the last 14 days are a few, each one's referral
    then found by its key, and the triages and clarifications not yet due are a short range of due times."""
    now = datetime(2026, 12, 7, 9, tzinfo=UTC)
    _counts, plans = plans_of(db_session, lambda: queries.pending(
        db_session, Period("2025-12", "2026-11", "msk"), {"month": ReferralFact.received_month}, now))
    dnas, triage, clarifications = (plan for _statement, plan in plans)
    assert dnas.startswith("SEARCH unrebooked_dnas USING INDEX ix_unrebooked_dnas_missed_at"), dnas
    assert "SEARCH referral_facts USING INTEGER PRIMARY KEY (rowid=?)" in dnas, dnas
    assert triage.startswith("SEARCH referral_facts USING INDEX ix_referral_facts_triage_due (triage_due_at>?)"), \
        triage
    assert clarifications.startswith(
        "SEARCH referral_facts USING INDEX ix_referral_facts_clarification_due (clarification_due_at>?)"), \
        clarifications
