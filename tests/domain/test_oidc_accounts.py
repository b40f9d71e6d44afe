"""Single sign-on's rules without HTTP: which of our roles a provider's role claim gives, and how the account a
person signs on to is found or made."""
import json

import pytest

from config import TestConfig
from inclusive_access import create_app
from inclusive_access.domain import actions, oidc_accounts
from inclusive_access.domain.oidc_accounts import ProviderRules, SignOnRefused, held_codes, mapped_role, sign_on
from inclusive_access.models import User
from tests.event_log import data_of
from tests.factories import make_user

ISSUER = "https://am.nhsidentity.example/realms/Healthcare"
RULES = ProviderRules(name="NHS CIS2", role_claim="nhsid_nrbac_roles", username_claim="email",
                      role_map=(("R8013", "manager"), ("R8000", "clinician"), ("R8010", "booking")))


def cis2_roles(*codes: str) -> list[dict]:
    return [{"person_roleid": str(n), "org_code": "RX1", "role_code": code} for n, code in enumerate(codes)]


def test_cis2_role_codes_count_whole_and_by_each_part():
    claims = {"nhsid_nrbac_roles": cis2_roles("S8000:G8000:R8010")}
    assert held_codes(claims, "nhsid_nrbac_roles") == ["S8000:G8000:R8010", "S8000", "G8000", "R8010"]
    assert mapped_role(held_codes(claims, "nhsid_nrbac_roles"), RULES) == "booking"


@pytest.mark.parametrize(("value", "codes"), [
    ("R8000", ["R8000"]), (["R8000", "R8010"], ["R8000", "R8010"]), (None, []), ([], []), ([{"no": "code"}], []),
], ids=["a-string", "a-list", "absent", "empty", "objects-without-codes"])
def test_a_plain_role_claim_is_read_as_it_comes(value, codes):
    assert held_codes({"roles": value}, "roles") == codes


def test_the_role_chosen_at_sign_in_is_the_one_that_counts():
    claims = {"nhsid_nrbac_roles": cis2_roles("S1:G1:R8013", "S1:G1:R8010"), "selected_roleid": "1"}
    assert mapped_role(held_codes(claims, "nhsid_nrbac_roles"), RULES) == "booking"
    del claims["selected_roleid"]
    assert mapped_role(held_codes(claims, "nhsid_nrbac_roles"), RULES) == "manager", "the map's order decides"


def test_a_role_map_must_be_a_json_object_naming_only_our_roles():
    cfg = {"OIDC_PROVIDER_NAME": "NHS CIS2", "OIDC_ROLE_CLAIM": "roles", "OIDC_USERNAME_CLAIM": "email"}
    rules = ProviderRules.from_mapping({**cfg, "OIDC_ROLE_MAP": '{"R8000": "clinician", "R8013": "manager"}'})
    assert rules.role_map == (("R8000", "clinician"), ("R8013", "manager"))
    for bad in ('{"R8000": "doctor"}', '["clinician"]', "not json"):
        with pytest.raises(ValueError, match="OIDC_ROLE_MAP"):
            ProviderRules.from_mapping({**cfg, "OIDC_ROLE_MAP": bad})


@pytest.mark.parametrize("overrides", [
    {"LOCAL_PASSWORDS_ENABLED": False},
    {"OIDC_ISSUER": ISSUER, "OIDC_CLIENT_ID": "ia", "OIDC_ROLE_MAP": json.dumps({"R8000": "superuser"})},
], ids=["no-way-to-sign-in", "a-role-we-do-not-have"])
def test_the_app_refuses_to_start_with_a_sign_in_it_cannot_honour(overrides):
    with pytest.raises(RuntimeError, match="LOCAL_PASSWORDS_ENABLED|OIDC_ROLE_MAP"):
        create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://", **overrides})


def person(sub: str = "uuid-1", roles=("S1:G1:R8000",), **claims) -> dict:
    return {"sub": sub, "email": "sam.jones@nhs.net", "given_name": "Sam", "family_name": "Jones",
            "nhsid_nrbac_roles": cis2_roles(*roles), **claims}


def test_a_name_already_taken_here_never_signs_on_to_that_account(db_session):
    local = make_user(db_session, role="manager", username="sam.jones@nhs.net")
    user = sign_on(db_session, RULES, ISSUER, person(), "192.0.2.1")
    assert user.id != local.id
    assert user.username.startswith("sam.jones@nhs.net-")
    assert (user.display_name, user.role) == ("Sam Jones", "clinician")
    again = sign_on(db_session, RULES, ISSUER, person(), "192.0.2.1")
    assert again.id == user.id


def test_the_same_subject_at_another_issuer_is_another_person(db_session):
    first = sign_on(db_session, RULES, ISSUER, person(email="a@nhs.net"), "192.0.2.1")
    other = sign_on(db_session, RULES, "https://elsewhere.example", person(email="b@nhs.net"), "192.0.2.1")
    assert first.id != other.id
    assert db_session.query(User).count() == 2


def test_a_person_with_no_name_claims_is_named_by_their_username_and_subject(db_session):
    user = sign_on(db_session, RULES, ISSUER, {"sub": "uuid-9", "nhsid_nrbac_roles": cis2_roles("S:G:R8010")},
                   "192.0.2.1")
    assert (user.username, user.display_name, user.role) == ("uuid-9", "uuid-9", "booking")


def test_a_refusal_names_the_roles_held_and_makes_no_account(db_session):
    with pytest.raises(SignOnRefused, match="NHS CIS2 roles do not give access"):
        sign_on(db_session, RULES, ISSUER, person(roles=("S1:G1:R9999",)), "192.0.2.1")
    assert db_session.query(User).count() == 0
    [refused] = data_of(db_session, actions.LOGIN_FAILED)
    assert refused["roles"] == ["S1:G1:R9999", "S1", "G1", "R9999"]
    assert refused["reason"] == "no mapped role"


def test_a_known_person_who_loses_every_mapped_role_is_refused_and_keeps_their_account(db_session):
    user = sign_on(db_session, RULES, ISSUER, person(), "192.0.2.1")
    with pytest.raises(SignOnRefused):
        sign_on(db_session, RULES, ISSUER, person(roles=("S1:G1:R9999",)), "192.0.2.1")
    assert user.role == "clinician"
    assert user.password_hash == oidc_accounts.NO_PASSWORD
