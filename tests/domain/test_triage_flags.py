"""Correcting a referral's inequality flags at triage: by the triage team, with a reason, before the decision; the
triage clock and the reports follow the correction."""
from datetime import UTC, datetime

import pytest

from inclusive_access.domain import actions, triage, triage_flags
from inclusive_access.domain.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from inclusive_access.models import ReferralFact
from tests.domain.test_facts import assert_the_rebuild_agrees
from tests.event_log import actions_since, data_of, head, nothing_written
from tests.factories import SCRIPT, make_referral, staff

NOW = datetime(2026, 2, 2, 16, 30, tzinfo=UTC)
REASON = "Cares for her mother; Somali is her first language"


@pytest.fixture
def received(db_session):
    """A referral with no flags, received on a Monday after the same-day cut-off, waiting for triage."""
    row = make_referral(db_session, received_at="2026-02-02 16:00")
    db_session.commit()
    return row


def correct(session, actor, referral, flags, reason=REASON):
    triage_flags.correct_flags(session, actor, referral, referral.version, flags, reason, now=NOW)


def test_the_booking_team_adds_the_flags_the_script_found_and_triage_falls_due_sooner(db_session, booker,
                                                                                      received):
    unflagged_due = received.triage_due_at
    before = head(db_session)
    correct(db_session, booker, received, ["carer", "language"])
    db_session.commit()
    assert actions_since(db_session, before) == [actions.TRIAGE_FLAGS_CORRECTED]
    assert (received.flags, received.flagged, received.state) == (["language", "carer"], True, "received")
    assert received.triage_due_at == datetime(2026, 2, 3, 12, tzinfo=UTC) < unflagged_due, "noon, next working day"
    data = data_of(db_session, actions.TRIAGE_FLAGS_CORRECTED)[0]
    assert (data["flags_before"], data["flags"], data["reason"]) == ([], ["language", "carer"], REASON)
    fact = db_session.get(ReferralFact, received.id)
    assert (fact.flagged, fact.flag_language, fact.flag_carer, fact.flag_housing) == (True, True, True, False)
    assert fact.triage_due_at == received.triage_due_at
    assert_the_rebuild_agrees(db_session)


def test_removing_the_last_flag_puts_triage_back_on_the_three_day_clock(db_session, booker):
    flagged = make_referral(db_session, received_at="2026-02-02 16:00", imd_decile="1")
    assert flagged.flags == ["deprivation"]
    correct(db_session, booker, flagged, [], reason="The postcode was mistyped: the patient lives in Headingley")
    assert (flagged.flags, flagged.flagged) == ([], False)
    assert flagged.triage_due_at == datetime(2026, 2, 5, 17, tzinfo=UTC), "the end of the third working day"
    assert db_session.get(ReferralFact, flagged.id).flag_deprivation is False


def test_removing_the_flags_does_not_take_a_rejection_past_the_senior(db_session, booker, clinician):
    """A clinician who clears the flags and then rejects has the rejection proposed, as for a flagged referral."""
    flagged = make_referral(db_session, received_at="2026-02-02 16:00", housing_status="rough_sleeping")
    correct(db_session, clinician, flagged, [], reason="Housed last week, the referrer says")
    assert triage_flags.rejection_needs_a_senior(db_session, flagged)
    triage.triage_referral(db_session, clinician, flagged, flagged.version, SCRIPT, [], "reject",
                           reason_code="wrong_service", reason_text="Better met by the GP", now=NOW)
    assert flagged.state == "rejection_review"
    never_flagged = make_referral(db_session, received_at="2026-02-02 16:00")
    assert not triage_flags.rejection_needs_a_senior(db_session, never_flagged)


@pytest.mark.parametrize(("flags", "reason", "field"), [
    ([], REASON, "flags"),  # as they are
    (["wealth"], REASON, "flags"),
    (["carer"], "", "reason"),
])
def test_a_correction_needs_a_change_of_listed_flags_and_a_reason(db_session, booker, received, flags, reason,
                                                                   field):
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        correct(db_session, booker, received, flags, reason)
    assert field in exc.value.errors


def test_flags_are_corrected_at_triage_only_and_by_the_triage_team(db_session, booker, referral, received):
    with pytest.raises(TransitionNotAllowed):
        correct(db_session, booker, referral, ["carer"])  # accepted already
    db_session.rollback()
    for role in ("auditor", "manager"):
        with nothing_written(db_session), pytest.raises(NotPermitted):
            correct(db_session, staff(db_session, role), received, ["carer"])
