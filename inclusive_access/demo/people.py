"""Clearly fake people and their referrals: invented names, NHS numbers from the 999 test range, ZZ99 postcodes,
and demographics in proportions like a service's."""
import dataclasses
import random
from datetime import date, datetime, timedelta

import nhs_number

from inclusive_access.domain import intake
from inclusive_access.domain.equity import COMMUNICATION_NEEDS

GIVEN = ["Amira", "Ben", "Chloe", "Dev", "Efua", "Farah", "George", "Hana", "Ivan", "Jia", "Kwame", "Leah",
         "Mohammed", "Niamh", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tomasz", "Uma", "Victor", "Wen",
         "Yusuf", "Zofia", "Aisha", "Callum", "Deepa", "Eilidh", "Femi"]
# Invented surnames that read as test records at a glance.
FAMILY = ["Testwood", "Sampleton", "Mockford", "Fakenham-Demo", "Dummybrook", "Placeholm", "Examplewell",
          "Specimore", "Trialby", "Pretendale", "Synthwick", "Notreal", "Madeupson", "Fictonby"]
LANGUAGES = ["Polish", "Urdu", "Bengali", "Arabic", "Romanian", "Somali", "Portuguese", "Tigrinya",
             "British Sign Language", "Punjabi"]
ORGS = ["Riverside Surgery (demo)", "Northgate Medical Centre (demo)", "City General Hospital (demo)",
        "Adult Social Care (demo)", "Community Mental Health Hub (demo)"]
PATHWAYS = ["frailty", "msk", "mental_health"]
ETHNIC_WEIGHTS = {"A": 60, "B": 2, "C": 6, "D": 1, "E": 1, "F": 1, "G": 1, "H": 3, "J": 4, "K": 2, "L": 2,
                  "M": 2, "N": 4, "P": 1, "R": 1, "S": 2, "Z": 3, "99": 4}
HOUSING_WEIGHTS = {"settled": 85, "temporary": 4, "at_risk_eviction": 3, "no_fixed_abode": 2,
                   "rough_sleeping": 1, "not_known": 5}
REASONS = ["falls at home", "reduced mobility after discharge", "low mood and isolation", "knee pain limiting work",
           "memory concerns", "back pain", "anxiety"]
INWARD = "ABDEFGHJLNPQRSTUWXYZ"


def _tri(rng: random.Random, p_yes: float, p_unknown: float = 0.1) -> bool | None:
    roll = rng.random()
    return None if roll < p_unknown else roll < p_unknown + p_yes


def patient(rng: random.Random, number: str, today: date) -> intake.PatientDetails:
    decile = None if rng.random() < 0.08 else rng.choices(range(1, 11), weights=[14, 13, 12, 11, 10, 9, 9, 8, 7, 7])[0]
    language = rng.choice(LANGUAGES) if rng.random() < 0.12 else ("English" if rng.random() < 0.9 else None)
    needs = rng.sample(sorted(COMMUNICATION_NEEDS), k=1) if rng.random() < 0.08 else []
    return intake.PatientDetails(
        nhs_number=number, given_name=rng.choice(GIVEN), family_name=rng.choice(FAMILY),
        date_of_birth=today - timedelta(days=rng.randint(18 * 365, 98 * 365)),
        sex=rng.choices(["female", "male", "indeterminate", "not_stated", "not_known"], [50, 46, 1, 2, 1])[0],
        # ZZ99 is the NHS pseudo-postcode area: no real address has it.
        postcode=f"ZZ99 {rng.randint(1, 9)}{rng.choice(INWARD)}{rng.choice(INWARD)}",
        imd_decile=decile, imd_index=None if decile is None else rng.choices(["IoD2025", "IoD2019"], [85, 15])[0],
        ethnic_category=rng.choices(list(ETHNIC_WEIGHTS), list(ETHNIC_WEIGHTS.values()))[0],
        preferred_language=language,
        interpreter_needed=(language not in (None, "English") and rng.random() < 0.7) or (False if language else None),
        communication_needs=needs,
        housing_status=rng.choices(list(HOUSING_WEIGHTS), list(HOUSING_WEIGHTS.values()))[0],
        learning_disability=_tri(rng, 0.04), cognitive_impairment=_tri(rng, 0.10),
        caring_responsibilities=_tri(rng, 0.12),
    )


def at_deprivation_end(rng: random.Random, number: str, today: date, deciles: tuple[int, ...]) -> intake.PatientDetails:
    """A patient living in one of `deciles` (IoD2025): the equity KPIs compare IMD quintiles 1 and 5."""
    return dataclasses.replace(patient(rng, number, today), imd_decile=rng.choice(deciles), imd_index="IoD2025")


def synthetic_nhs_numbers(rng: random.Random, quantity: int, taken: frozenset[str] = frozenset()) -> list[str]:
    """Distinct valid NHS numbers from the 999 test range (the library's "synthetic" region is all of 9xx), none
    of them `taken`."""
    numbers: dict[str, None] = {}
    while len(numbers) < quantity:
        stem = f"999{rng.randrange(1_000_000):06d}"
        check = nhs_number.calculate_checksum(stem)
        if check < 10 and stem + str(check) not in taken:  # 10 means no valid check digit exists for this stem
            numbers[stem + str(check)] = None
    return list(numbers)


def referral_details(rng: random.Random, at: datetime) -> intake.ReferralDetails:
    return intake.ReferralDetails(
        pathway_code=rng.choices(PATHWAYS, [40, 35, 25])[0],
        referrer_name=f"Dr {rng.choice(FAMILY)}", referrer_organisation=rng.choice(ORGS),
        referrer_contact=f"0113 496 {rng.randint(0, 9999):04d}",  # Ofcom drama range: never a real line
        received_at=at, reason="Synthetic demo referral: " + rng.choice(REASONS),
        urgency=rng.choices(["routine", "urgent"], [80, 20])[0], external_ref=None)
