"""A clinician records a patient's answers to a questionnaire from the referral page; the questionnaires due and
not returned on the clinicians' worklist. The referral is on the MSK pathway, first seen two days ago, so the
Patient-Specific Functional Scale (PSFS) is due at first contact."""
import re
from datetime import UTC, datetime, time, timedelta

import pytest

from inclusive_access.blueprints import navigation
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import QuestionnaireResponse
from tests.blueprints.pages import field_names, open_page, page_text, redirected, shown_again
from tests.blueprints.records import count, events, stored_row
from tests.conftest import post_form
from tests.factories import accept_and_attend, make_referral, staff

PSFS = "Patient-Specific Functional Scale (PSFS)"


@pytest.fixture
def referral(app) -> int:
    with app.app_context():
        row = make_referral(db.session, pathway="msk", given_name="Asha",
                            received_at=(datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d %H:%M"))
        accept_and_attend(db.session, staff(db.session, "clinician"), row, 1)
        db.session.commit()
        return row.id


def _url(referral_id: int, instrument: str = "psfs") -> str:
    return f"/questionnaires/referrals/{referral_id}/{instrument}/new"


def _form(client, referral_id: int, **answers) -> dict:
    """The form as opened, answered in full: an interpreter's telephone call today, two activities scored."""
    body = open_page(client, _url(referral_id), PSFS)
    token = re.search(r'name="submission_token"[^>]*value="([^"]*)"', body).group(1)
    today = datetime.now(LONDON).date()
    return {"submission_token": token, "time_point": "first_contact", "mode": "telephone_interpreter",
            "answered_day": str(today.day), "answered_month": str(today.month), "answered_year": str(today.year),
            "item_activity_1": "3", "item_activity_2": "6", **answers}


def test_a_clinician_records_answers_from_the_referral_page_and_sees_them(app, client, login_as, referral):
    user_id = login_as("clinician")
    referral_url = f"/referrals/{referral}"
    due = open_page(client, referral_url)
    assert f"{PSFS}: at first contact, due since" in due
    assert f'href="{_url(referral)}">Record answers' in due
    body = open_page(client, _url(referral))
    assert {"time_point", "mode", "answered_day", "answered_month", "answered_year", "item_activity_1",
            "item_activity_2", "item_activity_3", "submission_token"} <= field_names(body)
    assert re.search(r'value="first_contact"\s+checked', body), "the time point that is due is chosen"
    legends = [" ".join(legend.split()) for legend in re.findall(r"<legend[^>]*>(.*?)</legend>", body, re.S)]
    assert legends == ["When in the referral", "How were the answers given", "Date answered", "Activity 1",
                       "Activity 2 (optional)", "Activity 3 (optional)"]
    before = datetime.now(UTC)

    page = redirected(client, post_form(client, _url(referral), _form(client, referral)), referral_url)

    assert f"{PSFS}: answers recorded." in page
    answered = page[page.index("<h2>Questionnaires</h2>"):]
    for shown in (PSFS, "At first contact", f"{datetime.now(LONDON):%d %b %Y}", "By telephone with an interpreter",
                  "4.5"):
        assert shown in answered
    assert "Due now" not in answered, "answered: no longer due"
    [event] = events(app, "questionnaire.completed")
    response = stored_row(app, QuestionnaireResponse, event.entity_id)
    assert (event.actor_id, response.referral_id, response.instrument_id, response.score) == (
        user_id, referral, "psfs", 4.5)
    assert before <= response.completed_at <= datetime.now(UTC), "answered today: at the time it was recorded"


def test_answers_given_on_an_earlier_day_are_dated_noon_that_day(app, client, login_as, referral):
    login_as("clinician")
    yesterday = datetime.now(LONDON).date() - timedelta(days=1)
    form = _form(client, referral, answered_day=str(yesterday.day), answered_month=str(yesterday.month),
                 answered_year=str(yesterday.year))
    assert post_form(client, _url(referral), form).status_code == 303
    [event] = events(app, "questionnaire.completed")
    assert stored_row(app, QuestionnaireResponse, event.entity_id).completed_at == datetime.combine(
        yesterday, time(12), LONDON)


@pytest.mark.parametrize(("role", "scored"), [("senior", True), ("auditor", True), ("booking", False),
                                              ("manager", False)])
def test_the_score_is_shown_only_to_those_who_read_clinical_detail(app, client, login_as, referral, role, scored):
    login_as("clinician", "asker")
    post_form(client, _url(referral), _form(client, referral))
    client.post("/auth/logout", data={"csrf_token": client.csrf_token()})
    login_as(role)
    answered = open_page(client, f"/referrals/{referral}")
    answered = answered[answered.index("<h2>Questionnaires</h2>"):]
    assert "By telephone with an interpreter" in answered
    assert ("4.5" in answered) is scored


@pytest.mark.parametrize("role", ["booking", "auditor", "manager"])
def test_only_clinicians_record_answers(app, client, login_as, referral, role):
    login_as(role)
    assert "/questionnaires/" not in open_page(client, f"/referrals/{referral}")
    assert client.get(_url(referral)).status_code == 403
    assert post_form(client, _url(referral), {"time_point": "first_contact", "mode": "in_person",
                                              "item_activity_1": "3"}).status_code == 403
    assert client.get("/questionnaires/due").status_code == 403
    assert count(app, QuestionnaireResponse) == 0


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"item_activity_1": "11"}, "item_activity_1", "'11' is not one of this question's answers"),
    ({"item_activity_1": ""}, "item_activity_1", "Choose an answer"),
    ({"mode": ""}, "mode", "Select how the answers were given"),
    # the date's message sits by its three boxes ("answered"); the summary links to the first, the day
    ({"answered_day": "31", "answered_month": "2"}, "answered", "The date it was answered must be a real date"),
    ({"answered_year": str(datetime.now(LONDON).year + 1)}, "answered",
     "The date it was answered must be today or in the past"),
])
def test_a_wrong_answer_is_shown_next_to_its_question_and_the_others_are_kept(app, client, login_as, referral,
                                                                             changes, field, message):
    login_as("clinician")
    response = post_form(client, _url(referral), _form(client, referral, **changes))
    body = shown_again(response, "answered_day" if field == "answered" else field, message, hidden=("answered_day",))
    error = body.index(f'id="{field}-error"')
    assert message in body[error:error + 400], "the message sits next to the question"
    assert re.search(r'name="item_activity_2"[^>]*value="6"\s+checked', body), "the other answers are kept"
    assert count(app, QuestionnaireResponse) == 0


def test_an_instrument_that_does_not_exist_is_not_found(client, login_as, referral):
    login_as("clinician")
    assert client.get(_url(referral, "eq5d")).status_code == 404


def test_an_instrument_not_used_on_the_pathway_is_refused(app, client, login_as, referral):
    login_as("clinician")
    form = {key: value for key, value in _form(client, referral).items() if not key.startswith("item_")}
    shown_again(post_form(client, _url(referral, "phq9"), form), "instrument",
                "Patient Health Questionnaire (PHQ-9) is not used on this pathway", hidden=("instrument",))
    assert count(app, QuestionnaireResponse) == 0


def test_a_double_submit_records_the_answers_once(app, client, login_as, referral):
    login_as("clinician")
    form = _form(client, referral)
    assert post_form(client, _url(referral), form).status_code == 303
    again = redirected(client, post_form(client, _url(referral), form), f"/referrals/{referral}")
    assert "These answers were already recorded." in again
    assert count(app, QuestionnaireResponse) == 1


def test_the_worklist_lists_what_is_due_with_its_count_in_the_navigation(app, client, login_as, referral):
    login_as("clinician")
    worklist = open_page(client, "/questionnaires/due", "Questionnaires due")
    assert "Questionnaires due (1)" in worklist
    assert "1 questionnaire due." in worklist
    row = worklist[worklist.index("Asha"):]
    for shown in (PSFS, "At first contact", f'href="{_url(referral)}">Record answers'):
        assert shown in row
    post_form(client, _url(referral), _form(client, referral))
    assert "0 questionnaires due." in page_text(client.get("/questionnaires/due"))


def test_the_navigation_says_many_beyond_its_limit_where_the_worklist_counts_exactly(client, login_as, referral,
                                                                                      monkeypatch):
    monkeypatch.setattr(navigation, "NAV_LIMIT", 1)
    login_as("clinician")
    worklist = open_page(client, "/questionnaires/due", "Questionnaires due")
    assert "Questionnaires due (1+)" in worklist
    assert "1 questionnaire due." in worklist
