"""The event view policy: every action has a decision, an unknown action or key shows nobody anything, and
safeguarding detail reaches clinicians, seniors and the auditor only."""
import importlib
import pkgutil
import re
from datetime import UTC, datetime

import pytest

import inclusive_access.domain
from inclusive_access.domain import actions, event_view
from inclusive_access.domain.events import canonical_json
from inclusive_access.models import Event

ROLES = ("booking", "clinician", "senior", "auditor", "manager")
ACTION = re.compile(r"[a-z_]+\.[a-z_]+")
#: the free text of the safeguarding route, and the rationales that lean on it (DOMAIN.md "Safeguarding route")
SAFEGUARDING_TEXT = [
    (actions.SAFEGUARDING_RAISED, "concern"), (actions.SAFEGUARDING_ROUTED, "routed_to"),
    (actions.SAFEGUARDING_ROUTED, "routed_on"), (actions.SAFEGUARDING_ROUTED, "reference"),
    (actions.SAFEGUARDING_ACTION_RECORDED, "action"), (actions.SAFEGUARDING_CLOSED, "outcome"),
    (actions.SAFEGUARDING_CLOSED, "summary"), (actions.REFERRAL_DISCHARGED, "safe_despite_concern"),
    (actions.REFERRAL_DISCHARGED, "rationale"), (actions.ENGAGEMENT_CONTINUED, "rationale"),
    (actions.ENGAGEMENT_CONTINUED, "plan"), (actions.DISCHARGE_REQUESTED, "reason_text"),
]


def _action_constants() -> dict[str, str]:
    """Every action name a domain module defines: module-level UPPER_CASE strings shaped entity.past_participle."""
    found = {}
    for module in pkgutil.iter_modules(inclusive_access.domain.__path__):
        loaded = importlib.import_module(f"inclusive_access.domain.{module.name}")
        found.update({f"{module.name}.{name}": value for name, value in vars(loaded).items()
                      if name.isupper() and isinstance(value, str) and ACTION.fullmatch(value)})
    return found


def _event(action: str, **data) -> Event:
    return Event(seq=1, occurred_at=datetime.now(UTC), actor_id=None, actor_role="clinician", action=action,
                 entity_type="test", data=canonical_json(data))


def test_every_action_the_domain_defines_has_a_decision():
    constants = _action_constants()
    assert actions.SAFEGUARDING_RAISED in constants.values(), "the scan finds the actions"
    undecided = {name: action for name, action in constants.items() if action not in event_view.POLICY}
    assert undecided == {}, "add these actions to event_view.POLICY: who may read each key of their data?"


def test_the_policy_names_only_the_five_roles():
    granted = {role for keys in event_view.POLICY.values() for roles in keys.values() for role in roles}
    assert granted <= set(ROLES)


@pytest.mark.parametrize("role", [*ROLES, None])
def test_an_action_the_policy_does_not_know_shows_no_detail(role):
    seen = event_view.shown(_event("referral.teleported", note="Somewhere"), "Someone", role)
    assert seen.data == {}
    assert seen.withheld == ("note",)


def test_a_key_the_policy_does_not_know_is_withheld_even_from_the_auditor():
    seen = event_view.shown(_event(actions.SAFEGUARDING_RAISED, category="other", whispered="Not decided"),
                            "Someone", "auditor")
    assert seen.data == {"category": "other"}
    assert seen.withheld == ("whispered",)


def test_without_a_role_nothing_is_shown():
    assert not any(event_view.may_read(action, key, None)
                   for action, keys in event_view.POLICY.items() for key in keys)


@pytest.mark.parametrize("role", ["booking", "manager"])
def test_booking_staff_and_managers_see_a_concern_its_kind_and_its_steps_never_its_text(role):
    raised = event_view.shown(_event(actions.SAFEGUARDING_RAISED, category="domestic_abuse", concern="Bruising",
                                     review_id=None), "Dr A", role)
    assert raised.data == {"category": "domestic_abuse", "review_id": None}
    assert raised.withheld == ("concern",)
    readable = [(action, key) for action, key in SAFEGUARDING_TEXT if event_view.may_read(action, key, role)]
    assert readable == []


@pytest.mark.parametrize("role", ["clinician", "senior", "auditor"])
def test_clinicians_seniors_and_the_auditor_read_the_safeguarding_route_in_full(role):
    assert all(event_view.may_read(action, key, role) for action, key in SAFEGUARDING_TEXT)


def test_the_auditor_reads_every_decided_key():
    assert [(action, key) for action, keys in event_view.POLICY.items() for key in keys
            if not event_view.may_read(action, key, "auditor")] == []


def test_only_the_auditor_reads_a_failed_logins_typed_username_or_a_findings_note():
    for action, key in ((actions.LOGIN_FAILED, "username"), ("audit.finding_recorded", "note"),
                        ("audit.finding_recorded", "reason")):
        assert [r for r in ROLES if event_view.may_read(action, key, r)] == ["auditor"], (action, key)


def test_managers_read_the_answers_of_audit_findings_and_the_account_events_the_care_team_does_not():
    for action, key in (("audit.finding_recorded", "answers"), (actions.USER_ROLE_CHANGED, "to"),
                        (actions.LOGIN_FAILED, "reason")):
        assert [r for r in ROLES if event_view.may_read(action, key, r)] == ["auditor", "manager"], (action, key)
