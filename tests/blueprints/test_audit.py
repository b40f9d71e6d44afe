"""Audit pages: auditors only; drawing a sample (its form errors, the short-population message), a
record's page (banner, checklist, timeline) and its finding form (errors, revisions, the stale-page conflict),
escaping, and the summary with its CSV."""
import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, audit_findings, audit_sampling, clarification
from inclusive_access.domain.audit_findings import CHECKLISTS, FindingDetails
from inclusive_access.domain.audit_sampling import SampleRequest
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import AuditFinding, AuditSample, AuditSampleRecord
from inclusive_access.reporting.stats import wilson_ci
from tests.blueprints import pages
from tests.blueprints.records import accept, count, events, miss, propose_rejection, record_adjustment
from tests.conftest import ON_BOTH_DATABASES, post_form
from tests.factories import ASKED, JUNE, RECEIVED, make_referral, staff

QUESTIONS = CHECKLISTS["clarification"]
SAMPLE_FORM = {"record_type": "clarification", "first_month": JUNE, "last_month": JUNE, "pathway": "",
               "segment": "", "segment_value": "", "stratify_by": "", "allocation": "", "size": "10",
               "seed": "4242"}
SAMPLE_FIELDS = set(SAMPLE_FORM) | {"csrf_token"}
FINDING = {"item_within_24_hours": "compliant", "item_escalated": "not_applicable", "item_resolved": "partly",
           "note": "", "version": ""}
FINDING_FIELDS = {"item_within_24_hours", "item_escalated", "item_resolved", "note", "version", "csrf_token"}
SCRIPT_NOTE = '<script>alert("audit")</script> & <b>bold</b>'


def _population(app, n: int = 3, **intake) -> list[int]:
    """`n` clarifications of Audited SAMPLETON's referrals asked in June: the referral ids."""
    with app.app_context():
        booker = staff(db.session, "booking")
        ids = []
        for i in range(n):
            referral = make_referral(db.session, given_name="Audited", received_at=RECEIVED, **intake)
            clarification.request_clarification(db.session, booker, referral, referral.version, "Which knee?",
                                                "telephone", "Dr Example", now=ASKED + timedelta(minutes=i))
            ids.append(referral.id)
        db.session.commit()
        return ids


def _draw(app, size: int = 3, **options) -> int:
    """A sample drawn through the domain by another auditor: its id."""
    with app.app_context():
        auditor = staff(db.session, "auditor")
        sample = audit_sampling.draw_sample(db.session, auditor, SampleRequest("clarification", JUNE, JUNE, size,
                                                                               4242, **options))
        db.session.commit()
        return sample.id


def _judge(app, sample_id: int, position: int, answers: dict, reason: str = "", seen: int | None = None) -> None:
    """Another auditor records a finding through the domain."""
    with app.app_context():
        record = db.session.get(AuditSample, sample_id).records[position - 1]
        auditor = staff(db.session, "auditor")
        audit_findings.record_finding(db.session, auditor, record, FindingDetails(answers, "", reason), seen)
        db.session.commit()


def _saved(app) -> tuple:
    """What a refused POST must leave alone: samples, drawn records, findings and the audit events."""
    return (count(app, AuditSample), count(app, AuditSampleRecord), count(app, AuditFinding),
            [(e.seq, e.action) for e in events(app) if e.action.startswith("audit.")])


def _urls(sample_id: int) -> list[str]:
    base = f"/audit/samples/{sample_id}"
    return ["/audit/samples", "/audit/samples/new", base, f"{base}/records/1", f"{base}/summary",
            f"{base}/summary/export"]


@pytest.fixture
def population(app) -> list[int]:
    return _population(app)


@pytest.fixture
def sample_id(app, population) -> int:
    """The three June clarifications, all sampled, none judged yet."""
    return _draw(app)


# -- who may see the audit pages -----------------------------------------------------------------------------

def test_auditors_see_every_audit_page(client, login_as, sample_id):
    login_as("auditor")
    for url in _urls(sample_id):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("role", ["booking", "clinician", "senior", "manager"])
def test_other_roles_are_refused_every_audit_url(app, client, login_as, sample_id, role):
    login_as(role)
    before = _saved(app)
    for url in _urls(sample_id):
        assert client.get(url).status_code == 403, url
    assert post_form(client, "/audit/samples/new", SAMPLE_FORM).status_code == 403
    assert post_form(client, f"/audit/samples/{sample_id}/records/1", FINDING).status_code == 403
    assert _saved(app) == before


def test_signed_out_visitors_are_sent_to_sign_in(client, sample_id):
    for url in _urls(sample_id):
        response = client.get(url)
        assert response.status_code in (302, 303), url
        assert "/auth/login" in response.headers["Location"]


def test_an_unknown_sample_or_position_is_not_found(client, login_as, sample_id):
    login_as("auditor")
    for url in ("/audit/samples/999999", "/audit/samples/999999/summary", "/audit/samples/999999/records/1",
                f"/audit/samples/{sample_id}/records/0", f"/audit/samples/{sample_id}/records/4"):
        assert client.get(url).status_code == 404, url


# -- drawing a sample ---------------------------------------------------------------------------------------

def test_the_new_sample_form_offers_a_seed(client, login_as, population):
    login_as("auditor")
    page = pages.page_text(client.get("/audit/samples/new"))
    assert "<h1>Draw an audit sample</h1>" in page
    assert pages.field_names(page) >= SAMPLE_FIELDS
    seed = int(page.split('name="seed"')[1].split('value="')[1].split('"')[0])
    assert 0 <= seed < audit_sampling.PRIME
    for label in audit_sampling.RECORD_TYPES.values():
        assert label in page


def test_drawing_a_sample_redirects_to_it(app, client, login_as, population):
    user_id = login_as("auditor")
    response = post_form(client, "/audit/samples/new", {**SAMPLE_FORM, "size": "2"})
    assert response.status_code == 303
    with app.app_context():
        sample = db.session.scalars(select(AuditSample)).one()
        assert (sample.taken, sample.population, sample.size, sample.seed, sample.drawn_by) == (2, 3, 2, 4242,
                                                                                                user_id)
    assert response.headers["Location"] == f"/audit/samples/{sample.id}"
    page = pages.page_text(client.get(response.headers["Location"]))
    assert "Sample drawn: 2 of 3 records." in page
    assert "Fewer records matched" not in page
    assert f"<h1>Audit sample {sample.id}: Clarification requests</h1>" in page
    assert "2 taken of 3 that matched" in page
    assert "2 asked, seed 4242" in page
    assert [e.action for e in events(app, actions.SAMPLE_DRAWN)] == [actions.SAMPLE_DRAWN]


def test_a_size_larger_than_the_population_takes_them_all_and_says_so(app, client, login_as, population):
    login_as("auditor")
    response = post_form(client, "/audit/samples/new", SAMPLE_FORM)  # size 10, three match
    assert response.status_code == 303
    page = pages.page_text(client.get(response.headers["Location"]))
    assert "Sample drawn: 3 of 3 records. Fewer records matched than the size asked for, so all of them were taken." \
        in page
    assert "3 taken of 3 that matched (all of them: fewer matched than asked for)" in page
    for position in (1, 2, 3):
        assert f"Record {position}" in page


def test_the_same_form_draws_the_same_records(app, client, login_as):
    _population(app, 12)
    login_as("auditor")
    for _ in range(2):
        assert post_form(client, "/audit/samples/new", {**SAMPLE_FORM, "size": "5"}).status_code == 303
    with app.app_context():
        first, second = db.session.scalars(select(AuditSample).order_by(AuditSample.id)).all()
        assert [r.record_id for r in first.records] == [r.record_id for r in second.records]
        assert len(first.records) == 5


def test_a_stratified_filtered_sample_from_the_form(app, client, login_as):
    _population(app, 3, imd_decile="1")
    _population(app, 2, imd_decile="10")
    _population(app, 2, imd_decile="10", housing_status="temporary")
    login_as("auditor")
    response = post_form(client, "/audit/samples/new", {**SAMPLE_FORM, "segment": "flag_housing",
                                                        "segment_value": "false", "stratify_by": "imd_quintile",
                                                        "allocation": "proportional", "size": "4",
                                                        "pathway": "msk"})
    assert response.status_code == 303
    page = pages.page_text(client.get(response.headers["Location"]))
    assert "Sample drawn: 4 of 5 records." in page
    assert "Flag: Housing instability: false" in page
    assert "IMD quintile, proportional allocation" in page
    with app.app_context():
        sample = db.session.scalars(select(AuditSample)).one()
        assert [r.stratum for r in sample.records] == ["1", "1", "5", "5"]  # 2.4 and 1.6: the .6 gets the extra
        assert sample.pathway == "msk"


# The rules that need the records, and one of the form's own (tests/blueprints/test_form_rules.py has the rest).
@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"record_type": ""}, "record_type", "Select the kind of record to sample"),
    ({"first_month": "2026-07"}, "last_month", "The last month must not be before the first"),
    ({"segment": "imd_quintile"}, "segment_value", "Enter the value of the segment to keep"),
    ({"stratify_by": "imd_quintile"}, "allocation", "Choose both what to stratify by and how to allocate, or neither"),
    ({"allocation": "equal"}, "stratify_by", "Choose both what to stratify by and how to allocate, or neither"),
], ids=["no-record-type", "months-reversed", "segment-without-value", "strata-without-allocation",
        "allocation-without-strata"])
@ON_BOTH_DATABASES
def test_a_bad_sample_form_is_shown_again_with_its_error_and_nothing_is_saved(app, client, login_as, population,
                                                                              changes, field, message):
    login_as("auditor")
    before = _saved(app)
    response = post_form(client, "/audit/samples/new", {**SAMPLE_FORM, **changes})
    page = pages.shown_again(response, field, message)
    assert pages.field_names(page) >= SAMPLE_FIELDS, "the form is shown again"
    assert _saved(app) == before


def test_a_bad_sample_form_keeps_what_was_typed(client, login_as, population):
    login_as("auditor")
    page = pages.page_text(post_form(client, "/audit/samples/new", {**SAMPLE_FORM, "size": "0", "seed": "987654"}))
    assert 'value="987654"' in page
    assert f'value="{JUNE}"' in page
    assert re.search(r'<option value="clarification" selected\s*>', page)


def test_the_list_shows_each_sample(client, login_as, sample_id):
    login_as("auditor")
    page = pages.page_text(client.get("/audit/samples"))
    assert f'href="/audit/samples/{sample_id}"' in page
    assert "3 of 3" in page


# -- a record's page and its finding ------------------------------------------------------------------------

def test_the_record_page_shows_the_banner_the_checklist_and_the_timeline(client, login_as, sample_id):
    login_as("auditor")
    page = pages.open_page(client, f"/audit/samples/{sample_id}/records/1")
    banner = pages.patient_banner(page)
    assert "Audited SAMPLETON" in banner
    assert "NHS number" in banner
    assert f"<h1>Sample {sample_id}, record 1 of 3: Clarification requests</h1>" in page
    assert "Which knee?" in page
    for question in QUESTIONS.values():
        assert question in page
    for answer in audit_findings.ANSWERS.values():
        assert answer in page
    timeline = page[page.index("<h2>Timeline</h2>"):]
    assert "referral.received" in timeline
    assert "clarification.requested" in timeline
    assert pages.field_names(page) >= FINDING_FIELDS
    assert "reason" not in pages.field_names(page), "no reason to give for a first finding"
    assert pages.version_in(page) == ""


def _one_of_each(app) -> None:
    """Made now, through the pages' helpers: an adjustment, a rejected referral, a flagged referral accepted at
    triage, and a barrier check after a missed appointment."""
    with app.app_context():
        booker, clinician = staff(db.session, "booking"), staff(db.session, "clinician")
        adjusted = make_referral(db.session, given_name="Adjusted")
        record_adjustment(db.session, clinician, adjusted.patient, description="Afternoon appointments only")
        propose_rejection(db.session, clinician, make_referral(db.session, given_name="Rejected"))
        accept(db.session, booker, make_referral(db.session, given_name="Flagged", housing_status="temporary"))
        miss(db.session, clinician, make_referral(db.session, given_name="Missed"))
        db.session.commit()


@pytest.mark.parametrize(("record_type", "patient", "shown"), [
    ("adjustment", "Adjusted SAMPLETON", ["Timing: Afternoon appointments only", "Review date"]),
    ("rejected_referral", "Rejected SAMPLETON", ["State", "Rejected"]),
    ("flagged_triage", "Flagged SAMPLETON", ["State", "Accepted"]),
    ("barrier_check", "Missed SAMPLETON", ["Missed appointment", "Still open"]),
])
def test_each_record_types_page_shows_the_record_and_its_checklist(app, client, login_as, record_type, patient,
                                                                   shown):
    _one_of_each(app)
    this_month = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")
    with app.app_context():
        sample = audit_sampling.draw_sample(db.session, staff(db.session, "auditor"), SampleRequest(
            record_type, "2026-01", this_month, 5, 1))
        db.session.commit()
        sample_id, taken = sample.id, sample.taken
    assert taken == 1
    login_as("auditor")
    page = pages.open_page(client, f"/audit/samples/{sample_id}/records/1")
    assert patient in pages.patient_banner(page)
    assert f"record 1 of 1: {audit_sampling.RECORD_TYPES[record_type]}</h1>" in page
    for text in shown:
        assert text in page, text
    for question in CHECKLISTS[record_type].values():
        assert question in page
    assert pages.field_names(page) >= {f"item_{item}" for item in CHECKLISTS[record_type]}
    assert "<h2>Timeline</h2>" in page


def test_a_sample_that_matches_nothing(client, login_as):
    login_as("auditor")
    response = post_form(client, "/audit/samples/new", SAMPLE_FORM)
    assert response.status_code == 303
    page = pages.page_text(client.get(response.headers["Location"]))
    assert "Sample drawn: 0 of 0 records. Fewer records matched" in page
    assert "Records in draw order" not in page
    assert client.get(f"{response.headers['Location']}/records/1").status_code == 404
    assert client.get(f"{response.headers['Location']}/summary").status_code == 200


def test_recording_a_finding_moves_to_the_next_record_then_the_summary(app, client, login_as, sample_id):
    user_id = login_as("auditor")
    response = post_form(client, f"/audit/samples/{sample_id}/records/1", FINDING)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/audit/samples/{sample_id}/records/2"
    assert "Finding recorded." in pages.page_text(client.get(response.headers["Location"]))
    last = post_form(client, f"/audit/samples/{sample_id}/records/3", FINDING)
    assert last.headers["Location"] == f"/audit/samples/{sample_id}/summary"
    with app.app_context():
        first = db.session.get(AuditSample, sample_id).records[0]
        finding = audit_findings.current_finding(db.session, first.id)
        assert (finding.version, finding.recorded_by, finding.note) == (1, user_id, None)
        assert {a.item: a.answer for a in finding.answers} == {
            "within_24_hours": "compliant", "escalated": "not_applicable", "resolved": "partly"}
    page = pages.page_text(client.get(f"/audit/samples/{sample_id}"))
    assert re.search(r"<dt[^>]*>\s*Judged\s*</dt>\s*<dd[^>]*>\s*2 of 3\s*</dd>", page)
    assert "2 of 3" in page


@pytest.mark.parametrize("missing", ["item_within_24_hours", "item_escalated", "item_resolved"])
def test_a_finding_with_a_missing_answer_is_refused_and_nothing_saved(app, client, login_as, sample_id, missing):
    login_as("auditor")
    before = _saved(app)
    data = {k: v for k, v in FINDING.items() if k != missing}
    response = post_form(client, f"/audit/samples/{sample_id}/records/1", {**data, "note": "Kept when refused"})
    assert response.status_code == 400
    page = pages.page_text(response)
    assert "There is a problem" in page
    assert "Choose an answer for this item" in page
    assert f'href="#{missing}"' in page
    assert pages.broken_summary_links(page) == []
    assert "Kept when refused" in page
    assert pages.field_names(page) >= FINDING_FIELDS
    assert _saved(app) == before


def test_a_finding_with_no_answers_names_every_item(app, client, login_as, sample_id):
    login_as("auditor")
    before = _saved(app)
    response = post_form(client, f"/audit/samples/{sample_id}/records/1", {"note": "", "version": ""})
    assert response.status_code == 400
    page = pages.page_text(response)
    for item in QUESTIONS:
        assert f'href="#item_{item}"' in page
    assert _saved(app) == before


def test_an_answer_off_the_scale_is_refused(app, client, login_as, sample_id):
    login_as("auditor")
    before = _saved(app)
    response = post_form(client, f"/audit/samples/{sample_id}/records/1", {**FINDING, "item_resolved": "yes"})
    assert response.status_code == 400
    assert 'href="#item_resolved"' in pages.page_text(response)
    assert _saved(app) == before


def test_a_revision_needs_a_reason_and_keeps_the_old_version(app, client, login_as, sample_id):
    login_as("auditor")
    assert post_form(client, f"/audit/samples/{sample_id}/records/1", FINDING).status_code == 303
    page = pages.page_text(client.get(f"/audit/samples/{sample_id}/records/1"))
    assert "Revise the finding" in page
    assert "Version 1 recorded" in page
    assert "reason" in pages.field_names(page)
    assert pages.version_in(page) == "1"
    assert 'name="item_resolved" type="radio" value="partly" checked' in page, "the current answers are shown"

    before = _saved(app)
    refused = post_form(client, f"/audit/samples/{sample_id}/records/1",
                        {**FINDING, "item_resolved": "compliant", "version": "1", "reason": "  "})
    assert refused.status_code == 400
    assert "Give the reason for revising the finding" in pages.page_text(refused)
    assert pages.broken_summary_links(pages.page_text(refused)) == []
    assert _saved(app) == before

    revised = post_form(client, f"/audit/samples/{sample_id}/records/1",
                        {**FINDING, "item_resolved": "compliant", "version": "1",
                         "reason": "The answer was filed under another referral"})
    assert revised.status_code == 303
    page = pages.page_text(client.get(f"/audit/samples/{sample_id}/records/1"))
    assert "Version 2 recorded" in page
    assert "<h2>Earlier versions</h2>" in page
    assert "Version 1, " in page
    assert f"{QUESTIONS['resolved']}: partly compliant" in page
    with app.app_context():
        record = db.session.get(AuditSample, sample_id).records[0]
        assert [(v.version, v.current) for v in audit_findings.versions(db.session, record.id)] == [
            (2, True), (1, False)]


def test_a_finding_from_a_stale_page_is_a_conflict_and_saves_nothing(app, client, login_as, sample_id):
    login_as("auditor")
    seen = pages.version_in(pages.page_text(client.get(f"/audit/samples/{sample_id}/records/1")))
    _judge(app, sample_id, 1, {"within_24_hours": "not_compliant", "escalated": "compliant",
                               "resolved": "compliant"})  # another auditor saves first
    before = _saved(app)
    response = post_form(client, f"/audit/samples/{sample_id}/records/1", {**FINDING, "version": seen})
    assert response.status_code == 409
    page = pages.page_text(response)
    assert "This finding changed while you were working on it" in page
    assert "Nothing was saved" in page
    assert f'href="/audit/samples/{sample_id}/records/1"' in page
    assert _saved(app) == before
    with app.app_context():
        record = db.session.get(AuditSample, sample_id).records[0]
        current = audit_findings.current_finding(db.session, record.id)
        assert (current.version, {a.item: a.answer for a in current.answers}["within_24_hours"]) == (
            1, "not_compliant")


def test_a_revision_of_an_old_version_is_a_conflict(app, client, login_as, sample_id):
    login_as("auditor")
    _judge(app, sample_id, 1, dict.fromkeys(QUESTIONS, "compliant"))
    seen = pages.version_in(pages.page_text(client.get(f"/audit/samples/{sample_id}/records/1")))
    assert seen == "1"
    _judge(app, sample_id, 1, dict.fromkeys(QUESTIONS, "partly"), reason="Rechecked", seen=1)
    before = _saved(app)
    response = post_form(client, f"/audit/samples/{sample_id}/records/1",
                         {**FINDING, "version": seen, "reason": "Mine"})
    assert response.status_code == 409
    assert _saved(app) == before


def test_a_post_without_the_csrf_token_is_refused(app, client, login_as, sample_id):
    login_as("auditor")
    before = _saved(app)
    assert client.post("/audit/samples/new", data=SAMPLE_FORM).status_code == 400
    assert client.post(f"/audit/samples/{sample_id}/records/1", data=FINDING).status_code == 400
    assert _saved(app) == before


def test_a_note_is_escaped_on_the_record_page(client, login_as, sample_id):
    login_as("auditor")
    assert post_form(client, f"/audit/samples/{sample_id}/records/1",
                     {**FINDING, "note": SCRIPT_NOTE}).status_code == 303
    response = client.get(f"/audit/samples/{sample_id}/records/1")
    raw = response.get_data(as_text=True)
    assert "<script>alert" not in raw
    assert "<b>bold</b>" not in raw
    assert "&lt;script&gt;alert(" in raw
    assert raw.count("&lt;b&gt;bold&lt;/b&gt;") >= 2, "in the note box and in the timeline"


def test_a_refused_note_is_escaped_when_shown_again(client, login_as, sample_id):
    login_as("auditor")
    response = post_form(client, f"/audit/samples/{sample_id}/records/1",
                         {**FINDING, "item_resolved": "", "note": SCRIPT_NOTE})
    assert response.status_code == 400
    raw = response.get_data(as_text=True)
    assert "<script>alert" not in raw
    assert "&lt;script&gt;alert(" in raw


def test_a_record_page_view_is_logged(app, client, login_as, sample_id):
    login_as("auditor")
    before = len(events(app, "record.viewed"))
    client.get(f"/audit/samples/{sample_id}/records/2")
    assert len(events(app, "record.viewed")) == before + 1


# -- the summary ---------------------------------------------------------------------------------------------

def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def test_the_summary_shows_each_items_rate_and_interval(app, client, login_as, sample_id):
    _judge(app, sample_id, 1, dict.fromkeys(QUESTIONS, "compliant"))
    _judge(app, sample_id, 2, {"within_24_hours": "not_compliant", "escalated": "not_applicable",
                               "resolved": "compliant"})
    _judge(app, sample_id, 3, {"within_24_hours": "compliant", "escalated": "not_applicable",
                               "resolved": "not_applicable"})
    login_as("auditor")
    page = pages.page_text(client.get(f"/audit/samples/{sample_id}/summary"))
    assert f"<h1>Audit sample {sample_id}: summary</h1>" in page
    assert "3 of 3 records judged." in page
    lower, upper = wilson_ci(2, 3)
    assert f"67% ({_pct(lower)} to {_pct(upper)}), n = 3" in page  # 2 of 3
    lower, upper = wilson_ci(1, 1)
    assert f"100% ({_pct(lower)} to 100%), n = 1" in page  # escalated: 1 of 1, the two not applicable left out
    assert "2 / 0 / 1 / 0" in page
    assert "1 / 0 / 0 / 2" in page
    assert "Compliance per checklist item and" not in page, "not stratified: no stratum table"


@ON_BOTH_DATABASES
def test_the_summary_of_an_unjudged_sample(client, login_as, sample_id):
    login_as("auditor")
    page = pages.page_text(client.get(f"/audit/samples/{sample_id}/summary"))
    assert "0 of 3 records judged." in page
    assert page.count("No judged records") == len(QUESTIONS)


def test_a_stratified_summary_has_a_table_per_stratum(app, client, login_as):
    _population(app, 2, imd_decile="1")
    _population(app, 2, imd_decile="10")
    sample_id = _draw(app, 4, stratify_by="imd_quintile", allocation="equal")
    for position in range(1, 5):
        _judge(app, sample_id, position, dict.fromkeys(QUESTIONS, "compliant" if position <= 2 else "partly"))
    login_as("auditor")
    page = pages.page_text(client.get(f"/audit/samples/{sample_id}/summary"))
    assert "Compliance per checklist item and imd quintile" in page
    strata = page[page.index("Compliance per checklist item and imd quintile"):]
    lower, _upper = wilson_ci(2, 2)
    assert '<td class="nhsuk-table__cell">1</td>' in strata
    assert f"100% ({_pct(lower)} to 100%), n = 2" in strata
    assert "0% (0% to " in strata


def test_the_summary_exports_as_csv(app, client, login_as, sample_id):
    for position in (1, 2, 3):
        _judge(app, sample_id, position, {"within_24_hours": "compliant" if position < 3 else "partly",
                                          "escalated": "not_applicable", "resolved": "compliant"})
    login_as("auditor")
    response = client.get(f"/audit/samples/{sample_id}/summary/export")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="audit-sample-{sample_id}-summary.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["item", "question", "stratum", "compliant", "partly", "not_compliant", "not_applicable",
                       "judged", "compliant_pct", "lower_95", "upper_95"]
    lower, upper = wilson_ci(2, 3)
    assert rows[1] == ["within_24_hours", QUESTIONS["within_24_hours"], "", "2", "1", "0", "0", "3", "66.7",
                       str(round(100 * lower, 1)), str(round(100 * upper, 1))]
    assert rows[2][:9] == ["escalated", QUESTIONS["escalated"], "", "0", "0", "0", "3", "0", ""]
    assert len(rows) == 1 + len(QUESTIONS), "not stratified: overall rows only"


def test_the_summary_lists_each_records_current_finding_for_the_printed_report(app, client, login_as, sample_id):
    first = dict.fromkeys(QUESTIONS, "compliant")
    _judge(app, sample_id, 1, first)
    _judge(app, sample_id, 1, {**first, "escalated": "not_compliant"}, reason="Escalation was late", seen=1)
    login_as("auditor")
    page = pages.page_text(client.get(f"/audit/samples/{sample_id}/summary"))
    table = page[page.index("<h2>Findings by record</h2>"):]
    rows = table.split("<tr class=\"nhsuk-table__row\">")[2:]  # after the header row
    assert "Escalated when overdue: not compliant" in rows[0]
    assert "(version 2)" in rows[0]
    assert all("Not yet judged" in row for row in rows[1:3])
