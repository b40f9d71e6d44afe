"""The referral transition table: the table as specified, next_state and allowed_actions read it in every cell,
and readable examples of each answer."""
import pytest

from inclusive_access.domain.errors import NotPermitted, TransitionNotAllowed
from inclusive_access.domain.states import REFERRAL_TRANSITIONS, ReferralState, allowed_actions, next_state
from inclusive_access.models import REFERRAL_STATES, ROLES

ALL_ROLES = ("booking", "clinician", "senior", "auditor", "manager", None)
BOOKING = {"booking", "clinician", "senior"}
CLINICAL = {"clinician", "senior"}
SENIOR = {"senior"}

#: Written out from the issue and DOMAIN.md, independently of the code: (state, action) -> (next, roles)
EXPECTED = {
    ("received", "accept"): ("accepted", BOOKING),
    ("received", "request_clarification"): ("awaiting_clarification", BOOKING),
    ("received", "escalate"): ("received", BOOKING),
    ("received", "correct_flags"): ("received", BOOKING),  # DOMAIN.md: editable at triage with a reason
    ("received", "reject"): ("rejected", CLINICAL),
    ("received", "reject_flagged"): ("rejection_review", CLINICAL),
    ("awaiting_clarification", "clarification_closed"): ("received", BOOKING),
    ("rejection_review", "uphold_rejection"): ("rejected", SENIOR),
    ("rejection_review", "overturn_rejection"): ("received", SENIOR),
    ("accepted", "book"): ("accepted", BOOKING),
    ("accepted", "first_contact"): ("in_treatment", BOOKING),
    ("in_treatment", "book"): ("in_treatment", BOOKING),
    # discharge: a clinician asks; only a senior decides, at review (issue 5)
    ("accepted", "request_discharge"): ("discharge_review", CLINICAL),
    ("in_treatment", "request_discharge"): ("discharge_review", CLINICAL),
    ("discharge_review", "approve_discharge"): ("discharged", SENIOR),
    ("accepted", "discharge_after_review"): ("discharged", SENIOR),
    ("in_treatment", "discharge_after_review"): ("discharged", SENIOR),
    ("discharge_review", "resume_treatment"): ("in_treatment", SENIOR),
    ("discharge_review", "resume_booking"): ("accepted", SENIOR),
    ("discharge_review", "return_to_triage"): ("received", SENIOR),
    ("accepted", "return_to_triage"): ("received", SENIOR),
    ("accepted", "continue_engagement"): ("accepted", SENIOR),
    ("in_treatment", "continue_engagement"): ("in_treatment", SENIOR),
}
ACTIONS = sorted({action for _state, action in EXPECTED} | {"discharge", "reopen"})

ALLOWED_CASES = [(state, action, role) for (state, action) in EXPECTED for role in ALL_ROLES]
FORBIDDEN_CASES = [(state, action, role) for state in REFERRAL_STATES for action in ACTIONS
                   if (state, action) not in EXPECTED for role in ALL_ROLES]


def test_the_table_is_the_one_specified():
    actual = {(state.value, action): (target.value, set(roles))
              for (state, action), (target, roles) in REFERRAL_TRANSITIONS.items()}
    assert actual == EXPECTED


def test_referral_states_match_the_model():
    assert tuple(state.value for state in ReferralState) == REFERRAL_STATES


def test_the_roles_checked_are_the_model_roles():
    assert set(ALL_ROLES) - {None} == set(ROLES)


def _outcome(state: str, action: str, role: str | None) -> str:
    """What next_state does with one cell: the state it returns, or the error it raises."""
    try:
        result = next_state(state, action, role)
    except NotPermitted:
        return "NotPermitted"
    except TransitionNotAllowed:
        return "TransitionNotAllowed"
    assert isinstance(result, ReferralState), (state, action, role, result)
    return result.value


def test_next_state_follows_the_table_in_every_cell():
    """Every (state, action, role): an allowed transition gives its target, a role not named for it is not
    permitted, and anything not in the table is not allowed (one test walking all the cells)."""
    expected = {(state, action, role): EXPECTED[(state, action)][0] if role in EXPECTED[(state, action)][1]
                else "NotPermitted" for state, action, role in ALLOWED_CASES}
    expected |= {case: "TransitionNotAllowed" for case in FORBIDDEN_CASES}
    assert {case: _outcome(*case) for case in expected} == expected


def test_next_state_examples():
    assert next_state("received", "accept", "booking") == ReferralState("accepted")
    assert next_state("received", "reject_flagged", "clinician") == ReferralState("rejection_review")
    assert next_state("rejection_review", "uphold_rejection", "senior") == ReferralState("rejected")
    assert next_state("discharge_review", "approve_discharge", "senior") == ReferralState("discharged")
    with pytest.raises(NotPermitted):
        next_state("received", "reject", "booking")  # only a clinician rejects
    with pytest.raises(NotPermitted):
        next_state("discharge_review", "approve_discharge", "clinician")  # only a senior decides
    with pytest.raises(TransitionNotAllowed):
        next_state("discharged", "book", "senior")
    with pytest.raises(TransitionNotAllowed):
        next_state("received", "reopen", "senior")  # not an action the table has


def test_forbidden_cases_cover_every_state():
    assert {state for state, _a, _r in FORBIDDEN_CASES} == set(REFERRAL_STATES)
    assert len(FORBIDDEN_CASES) == (len(REFERRAL_STATES) * len(ACTIONS) - len(EXPECTED)) * len(ALL_ROLES)


def test_allowed_actions_follow_the_table_for_every_state_and_role():
    expected = {(state, role): {action for (s, action), (_t, roles) in EXPECTED.items() if s == state and role in roles}
                for state in REFERRAL_STATES for role in ALL_ROLES}
    assert {(state, role): allowed_actions(state, role) for state, role in expected} == expected


def test_allowed_actions_examples():
    assert allowed_actions("received", "booking") == {"accept", "request_clarification", "escalate", "correct_flags"}
    assert allowed_actions("received", "clinician") == {"accept", "request_clarification", "escalate", "reject",
                                                        "reject_flagged", "correct_flags"}
    assert allowed_actions("rejection_review", "clinician") == set()
    assert allowed_actions("rejection_review", "senior") == {"uphold_rejection", "overturn_rejection"}
    assert allowed_actions("received", "auditor") == set()
    assert allowed_actions("accepted", None) == set()


def test_messages_name_the_action_and_role():
    with pytest.raises(NotPermitted, match="auditor role may not accept"):
        next_state("received", "accept", "auditor")
    with pytest.raises(NotPermitted, match="system role"):
        next_state("received", "accept", None)
    with pytest.raises(TransitionNotAllowed, match="'accept' is not possible while the referral is rejected"):
        next_state("rejected", "accept", "senior")


def test_an_unknown_state_is_refused():
    with pytest.raises(ValueError, match="not_a_state"):
        next_state("not_a_state", "accept", "senior")
