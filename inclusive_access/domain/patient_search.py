"""Finding a patient by NHS number, name, date of birth or postcode; each patient shown is logged as viewed."""
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload

from inclusive_access.domain import name_keys, records, states
from inclusive_access.domain import validation as v
from inclusive_access.domain.access import BOOKING_WORK, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.equity import derive_flags
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.domain.intake import PATIENT_FIELDS
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.models import Patient, Referral

#: patients shown at once: a list to pick from by eye; past it staff add a detail rather than page through people
LIMIT = 20
#: words of a name tried in every split between given and family names (further words join the last)
MAX_WORDS = 4
#: the boxes of the search form, as parse_criteria reads them
FIELDS = ("nhs_number", "name", "dob_day", "dob_month", "dob_year", "postcode")
NOTHING_ENTERED = "Enter an NHS number, a name, a date of birth or a postcode"
TOO_SHORT = "Enter at least 2 letters of the name"
#: results by name; the index entries on the name keys end with the row id, so a prefix reads in this order
_ORDER = (Patient.family_name_key, Patient.given_name_key, Patient.id)


@dataclass(frozen=True)
class Criteria:
    nhs_number: str | None = None
    #: the name as folded words (name_keys.fold), in the order typed
    name_words: tuple[str, ...] = ()
    date_of_birth: date | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class Found:
    patient: Patient
    #: inequality flags from the patient's record as it stands today (a referral keeps those at its receipt)
    flags: list[str]
    open_referrals: list[Referral]


@dataclass(frozen=True)
class SearchResult:
    rows: list[Found]
    #: more patients matched than are shown: the page asks for a further detail
    more: bool


def parse_criteria(raw: dict, today: date) -> Criteria:
    """The boxes of the search form, checked by the intake's own field rules. Every box typed must match.

    NHS number with or without spaces, postcode with or without its space in any case (both are stored
    normalised), a date of birth in three boxes, and a name of any words (given or family name first).
    """
    errors = v.FieldErrors()
    number = v.nhs_number_field(errors, raw) if (raw.get("nhs_number") or "").strip() else None
    words = _name_words(errors, raw)
    born = _date_of_birth(errors, raw, today)
    postcode = v.postcode(errors, raw)
    if not errors and not (number or words or born or postcode):
        errors.add("nhs_number", NOTHING_ENTERED)
    if errors:
        raise InvalidInput(dict(errors))
    return Criteria(number, words, born, postcode)


def _name_words(errors: v.FieldErrors, raw: dict) -> tuple[str, ...]:
    typed = v.text(errors, raw, "name", "the name", 100, required=False)
    if not typed or "name" in errors:
        return ()
    words = [w for w in (name_keys.fold(part) for part in re.split(r"[\s,]+", typed)) if w]
    if len("".join(words)) < 2:
        errors.add("name", TOO_SHORT)
        return ()
    return tuple(words[:MAX_WORDS - 1] + ["".join(words[MAX_WORDS - 1:])] if len(words) > MAX_WORDS else words)


def _date_of_birth(errors: v.FieldErrors, raw: dict, today: date) -> date | None:
    day, month, year = ((raw.get(f"dob_{part}") or "").strip() for part in ("day", "month", "year"))
    if not (day or month or year):
        return None
    if not (day and month and year):
        errors.add("dob_day", "Date of birth must include a day, month and year")
        return None
    typed = {"dob_day": f"{year.zfill(4)}-{month.zfill(2)}-{day.zfill(2)}"}
    return v.past_date(errors, typed, "dob_day", "date of birth", today)


def starts_with(column, prefix: str):
    """`column` starts with `prefix`, as a range its B-tree index answers on SQLite and PostgreSQL alike.

    LIKE 'abc%' reads no index on SQLite (its LIKE ignores case), nor on PostgreSQL outside the C collation.
    Folded keys hold only ALPHABET, whose order every collation keeps, so [abc, abd) is exactly the prefix.
    """
    alphabet = name_keys.ALPHABET
    if any(ch not in alphabet for ch in prefix):  # another script: rare, and correct if not indexed
        return func.substr(column, 1, len(prefix)) == prefix
    stem = prefix.rstrip("z")
    if not stem:
        return column >= prefix
    return and_(column >= prefix, column < stem[:-1] + alphabet[alphabet.index(stem[-1]) + 1])


def _name_branches(words: tuple[str, ...]) -> list:
    """The words, joined, start a given or family name ("de la cruz", "zoe"), or start given and family names
    split at any word, in either order ("zoe obrien", "OBrien, Zoë", "mary ann smith")."""
    given, family = Patient.given_name_key, Patient.family_name_key
    whole = "".join(words)
    branches = [starts_with(family, whole), starts_with(given, whole)]
    for cut in range(1, len(words)):
        first, rest = "".join(words[:cut]), "".join(words[cut:])
        branches += [and_(starts_with(given, first), starts_with(family, rest)),
                     and_(starts_with(family, first), starts_with(given, rest))]
    return branches


def search_patients(session: Session, actor: Actor, criteria: Criteria, policy: Policy = DEFAULT_POLICY,
                    limit: int = LIMIT) -> SearchResult:
    """Up to `limit` patients matching every criterion, by family then given name, with their flags and open
    referrals. Each patient shown is logged as viewed by the searcher: a search chooses whom to look at, so
    "who saw this patient" must answer it (unlike a worklist, which the service's own work fills)."""
    require_role(actor, BOOKING_WORK)
    query = select(Patient)
    if criteria.nhs_number:
        query = query.where(Patient.nhs_number == criteria.nhs_number)
    if criteria.date_of_birth:
        query = query.where(Patient.date_of_birth == criteria.date_of_birth)
    if criteria.postcode:
        query = query.where(Patient.postcode == criteria.postcode)
    if criteria.name_words:
        # Each way the name may match, alone: its first rows come from one index, in its order or sorted from the
        # index entries alone; one OR would read and sort every matching row ("sm": 3% of a million).
        ids: set[int] = set()
        for branch in _name_branches(criteria.name_words):
            ids.update(session.scalars(query.with_only_columns(Patient.id).where(branch)
                                       .order_by(*_ORDER).limit(limit + 1)))
        query = query.where(Patient.id.in_(ids))
    found = session.scalars(query.order_by(*_ORDER).limit(limit + 1)).all()
    shown = found[:limit]
    referrals = open_referrals(session, [patient.id for patient in shown])
    for patient in shown:
        records.view_record(session, actor, patient)
    return SearchResult([Found(patient, derive_flags({f: getattr(patient, f) for f in PATIENT_FIELDS},
                                                     policy.deprivation_quintiles),
                               referrals.get(patient.id, [])) for patient in shown], more=len(found) > limit)


def open_referrals(session: Session, patient_ids: list[int]) -> dict[int, list[Referral]]:
    """patient id -> referrals neither discharged nor rejected, newest first."""
    rows = session.scalars(select(Referral).options(joinedload(Referral.pathway))
                           .where(Referral.patient_id.in_(patient_ids), Referral.state.not_in(states.CLOSED_STATES))
                           .order_by(Referral.received_at.desc(), Referral.id.desc())).all()
    grouped: dict[int, list[Referral]] = {}
    for referral in rows:
        grouped.setdefault(referral.patient_id, []).append(referral)
    return grouped
