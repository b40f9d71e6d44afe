"""Codes and derivations that equity reporting segments by: IMD quintile, ethnic group, flags."""
from collections.abc import Iterable, Mapping
from datetime import date

from inclusive_access.domain import segments

#: NHS Data Dictionary ethnic category (2001 census classification)
ETHNIC_CATEGORIES = {
    "A": "White - British", "B": "White - Irish", "C": "White - Any other White background",
    "D": "Mixed - White and Black Caribbean", "E": "Mixed - White and Black African",
    "F": "Mixed - White and Asian", "G": "Mixed - Any other mixed background",
    "H": "Asian or Asian British - Indian", "J": "Asian or Asian British - Pakistani",
    "K": "Asian or Asian British - Bangladeshi", "L": "Asian or Asian British - Any other Asian background",
    "M": "Black or Black British - Caribbean", "N": "Black or Black British - African",
    "P": "Black or Black British - Any other Black background",
    "R": "Other ethnic groups - Chinese", "S": "Other ethnic groups - Any other ethnic group",
    "Z": "Not stated (asked, declined)", "99": "Not known (not asked)",
}
ETHNIC_GROUPS = {
    **dict.fromkeys("ABC", "White"), **dict.fromkeys("DEFG", "Mixed"),
    **dict.fromkeys("HJKL", "Asian or Asian British"), **dict.fromkeys("MNP", "Black or Black British"),
    **dict.fromkeys("RS", "Other"), "Z": "Not stated", "99": "Not known",
}
IMD_INDICES = {"IoD2025": "English Indices of Deprivation 2025", "IoD2019": "English Indices of Deprivation 2019"}
SEXES = {"female": "Female", "male": "Male", "indeterminate": "Indeterminate",
         "not_stated": "Not stated", "not_known": "Not known"}
HOUSING_STATUSES = {
    "settled": "Settled accommodation", "temporary": "Temporary or hostel accommodation",
    "at_risk_eviction": "At risk of eviction", "no_fixed_abode": "No fixed abode",
    "rough_sleeping": "Rough sleeping", "not_known": "Not known",
}
UNSTABLE_HOUSING = {"temporary", "at_risk_eviction", "no_fixed_abode", "rough_sleeping"}
#: Accessible Information Standard needs
COMMUNICATION_NEEDS = {
    "deaf_hearing": "Deaf or hearing impairment", "blind_sight": "Blind or sight impairment",
    "deafblind": "Deafblind", "easy_read": "Easy read", "large_print": "Large print",
    "braille": "Braille", "bsl": "British Sign Language interpreter", "advocate": "Advocate",
    "speech": "Speech difficulty (needs more time or an aid)",
}
ENGLISH = {"english", "en", "eng"}


#: (band, lowest age in it), youngest first; reports add "Not known"
AGE_BANDS = (("0-17", 0), ("18-24", 18), ("25-34", 25), ("35-44", 35), ("45-54", 45), ("55-64", 55),
             ("65-74", 65), ("75-84", 75), ("85+", 85))


def age_band(born: date | None, on: date) -> str:
    """The reporting age band of someone born on `born`, on the day `on` (snapshotted at receipt)."""
    if born is None:
        return "Not known"
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return next(band for band, lowest in reversed(AGE_BANDS) if age >= lowest)


def imd_quintile(decile: int | None) -> int | None:
    """Quintile = ceil(decile / 2): 1 is the most deprived 20% ("Core20"); None stays unknown."""
    if decile is None:
        return None
    if not 1 <= decile <= 10:
        raise ValueError(f"IMD decile must be 1-10, not {decile}")
    return (decile + 1) // 2


def ethnic_group(category: str) -> str:
    """The reporting group of an NHS ethnic category code; Z and 99 keep their own rows."""
    return ETHNIC_GROUPS[category]


def derive_flags(patient: Mapping, deprivation_quintiles: Iterable[int] = (1,)) -> list[str]:
    """The inequality flags of DOMAIN.md, from the patient's record at receipt, in segments.FLAGS' order."""
    found = set()
    if imd_quintile(patient.get("imd_decile")) in set(deprivation_quintiles):
        found.add("deprivation")
    if patient.get("housing_status") in UNSTABLE_HOUSING:
        found.add("housing")
    if patient.get("cognitive_impairment") or patient.get("learning_disability"):
        found.add("cognitive")
    language = (patient.get("preferred_language") or "").strip().lower()
    needs = set(patient.get("communication_needs") or ())
    if patient.get("interpreter_needed") or (language and language not in ENGLISH) or "bsl" in needs:
        found.add("language")
    if needs:
        found.add("communication")
    if patient.get("caring_responsibilities"):
        found.add("carer")
    return [flag.key for flag in segments.FLAGS if flag.key in found]
