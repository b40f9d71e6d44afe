"""Clearly fake contact details for the demo patients: mobile numbers from Ofcom's range for drama (07700 900000 to
900999, never a real phone), email addresses at example.com and example.org (reserved), streets in the ZZ99 pseudo-
postcode area, and now and then a carer or advocate who receives messages for the patient."""
import random

from inclusive_access.domain.contact_details import ContactInfo
from inclusive_access.domain.intake import PatientDetails

STREETS = ["Example Street", "Sample Road", "Test Lane", "Demo Avenue", "Placeholder Close", "Fiction Way"]
TOWNS = ["Demoton", "Sampleford", "Testbury"]
CARERS = ["Alex Carer-Demo", "Sam Advocate-Demo", "Jordan Helper-Demo", "Robin Supportwell"]


def _mobile(rng: random.Random) -> str:
    return f"07700 900{rng.randint(0, 999):03d}"


def _address(rng: random.Random) -> tuple[str, ...]:
    flat = (f"Flat {rng.randint(1, 24)}",) if rng.random() < 0.25 else ()
    return (*flat, f"{rng.randint(1, 199)} {rng.choice(STREETS)}", rng.choice(TOWNS))


def contact_info(rng: random.Random, person: PatientDetails) -> ContactInfo:
    """Most have a mobile and an address, fewer an email; one in twelve (and everyone needing an advocate) is
    reached through a carer or advocate."""
    email = (f"{person.given_name}.{person.family_name}{rng.randint(1, 99)}@example."
             f"{rng.choice(['com', 'org'])}".lower()) if rng.random() < 0.5 else None
    carer = rng.random() < 1 / 12 or "advocate" in person.communication_needs
    return ContactInfo(
        mobile=_mobile(rng) if rng.random() < 0.85 else None, email=email,
        address_lines=_address(rng) if rng.random() < 0.95 else (),
        carer_name=rng.choice(CARERS) if carer else None,
        carer_mobile=_mobile(rng) if carer and rng.random() < 0.8 else None,
        carer_address_lines=_address(rng) if carer else (),
        carer_postcode=f"ZZ99 {rng.randint(1, 9)}CA" if carer else None)
