"""Every main page on a phone (375 px) and a desktop (1280 px): nothing wider than the screen, no axe violations."""
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from tests.browser import steps
from tests.browser.conftest import MANAGER
from tests.browser.test_senior_review_journeys import (
    SENIOR,
    missed_and_not_reached_through_the_domain,
    two_appointments,  # noqa: F401 - a fixture the case below builds on
)

pytestmark = pytest.mark.browser

AUDITOR = "browser.narrow.auditor"
#: an unbroken string as staff do type into free text (an email address): it must wrap, not widen the page
LONG_WORD = "interpreting.bookings.leeds-community-services@nhs.example"
#: the banner took 339 px of a phone's height for this case's patient before (about 440 px for one in issue 16)
BANNER_HEIGHT_LIMIT = 270


@pytest.fixture
def every_kind_of_record(live_server, missed_appointment, two_appointments, manager) -> SimpleNamespace:  # noqa: F811
    """Something on every page: a senior review, barrier checks, an open concern, an overdue adjustment with a long
    unbroken word, a clarification and an audit sample; a manager and an auditor to sign in as."""
    from inclusive_access.domain import adjustments, audit_sampling, safeguarding
    from inclusive_access.domain.actors import actor_for
    from inclusive_access.models import BarrierCheck, Clarification, Referral, SeniorReview, User
    from tests.blueprints.records import ask
    from tests.factories import make_user

    missed_and_not_reached_through_the_domain(live_server, two_appointments)
    now = datetime.now(UTC)
    with live_server.app.app_context():
        auditor = actor_for(make_user(db.session, role="auditor", username=AUDITOR))
        booker = actor_for(db.session.query(User).filter_by(username=live_server.username).one())
        clinician = actor_for(db.session.query(User).filter_by(username=live_server.clinician).one())
        referral = db.session.get(Referral, live_server.interpreter_referral_id)
        safeguarding.raise_concern(db.session, clinician, referral, safeguarding.ConcernDetails(
            category="self_neglect", concern="Home very cold, little food in the house"))
        adjustments.record_adjustment(db.session, clinician, referral.patient, adjustments.AdjustmentDetails(
            category="communication_support", description=f"Polish interpreter, booked through {LONG_WORD}",
            consent_basis="patient"), "patient_request", now=now - timedelta(days=400))  # its review is overdue
        ask(db.session, booker, db.session.get(Referral, live_server.unclear_referral_id))
        sample = audit_sampling.draw_sample(db.session, auditor, audit_sampling.SampleRequest(
            record_type="adjustment", first_month=(now - timedelta(days=400)).astimezone(LONDON).strftime("%Y-%m"),
            last_month=now.astimezone(LONDON).strftime("%Y-%m"), size=5, seed=1))
        db.session.commit()
        return SimpleNamespace(
            referral_id=referral.id, patient_id=referral.patient_id,
            unclear_referral_id=live_server.unclear_referral_id,
            appointments_referral_id=missed_appointment.referral_id,
            review_id=db.session.query(SeniorReview.id).filter_by(referral_id=two_appointments.referral_id).scalar(),
            check_id=db.session.query(BarrierCheck.id).filter_by(referral_id=two_appointments.referral_id)
            .order_by(BarrierCheck.id).limit(1).scalar(),
            clarification_id=db.session.query(Clarification.id).limit(1).scalar(),
            concern_id=referral.patient.open_concerns[0].id,
            sample_id=sample.id,
            auditor_id=auditor.user_id)


def _users(server) -> dict[str, str]:
    return {"booking": server.username, "clinician": server.clinician, "senior": SENIOR, "manager": MANAGER,
            "auditor": AUDITOR}


#: each main page: who opens it, and where it is (with the ids of every_kind_of_record)
PAGES = {
    "referral-list": ("booking", "/referrals/list"),
    "referral": ("clinician", "/referrals/{referral_id}"),
    "patient": ("clinician", "/patients/{patient_id}"),
    "patient-edit": ("clinician", "/patients/{patient_id}/edit"),
    "new-referral": ("booking", "/intake/new"),
    "triage-worklist": ("booking", "/triage/"),
    "triage": ("booking", "/triage/referrals/{unclear_referral_id}"),
    "clarification-worklist": ("booking", "/clarifications/"),
    "clarification": ("booking", "/clarifications/{clarification_id}"),
    "appointments": ("clinician", "/appointments/referrals/{appointments_referral_id}"),
    "barrier-check-worklist": ("booking", "/barrier-checks/"),
    "barrier-check": ("clinician", "/barrier-checks/{check_id}"),
    "adjustments-register": ("clinician", "/adjustments/patients/{patient_id}"),
    "adjustments-overdue": ("clinician", "/adjustments/overdue-reviews"),
    "senior-review-queue": ("senior", "/discharge/reviews"),
    "senior-review": ("senior", "/discharge/reviews/{review_id}"),
    "safeguarding-list": ("senior", "/safeguarding/"),
    "safeguarding-concern": ("senior", "/safeguarding/{concern_id}"),
    "equity-dashboard": ("manager", "/reports/equity"),
    "equity-report": ("manager", "/reports/equity/report"),
    "equity-outcomes": ("manager", "/reports/equity/outcomes"),
    "equity-outreach": ("manager", "/reports/equity/outreach"),
    "governance-items": ("manager", "/reports/governance"),
    "audit-samples": ("auditor", "/audit/samples"),
    "audit-new-sample": ("auditor", "/audit/samples/new"),
    "audit-sample": ("auditor", "/audit/samples/{sample_id}"),
    "audit-record": ("auditor", "/audit/samples/{sample_id}/records/1"),
    "audit-summary": ("auditor", "/audit/samples/{sample_id}/summary"),
    "audit-patient-timeline": ("auditor", "/audit/patients/{patient_id}/timeline"),
    "audit-patient-access": ("auditor", "/audit/patients/{patient_id}/access"),
    "audit-user-access": ("manager", "/audit/users/{auditor_id}/access"),
    "audit-log": ("manager", "/audit/log"),
    "users": ("manager", "/admin/users"),
    "new-user": ("manager", "/admin/users/new"),
}


def open_on_a_phone(page: Page, server, role: str, path: str) -> None:
    page.set_viewport_size(steps.PHONE)
    steps.sign_in_as(page, server, _users(server)[role])
    page.goto(f"{server.url}{path}")
    steps.page_is_ready(page)


#: the innermost elements whose right edge is past the screen's: what to fix when a page is too wide
STICKING_OUT = """width => [...document.body.querySelectorAll('*')]
  .filter(e => e.getBoundingClientRect().right > width + 1
          && ![...e.children].some(c => c.getBoundingClientRect().right > width + 1))
  .slice(0, 5)
  .map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.')
            + ' ' + Math.round(e.getBoundingClientRect().right))
"""


#: the roles that open them, each signed in once for all of its pages
ROLES = list(dict.fromkeys(role for role, _path in PAGES.values()))


def problems_on_a_phone_and_a_desktop(page: Page, server, records, name: str, console_errors: list[str]) -> list[str]:
    """Page `name` opened at 375 px: whether it is wider than the screen, and what axe finds there and at 1280 px;
    any console error it logged."""
    page.set_viewport_size(steps.PHONE)
    page.goto(f"{server.url}{PAGES[name][1].format(**vars(records))}")
    steps.page_is_ready(page)
    width = steps.page_width(page)
    print(f"width at 375 px, {name}: {width} px")
    steps.screenshot(page, f"narrow-{name}")
    found = [f"{name} is {width} px wide on a 375 px screen; sticking out: "
             f"{page.evaluate(STICKING_OUT, steps.PHONE['width'])}"] if width > steps.PHONE["width"] else []
    found += steps.accessibility_violations(page, f"{name} at 375 px")
    page.set_viewport_size(steps.DESKTOP)
    found += steps.accessibility_violations(page, f"{name} at 1280 px")
    found += [f"{name}: {message}" for message in console_errors]
    console_errors.clear()
    return found


@pytest.mark.parametrize("role", ROLES)
def test_each_page_fits_a_phone_and_has_no_axe_violations_on_a_phone_or_a_desktop(
        page: Page, live_server, every_kind_of_record, console_errors, role):
    """Signed in once as `role`, each of its pages in turn; the problems of every page are listed together."""
    page.set_viewport_size(steps.PHONE)
    steps.sign_in_as(page, live_server, _users(live_server)[role])
    problems = [problem for name, (who, _path) in PAGES.items() if who == role
                for problem in problems_on_a_phone_and_a_desktop(page, live_server, every_kind_of_record, name,
                                                                 console_errors)]
    assert not problems, "\n\n".join(problems)


def test_the_patient_banner_is_compact_on_a_phone_with_the_rest_on_demand(
        page: Page, live_server, every_kind_of_record):
    open_on_a_phone(page, live_server, "clinician", f"/referrals/{every_kind_of_record.referral_id}")
    banner = page.get_by_role("region", name="Patient details")
    height = banner.bounding_box()["height"]
    print(f"patient banner at 375 px: {height:.0f} px high")
    steps.SHOTS.mkdir(parents=True, exist_ok=True)
    banner.screenshot(path=steps.SHOTS / "narrow-patient-banner.png")
    assert height <= BANNER_HEIGHT_LIMIT, f"the banner is {height:.0f} px high on a 375 px screen"

    shown = banner.inner_text()  # what is rendered: not the closed details' content
    for always_shown in ("Zuzanna NOWAK", "NHS number", "years)", "Safeguarding concern open", "Interpreter: Polish",
                         "Self-neglect, raised", "Language need", "Communication support: Polish interpreter",
                         "Reasonable adjustments register"):
        assert always_shown in shown, always_shown
    assert "Sex" not in shown
    rest = banner.locator(".nhsuk-details__text")
    expect(rest).to_be_hidden()
    summary = banner.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")  # the native details element: keyboard and screen readers work with no script
    expect(rest).to_be_visible()
    expect(rest).to_contain_text("Sex")
    expect(rest).to_contain_text("Polish")
