"""Audit findings: the first finding, every checklist item answered and no other, revisions with a reason against
the version seen (the old version kept), the events, roles, and the sample's summary with Wilson intervals and its
CSV."""
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, clarification
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.audit_findings import (
    ANSWERS,
    CHECKLISTS,
    FindingDetails,
    current_finding,
    record_finding,
    versions,
)
from inclusive_access.domain.audit_sampling import RECORD_TYPES, SampleRequest, draw_sample
from inclusive_access.domain.errors import InvalidInput, StaleRecord
from inclusive_access.models import AuditAnswer, AuditFinding, Event
from inclusive_access.models import audit as audit_models
from inclusive_access.reporting import exports, queries
from inclusive_access.reporting.audit import Compliance, summary
from inclusive_access.reporting.stats import wilson_ci
from tests.event_log import count
from tests.factories import ASKED, make_referral, make_user

ITEMS = list(CHECKLISTS["clarification"])  # within_24_hours, escalated, resolved
DRAWN = datetime(2026, 7, 2, 9, 0, tzinfo=UTC)
JUDGED = datetime(2026, 7, 3, 9, 0, tzinfo=UTC)
REVISED = JUDGED + timedelta(days=1)
ALL_COMPLIANT = dict.fromkeys(ITEMS, "compliant")


# --- Helpers -------------------------------------------------------------------------------------

def answers(within_24_hours: str, escalated: str, resolved: str) -> dict[str, str]:
    return {"within_24_hours": within_24_hours, "escalated": escalated, "resolved": resolved}


def judge(session, actor, record, given: dict, note: str = "", reason: str = "", seen: int | None = None,
          now: datetime = JUDGED) -> AuditFinding:
    return record_finding(session, actor, record, FindingDetails(given, note, reason), seen, now=now)


def finding_events(session) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.action == actions.FINDING_RECORDED).order_by(Event.seq)))


def draw(session, actor, n: int, **options):
    """`n` clarifications asked in June (intake overrides in turn from `deciles`), all of them sampled."""
    booker = actor_for(make_user(session, role="booking"))
    for i, decile in enumerate(options.pop("deciles", ["5"] * n)):
        referral = make_referral(session, received_at="2026-06-01 09:00", imd_decile=decile)
        clarification.request_clarification(session, booker, referral, referral.version, "Which knee?",
                                            "telephone", "Dr Example", now=ASKED + timedelta(minutes=i))
    return draw_sample(session, actor, SampleRequest("clarification", "2026-06", "2026-06", n, 4242, **options),
                       now=DRAWN)


def expected(item: str, stratum: str | None, counts: dict[str, int], compliant: int, judged: int) -> Compliance:
    if not judged:
        return Compliance(item, stratum, counts, 0, None, None, None)
    return Compliance(item, stratum, counts, judged, compliant / judged, *wilson_ci(compliant, judged))


@pytest.fixture
def auditor(db_session):
    return actor_for(make_user(db_session, role="auditor", username="auditor"))


@pytest.fixture
def sample(db_session, auditor):
    """Five sampled clarifications, none judged yet."""
    found = draw(db_session, auditor, 5)
    db_session.commit()
    return found


@pytest.fixture
def record(sample):
    return sample.records[0]


# --- Checklists ----------------------------------------------------------------------------------

def test_every_record_type_has_a_checklist_and_the_answers_match_the_schema():
    assert set(CHECKLISTS) == set(RECORD_TYPES) == set(audit_models.RECORD_TYPES)
    assert tuple(ANSWERS) == audit_models.ANSWERS
    for checklist in CHECKLISTS.values():
        assert checklist
        assert all(question.strip() for question in checklist.values())
        assert all(len(item) <= 40 for item in checklist)  # audit_answers.item is VARCHAR(40)


# --- The first finding ---------------------------------------------------------------------------

def test_the_first_finding_is_version_one_with_every_answer(db_session, auditor, record):
    given = answers("compliant", "not_applicable", "partly")
    finding = judge(db_session, auditor, record, given, note="Answered by phone on day two")
    db_session.commit()
    db_session.expire_all()
    stored = current_finding(db_session, record.id)
    assert stored.id == finding.id
    assert (stored.version, stored.current, stored.note, stored.reason, stored.recorded_by, stored.recorded_at) == (
        1, True, "Answered by phone on day two", None, auditor.user_id, JUDGED)
    assert [(a.item, a.answer) for a in stored.answers] == list(given.items())
    assert [v.id for v in versions(db_session, record.id)] == [finding.id]


def test_the_first_finding_writes_one_event_with_the_answers(db_session, auditor, record):
    finding = judge(db_session, auditor, record, answers("compliant", "not_applicable", "partly"), note="Seen")
    db_session.commit()
    [event] = finding_events(db_session)
    assert (event.entity_type, event.entity_id, event.actor_id, event.patient_id, event.referral_id,
            event.occurred_at) == ("audit_finding", finding.id, auditor.user_id, record.patient_id,
                                   record.referral_id, JUDGED)
    assert json.loads(event.data) == {
        "sample_id": record.sample_id, "record_id": record.record_id, "version": 1,
        "answers": {"within_24_hours": "compliant", "escalated": "not_applicable", "resolved": "partly"},
        "note": "Seen", "reason": None}


def test_a_blank_note_is_stored_as_none(db_session, auditor, record):
    assert judge(db_session, auditor, record, ALL_COMPLIANT).note is None


def test_findings_of_different_records_are_independent(db_session, auditor, sample):
    first, second = sample.records[:2]
    judge(db_session, auditor, first, ALL_COMPLIANT)
    judge(db_session, auditor, second, ALL_COMPLIANT)  # seen_version None: second has no finding yet
    assert current_finding(db_session, first.id).version == current_finding(db_session, second.id).version == 1
    assert current_finding(db_session, sample.records[2].id) is None


# --- Answers refused ----------------------------------------------------------------------------

@pytest.mark.parametrize("missing", ITEMS)
def test_a_missing_answer_is_refused_under_its_item(db_session, auditor, record, missing):
    given = {item: "compliant" for item in ITEMS if item != missing}
    with pytest.raises(InvalidInput) as raised:
        judge(db_session, auditor, record, given)
    assert raised.value.errors == {f"item_{missing}": "Choose an answer for this item"}
    assert count(db_session, AuditFinding) == count(db_session, AuditAnswer) == 0
    assert finding_events(db_session) == []


@pytest.mark.parametrize("bad", ["", "yes", "Compliant", None])
def test_an_answer_not_on_the_scale_is_refused(db_session, auditor, record, bad):
    with pytest.raises(InvalidInput) as raised:
        judge(db_session, auditor, record, {**ALL_COMPLIANT, "escalated": bad})
    assert raised.value.errors == {"item_escalated": "Choose an answer for this item"}
    assert count(db_session, AuditFinding) == 0


def test_no_answers_at_all_names_every_item(db_session, auditor, record):
    with pytest.raises(InvalidInput) as raised:
        judge(db_session, auditor, record, {})
    assert raised.value.errors == {f"item_{item}": "Choose an answer for this item" for item in ITEMS}


@pytest.mark.parametrize("extra", ["same_day", "made_up"])
def test_answers_for_items_not_on_the_checklist_are_refused(db_session, auditor, record, extra):
    with pytest.raises(InvalidInput) as raised:
        judge(db_session, auditor, record, {**ALL_COMPLIANT, extra: "compliant"})
    assert raised.value.errors == {"answers": "Answer the items of this record's checklist only"}
    assert count(db_session, AuditFinding) == 0
    assert finding_events(db_session) == []


# --- Revisions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_revision_without_a_reason_is_refused(db_session, auditor, record, reason):
    first = judge(db_session, auditor, record, ALL_COMPLIANT)
    db_session.commit()
    with pytest.raises(InvalidInput) as raised:
        judge(db_session, auditor, record, answers("partly", "compliant", "compliant"), reason=reason, seen=1,
              now=REVISED)
    assert raised.value.errors == {"reason": "Give the reason for revising the finding"}
    db_session.rollback()
    assert [(v.id, v.current) for v in versions(db_session, record.id)] == [(first.id, True)]
    assert len(finding_events(db_session)) == 1


def test_a_revision_keeps_the_old_version_and_only_the_newest_counts(db_session, auditor, record):
    first = judge(db_session, auditor, record, ALL_COMPLIANT, note="First look")
    db_session.commit()
    revised = judge(db_session, auditor, record, answers("not_compliant", "compliant", "compliant"),
                    reason="Call log shows the referrer was called on day three", seen=1, now=REVISED)
    db_session.commit()
    db_session.expire_all()
    assert [(v.id, v.version, v.current) for v in versions(db_session, record.id)] == [
        (revised.id, 2, True), (first.id, 1, False)]
    assert current_finding(db_session, record.id).id == revised.id
    old = db_session.get(AuditFinding, first.id)
    assert ([(a.item, a.answer) for a in old.answers], old.note, old.reason) == (
        list(ALL_COMPLIANT.items()), "First look", None)
    assert revised.reason == "Call log shows the referrer was called on day three"
    overall, _strata = summary(db_session, record.sample_id, ITEMS)
    assert overall[0] == expected("within_24_hours", None, {"not_compliant": 1}, 0, 1)
    assert sum(row["n"] for row in queries.audit_answer_counts(db_session, record.sample_id)) == len(ITEMS)


def test_each_version_writes_an_event_with_its_answers_and_reason(db_session, auditor, record):
    judge(db_session, auditor, record, ALL_COMPLIANT)
    revised = judge(db_session, auditor, record, answers("partly", "compliant", "not_applicable"),
                    note="Second look", reason="Escalation email found", seen=1, now=REVISED)
    third = judge(db_session, auditor, record, ALL_COMPLIANT, reason="Email was for another referral", seen=2,
                  now=REVISED + timedelta(hours=1))
    data = [json.loads(e.data) for e in finding_events(db_session)]
    assert [(d["version"], d["reason"]) for d in data] == [
        (1, None), (2, "Escalation email found"), (3, "Email was for another referral")]
    assert data[1]["answers"] == {"within_24_hours": "partly", "escalated": "compliant",
                                  "resolved": "not_applicable"}
    assert data[1]["note"] == "Second look"
    assert [e.entity_id for e in finding_events(db_session)][1:] == [revised.id, third.id]


@pytest.mark.parametrize(("versions_before", "seen"), [
    (0, 1),      # nothing recorded yet, but the form claims version 1
    (1, None),   # someone else recorded the first finding meanwhile
    (2, 1),      # revising version 1 when version 2 is current
    (1, 2),      # a version that does not exist yet
])
def test_a_stale_version_is_refused_and_nothing_saved(db_session, auditor, record, versions_before, seen):
    for version in range(1, versions_before + 1):
        judge(db_session, auditor, record, ALL_COMPLIANT, reason="" if version == 1 else "Recheck",
              seen=version - 1 or None)
    db_session.commit()
    with pytest.raises(StaleRecord):
        judge(db_session, auditor, record, answers("partly", "partly", "partly"), reason="Mine", seen=seen,
              now=REVISED)
    db_session.rollback()
    assert count(db_session, AuditFinding) == len(finding_events(db_session)) == versions_before
    assert [v.version for v in versions(db_session, record.id)] == list(range(versions_before, 0, -1))


def test_staleness_is_checked_before_the_answers(db_session, auditor, record):
    judge(db_session, auditor, record, ALL_COMPLIANT)
    with pytest.raises(StaleRecord):
        judge(db_session, auditor, record, {}, seen=None)


# --- The summary ---------------------------------------------------------------------------------

#: answers per record, in draw order; hand-worked compliance below
TABLE = [answers("compliant", "not_applicable", "compliant"),
         answers("compliant", "not_applicable", "partly"),
         answers("not_compliant", "not_applicable", "compliant"),
         answers("compliant", "not_applicable", "not_compliant"),
         answers("partly", "not_applicable", "not_applicable")]


def test_the_summary_rates_compliance_with_wilson_intervals_leaving_out_not_applicable(db_session, auditor,
                                                                                      sample):
    for record, given in zip(sample.records, TABLE, strict=True):
        judge(db_session, auditor, record, given)
    overall, by_stratum = summary(db_session, sample.id, ITEMS)
    assert overall == [
        # 3 compliant of 5 judged
        expected("within_24_hours", None, {"compliant": 3, "partly": 1, "not_compliant": 1}, 3, 5),
        # all five not applicable: nothing judged, no rate
        expected("escalated", None, {"not_applicable": 5}, 0, 0),
        # 2 compliant of 4 judged: the not-applicable answer is not in the denominator
        expected("resolved", None, {"compliant": 2, "partly": 1, "not_compliant": 1, "not_applicable": 1}, 2, 4),
    ]
    assert (overall[0].rate, overall[0].lower, overall[0].upper) == (
        0.6, pytest.approx(0.2307, abs=1e-4), pytest.approx(0.8824, abs=1e-4))  # Wilson 3/5, published
    assert (overall[2].judged, overall[2].rate) == (4, 0.5)
    # not stratified: one stratum, None
    assert {row.stratum for row in by_stratum} == {None}


def test_items_nobody_judged_yet_have_no_rate(db_session, sample):
    overall, by_stratum = summary(db_session, sample.id, ITEMS)
    assert overall == [Compliance(item, None, {}, 0, None, None, None) for item in ITEMS]
    assert by_stratum == []


def test_the_summary_has_a_row_per_item_and_stratum_for_a_stratified_sample(db_session, auditor):
    sample = draw(db_session, auditor, 4, deciles=["1", "10", "2", "9"], stratify_by="imd_quintile",
                  allocation="equal")
    by_quintile = {"1": [answers("compliant", "compliant", "not_applicable"),
                         answers("compliant", "not_compliant", "not_applicable")],
                   "5": [answers("not_compliant", "not_applicable", "compliant"),
                         answers("partly", "compliant", "compliant")]}
    assert [r.stratum for r in sample.records] == ["1", "1", "5", "5"]
    for record in sample.records:
        judge(db_session, auditor, record, by_quintile[record.stratum].pop(0))
    overall, by_stratum = summary(db_session, sample.id, ITEMS)
    assert overall == [
        expected("within_24_hours", None, {"compliant": 2, "not_compliant": 1, "partly": 1}, 2, 4),
        expected("escalated", None, {"compliant": 2, "not_compliant": 1, "not_applicable": 1}, 2, 3),
        expected("resolved", None, {"not_applicable": 2, "compliant": 2}, 2, 2),
    ]
    assert by_stratum == [
        expected("within_24_hours", "1", {"compliant": 2}, 2, 2),
        expected("within_24_hours", "5", {"not_compliant": 1, "partly": 1}, 0, 2),
        expected("escalated", "1", {"compliant": 1, "not_compliant": 1}, 1, 2),
        expected("escalated", "5", {"not_applicable": 1, "compliant": 1}, 1, 1),
        expected("resolved", "1", {"not_applicable": 2}, 0, 0),
        expected("resolved", "5", {"compliant": 2}, 2, 2),
    ]
    assert (by_stratum[1].rate, by_stratum[1].lower) == (0.0, 0.0)
    assert (by_stratum[0].rate, by_stratum[0].upper) == (1.0, 1.0)


def test_the_csv_has_a_header_and_a_row_per_item_then_per_stratum(db_session, auditor, sample):
    for record, given in zip(sample.records, TABLE, strict=True):
        judge(db_session, auditor, record, given)
    overall, _by_stratum = summary(db_session, sample.id, ITEMS)
    rows = list(csv.reader(io.StringIO(exports.audit_csv(overall, CHECKLISTS["clarification"]))))
    assert rows[0] == ["item", "question", "stratum", "compliant", "partly", "not_compliant", "not_applicable",
                       "judged", "compliant_pct", "lower_95", "upper_95"]
    lower, upper = wilson_ci(3, 5)
    assert rows[1] == ["within_24_hours", "Referrer contacted within 24 hours", "", "3", "1", "1", "0", "5",
                       "60.0", str(round(100 * lower, 1)), str(round(100 * upper, 1))]
    assert rows[1][-2:] == ["23.1", "88.2"]
    assert rows[2] == ["escalated", "Escalated when overdue", "", "0", "0", "0", "5", "0", "", "", ""]
    assert len(rows) == 1 + len(ITEMS)


def test_the_csv_names_the_stratum(db_session, auditor):
    sample = draw(db_session, auditor, 2, deciles=["1", "10"], stratify_by="imd_quintile", allocation="equal")
    for record in sample.records:
        judge(db_session, auditor, record, ALL_COMPLIANT)
    overall, by_stratum = summary(db_session, sample.id, ITEMS)
    rows = list(csv.reader(io.StringIO(exports.audit_csv(overall + by_stratum, CHECKLISTS["clarification"]))))
    assert [(r[0], r[2]) for r in rows[1:]] == [
        *((item, "") for item in ITEMS), *((item, q) for item in ITEMS for q in ("1", "5"))]
    assert rows[4][3:9] == ["1", "0", "0", "0", "1", "100.0"]
