"""Equity derivations: IMD quintiles, ethnic reporting groups and the inequality flags of DOMAIN.md."""
import pytest

from inclusive_access.domain.equity import (
    COMMUNICATION_NEEDS,
    ETHNIC_CATEGORIES,
    HOUSING_STATUSES,
    derive_flags,
    ethnic_group,
    imd_quintile,
)
from inclusive_access.domain.segments import FLAGS


def settled_english_speaker(**overrides) -> dict:
    """A patient record with no inequality flag: settled, English-speaking, least-deprived quintile."""
    patient = {
        "imd_decile": 10, "housing_status": "settled", "cognitive_impairment": False,
        "learning_disability": False, "preferred_language": "English", "interpreter_needed": False,
        "communication_needs": [], "caring_responsibilities": False,
    }
    patient.update(overrides)
    return patient


# --- IMD quintile -------------------------------------------------------------------------------

@pytest.mark.parametrize(("decile", "quintile"), [
    (1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (8, 4), (9, 5), (10, 5),
])
def test_imd_quintile_is_ceil_of_half_the_decile(decile, quintile):
    assert imd_quintile(decile) == quintile


def test_unknown_decile_stays_unknown():
    assert imd_quintile(None) is None


@pytest.mark.parametrize("decile", [0, 11, -1, 100])
def test_out_of_range_decile_raises(decile):
    with pytest.raises(ValueError, match="1-10"):
        imd_quintile(decile)


# --- Ethnic groups ------------------------------------------------------------------------------

EXPECTED_GROUPS = {
    "A": "White", "B": "White", "C": "White",
    "D": "Mixed", "E": "Mixed", "F": "Mixed", "G": "Mixed",
    "H": "Asian or Asian British", "J": "Asian or Asian British", "K": "Asian or Asian British",
    "L": "Asian or Asian British",
    "M": "Black or Black British", "N": "Black or Black British", "P": "Black or Black British",
    "R": "Other", "S": "Other",
    "Z": "Not stated", "99": "Not known",
}


def test_all_eighteen_ethnic_codes_are_known():
    assert len(EXPECTED_GROUPS) == 18
    assert set(ETHNIC_CATEGORIES) == set(EXPECTED_GROUPS)


@pytest.mark.parametrize(("code", "group"), sorted(EXPECTED_GROUPS.items()))
def test_ethnic_group_of_each_code(code, group):
    assert ethnic_group(code) == group


def test_not_stated_and_not_known_are_their_own_groups():
    others = {ethnic_group(c) for c in EXPECTED_GROUPS if c not in ("Z", "99")}
    assert ethnic_group("Z") not in others
    assert ethnic_group("99") not in others
    assert ethnic_group("Z") != ethnic_group("99")


def test_unknown_ethnic_code_is_not_silently_grouped():
    with pytest.raises(KeyError):
        ethnic_group("Q")


# --- Inequality flags ---------------------------------------------------------------------------

def test_no_flags_for_a_settled_english_speaker():
    assert derive_flags(settled_english_speaker()) == []


def test_unknown_answers_raise_no_flags():
    patient = settled_english_speaker(imd_decile=None, housing_status="not_known", cognitive_impairment=None,
                                      learning_disability=None, preferred_language=None,
                                      interpreter_needed=None, caring_responsibilities=None)
    assert derive_flags(patient) == []


@pytest.mark.parametrize(("decile", "flagged"), [
    (1, True), (2, True), (3, False), (4, False), (5, False), (8, False), (10, False), (None, False),
])
def test_deprivation_flag_only_for_quintile_1_by_default(decile, flagged):
    flags = derive_flags(settled_english_speaker(imd_decile=decile))
    assert flags == (["deprivation"] if flagged else [])


@pytest.mark.parametrize(("decile", "flagged"), [
    (1, True), (2, True), (3, True), (4, True), (5, False), (10, False), (None, False),
])
def test_deprivation_quintiles_are_configurable(decile, flagged):
    flags = derive_flags(settled_english_speaker(imd_decile=decile), deprivation_quintiles=(1, 2))
    assert ("deprivation" in flags) is flagged


def test_deprivation_quintiles_setting_need_not_include_quintile_1():
    assert derive_flags(settled_english_speaker(imd_decile=1), deprivation_quintiles=(2,)) == []
    assert derive_flags(settled_english_speaker(imd_decile=3), deprivation_quintiles=[2]) == ["deprivation"]


@pytest.mark.parametrize(("status", "flagged"), [
    ("no_fixed_abode", True), ("rough_sleeping", True), ("temporary", True), ("at_risk_eviction", True),
    ("settled", False), ("not_known", False),
])
def test_housing_flag_for_every_status_other_than_settled(status, flagged):
    assert status in HOUSING_STATUSES
    assert derive_flags(settled_english_speaker(housing_status=status)) == (["housing"] if flagged else [])


@pytest.mark.parametrize("field", ["cognitive_impairment", "learning_disability"])
def test_cognitive_flag_from_cognitive_impairment_or_learning_disability(field):
    assert derive_flags(settled_english_speaker(**{field: True})) == ["cognitive"]


def test_language_flag_when_an_interpreter_is_needed():
    assert derive_flags(settled_english_speaker(interpreter_needed=True)) == ["language"]


@pytest.mark.parametrize("language", ["Polish", "Urdu", "Romanian", "  Somali "])
def test_language_flag_when_preferred_language_is_not_english(language):
    assert derive_flags(settled_english_speaker(preferred_language=language)) == ["language"]


@pytest.mark.parametrize("language", ["English", "english", "ENGLISH", " en ", "eng", "", None])
def test_no_language_flag_for_english_or_unrecorded_language(language):
    assert derive_flags(settled_english_speaker(preferred_language=language)) == []


def test_bsl_need_raises_both_language_and_communication_flags():
    assert derive_flags(settled_english_speaker(communication_needs=["bsl"])) == ["language", "communication"]


@pytest.mark.parametrize("need", sorted(set(COMMUNICATION_NEEDS) - {"bsl"}))
def test_communication_flag_for_every_ais_need(need):
    assert derive_flags(settled_english_speaker(communication_needs=[need])) == ["communication"]


def test_carer_flag_from_caring_responsibilities():
    assert derive_flags(settled_english_speaker(caring_responsibilities=True)) == ["carer"]


def test_every_flag_at_once_in_fixed_order():
    patient = settled_english_speaker(
        imd_decile=1, housing_status="rough_sleeping", learning_disability=True, preferred_language="Polish",
        communication_needs=["large_print"], caring_responsibilities=True)
    flags = derive_flags(patient)
    assert flags == ["deprivation", "housing", "cognitive", "language", "communication", "carer"]
    assert flags == [flag.key for flag in FLAGS]
