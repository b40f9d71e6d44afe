"""The demo data looks like a working service: every state the domain defines is there to see, and its log verifies."""
import re
from datetime import date, timedelta

from sqlalchemy import CheckConstraint, select

from inclusive_access import demo
from inclusive_access.demo.outcomes import barriers
from inclusive_access.domain import adjustments, discharge, dna, event_chain, states, triage
from inclusive_access.domain.intake import active_pathway_codes
from inclusive_access.domain.kpis import IMPROVEMENT_GAP
from inclusive_access.domain.policy import DEFAULT_POLICY
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import (
    Appointment,
    BarrierCheck,
    Clarification,
    GovernanceItem,
    OutcomeFact,
    QuestionnaireResponse,
    ReasonableAdjustment,
    Referral,
    SafeguardingConcern,
    SeniorReview,
)
from inclusive_access.models.outcomes import MODES, TIME_POINTS
from inclusive_access.models.reviews import KINDS
from inclusive_access.reporting import kpi, outreach, periods, quarterly_review
from tests.demo_snapshots import A_YEAR, NOW, same_demo


def allowed(model, column: str) -> set[str]:
    """The values the model's check constraint allows in `column` (`column IN ('a', 'b')`)."""
    rule = next(c for c in model.__table__.constraints
                if isinstance(c, CheckConstraint) and str(c.sqltext).startswith(f"{column} IN"))
    return set(re.findall(r"'(\w+)'", str(rule.sqltext)))


def reachable_referral_states() -> set[str]:
    """Received, and every state a transition leads to (a state nothing leads to cannot be shown)."""
    return {states.ReferralState.RECEIVED} | {target for target, _roles in states.REFERRAL_TRANSITIONS.values()}


@same_demo(**A_YEAR)
def test_a_small_demo_shows_every_state_with_todays_work_first_and_a_log_that_verifies(db_session, load_demo):
    session = db_session
    load_demo(**A_YEAR)
    referrals = session.scalars(select(Referral)).all()
    items = session.scalars(select(GovernanceItem)).all()
    concerns = session.scalars(select(SafeguardingConcern)).all()
    clarifications = session.scalars(select(Clarification)).all()
    checks = session.scalars(select(BarrierCheck)).all()
    reviews = session.scalars(select(SeniorReview)).all()
    shown = {
        "referral states": {r.state for r in referrals},
        "appointment statuses": set(session.scalars(select(Appointment.status))),
        "governance items": {(i.status, i.plan_recorded_at is not None) for i in items},
        "safeguarding concerns": {(c.status, c.routed_to is not None) for c in concerns},
        "adjustments": set(session.scalars(select(ReasonableAdjustment.status))),
        "barrier checks": {c.outcome or "open" for c in checks},
        "clarifications": {"open, overdue" if c.closed_at is None and c.due_at < NOW else
                           "open" if c.closed_at is None else "answered" if c.response else "closed without answer"
                           for c in clarifications},
        "senior reviews": {r.kind for r in reviews} | {r.decision or "pending" for r in reviews},
    }
    expected = {
        "referral states": reachable_referral_states(),
        "appointment statuses": set(states.AppointmentStatus),
        # a closed item always had its plan (the model's rule): open, open with its plan, re-measured and closed
        "governance items": {(s, planned) for s in allowed(GovernanceItem, "status") for planned in (False, True)
                             if s == "open" or planned},
        "safeguarding concerns": {(s, routed) for s in allowed(SafeguardingConcern, "status")
                                  for routed in (False, True)},
        "adjustments": allowed(ReasonableAdjustment, "status"),
        "barrier checks": set(dna.OUTCOMES) | {"open"},
        "clarifications": {"open, overdue", "open", "answered", "closed without answer"},
        "senior reviews": set(KINDS) | set(discharge.DECISIONS) | {"pending"},
    }
    missing = {what: expected[what] - shown[what] for what in expected if expected[what] - shown[what]}
    assert missing == {}
    assert len({(c.patient_id, c.raised_at) for c in concerns}) == len(concerns), "each concern raised once"
    assert any(r.previous_referral_id for r in referrals), "a re-referral"
    assert any(r.senior_review_flagged_at for r in referrals), "a referral on the senior review list"
    assert adjustments.overdue_reviews(session, NOW.date()), "an adjustment due for review"
    # a service, not a backlog: most referrals are resolved
    assert sum(r.state in states.CLOSED_STATES for r in referrals) > len(referrals) / 2

    newest = max(referrals, key=lambda r: r.received_at)
    assert newest.flagged
    assert newest in triage.triage_worklist(session, triage.WorklistFilters(), NOW).rows

    assert_the_outcomes_show_their_gaps(session)
    assert_the_improvement_gap_has_a_planned_governance_item(session)
    assert_the_outreach_cohort_shows_figures(session)
    session.commit()  # which seals the events
    assert event_chain.verify(session).ok


def share(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


def assert_the_outcomes_show_their_gaps(session) -> None:
    """Questionnaires at every time point, taken every clinician's way; of the patients discharged after a
    baseline, those with a barrier (IMD quintile 1 or 2, a language need, cognitive impairment, housing
    instability) miss the follow-up more often, and quintile 1 improves less often than quintile 5."""
    responses = session.scalars(select(QuestionnaireResponse)).all()
    assert {r.time_point for r in responses} == set(TIME_POINTS)
    assert {r.mode for r in responses} == set(MODES) - {"patient_link"}
    followed: dict[bool, list[bool]] = {True: [], False: []}
    improved: dict[int | None, list[bool]] = {}
    for referral, outcome in session.execute(
            select(Referral, OutcomeFact).join(OutcomeFact, OutcomeFact.referral_id == Referral.id)
            .where(OutcomeFact.kind == "prom", OutcomeFact.baseline_at.is_not(None),
                   Referral.discharged_at.is_not(None))):
        followed[barriers(referral) > 0].append(outcome.followup_at is not None)
        if outcome.improved is not None:
            improved.setdefault(referral.imd_quintile, []).append(outcome.improved)
    assert share(followed[True]) < share(followed[False]) - 0.1, "follow-ups missing where barriers are"
    assert share(improved[1]) < share(improved[5]) - 0.1, "an outcome gap"


def assert_the_improvement_gap_has_a_planned_governance_item(session) -> None:
    """In a closed month, a pathway's quintile 1 improved less often than its quintile 5, on enough follow-ups at
    each end to judge: the sweep opened an item, the manager planned a response, and the quarterly review lists it
    under the improvement gap beside the month's breach."""
    item = session.scalars(select(GovernanceItem).where(GovernanceItem.kpi == IMPROVEMENT_GAP.code)).one()
    assert item.plan_recorded_at is not None
    assert "interpreter" in item.corrective_action
    review = quarterly_review.review(session, list(active_pathway_codes(session)), periods.quarter_of(item.month),
                                     DEFAULT_POLICY)
    improvement = next(k for k in review.kpis if k.kpi == IMPROVEMENT_GAP)
    assert item in improvement.items
    month = next(m for row in improvement.pathways if row.pathway == item.pathway
                 for m in row.months if m and m.month == item.month)
    assert month.breach, "judged on enough follow-ups at each end, and past the threshold"


def test_the_demo_sweeps_each_month_as_it_closed_and_restates_one_that_late_entries_changed(db_session):
    demo.load(db_session, patients=25, referrals=40, seed=11, now=NOW)
    series = kpi.gap_series(db_session, list(active_pathway_codes(db_session)), "2026-10", DEFAULT_POLICY)
    months = [m for s in series for m in s.months]
    assert months
    for month in months:  # first reported the morning after it closed
        reported = month.reported.reported_at.astimezone(LONDON)
        assert (reported.day, (reported - timedelta(days=1)).strftime("%Y-%m")) == (1, month.month)
    restated = [m for m in months if m.restated]
    assert restated, "a month restated since it was first reported"
    assert any(m.q1_n > m.reported.q1_n for m in restated), "the most deprived's attendances, entered late"


def assert_the_outreach_cohort_shows_figures(session) -> None:
    """Over the demo's months of outreach: people linked and not, some seen again, follow-ups judged."""
    found = outreach.figures(session, date(2026, 5, 1), date(2026, 8, 31), now=NOW)
    assert min(found.counts["people_linked"], found.counts["people_unlinked"]) > 0
    assert 0 < found.counts["engaged"] < found.counts["followed"]
    assert found.counts["follow_ups_due"]
