"""The patients a minimum record may be: an exact NHS number first, then the people whose name, date of birth and
postcode are like what the person gave at the venue, each with a score and the reasons for it, so the clinician
sees why a patient is offered and judges the match (a near name alone is never a match).

The database pre-selects a bounded set through the patient search indexes (NHS number, name keys, birth date,
postcode), each way capped; only that set is scored, in Python, by RapidFuzz: similarity of names is not a
comparison an index answers, and a few hundred rows at most are scored, never every patient."""
from dataclasses import dataclass, field, replace
from datetime import date

from rapidfuzz.distance import JaroWinkler
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from inclusive_access.domain import name_keys, records
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import NotPermitted
from inclusive_access.domain.outreach_reconciliation import may_reconcile
from inclusive_access.domain.patient_search import open_referrals, starts_with
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import OutreachRecord, Patient, Referral

#: rows each pre-selection may bring; with seven ways at most, the scored set stays small
PER_WAY = 40
#: candidates shown: enough to choose from by eye
SHOWN = 10
#: an approximate age is taken as right within this many years
AGE_SLACK = 3
#: names this alike (Jaro-Winkler, 0-100) are "similar": a transposed or missed letter ("Smtih", "Jonse") scores
#: over 90, different names of the same first letter mostly under 80
SIMILAR = 85
#: a candidate below this score has too little in common to offer (unless the NHS number matches)
MINIMUM = 25
# what each agreement adds to the score
NHS_NUMBER, FAMILY, GIVEN, BORN, AGE, POSTCODE, DISTRICT = 100, 30, 20, 30, 15, 15, 8
#: a different NHS number on both sides says another person (or a number misremembered): shown, but lower
OTHER_NHS_NUMBER = -20


@dataclass(frozen=True)
class Candidate:
    patient: Patient
    score: int
    reasons: tuple[str, ...]
    nhs_number_matches: bool
    #: the referrals the record may join, newest first
    open_referrals: list[Referral] = field(default_factory=list)

    @property
    def rank(self) -> tuple:
        return not self.nhs_number_matches, -self.score, self.patient.id


def candidates(session: Session, actor: Actor, record: OutreachRecord, shown: int = SHOWN) -> list[Candidate]:
    """The patients the record may be, best first: an NHS number match before any other, then by score. Each
    patient shown is logged as viewed by the clinician (a match list chooses whom to look at, as a search does)."""
    if not may_reconcile(session, actor, record):
        raise NotPermitted("Only the clinicians named on the session may reconcile its records.")
    pool = session.scalars(select(Patient).where(Patient.id.in_(_preselected(session, record)))).all()
    scored = (_score(record, patient) for patient in pool)
    kept = sorted((c for c in scored if c.nhs_number_matches or c.score >= MINIMUM), key=lambda c: c.rank)[:shown]
    referrals = open_referrals(session, [c.patient.id for c in kept])
    for candidate in kept:
        records.view_record(session, actor, candidate.patient)
    return [replace(c, open_referrals=referrals.get(c.patient.id, [])) for c in kept]


def _preselected(session: Session, record: OutreachRecord) -> set[int]:
    """Patient ids found by each way the record may point at someone, each a range of one index read in that
    index's order, capped."""
    family = name_keys.fold(record.family_name or "")
    given = name_keys.fold(record.given_name)
    born = _birth_range(record)
    by_family = (Patient.family_name_key, Patient.given_name_key, Patient.id)
    by_given = (Patient.given_name_key, Patient.family_name_key, Patient.id)
    by_birth, by_postcode = (Patient.date_of_birth, Patient.id), (Patient.postcode, Patient.id)
    ways: list[tuple] = []
    if record.nhs_number:
        ways.append((Patient.nhs_number == record.nhs_number, (Patient.id,)))
    if len(family) >= 2:
        # a letter wrong after the second still finds the name; a wrong second letter, by the given name
        ways.append((and_(starts_with(Patient.family_name_key, family[:2]),
                          *([] if record.name_is_alias else [starts_with(Patient.given_name_key, given[:1])])),
                     by_family))
        if not record.name_is_alias and given:
            ways.append((and_(starts_with(Patient.given_name_key, given[:2]),
                              starts_with(Patient.family_name_key, family[:1])), by_given))
    if born and len(given) >= 2:
        ways.append((and_(starts_with(Patient.given_name_key, given[:2]), Patient.date_of_birth.between(*born)),
                     by_given))
    if record.date_of_birth:
        ways.append((Patient.date_of_birth == record.date_of_birth, by_birth))
    if record.postcode:
        ways.append((Patient.postcode == record.postcode, by_postcode))
        if born:
            ways.append((and_(_in_district(record.postcode), Patient.date_of_birth.between(*born)), by_postcode))
    ids: set[int] = set()
    for where, order in ways:
        ids.update(session.scalars(select(Patient.id).where(where).order_by(*order).limit(PER_WAY)))
    return ids


def _in_district(postcode: str):
    """Postcodes of the same outward code ("LS1 4AP": LS1), as a range of the postcode index. Every inward code is
    a digit and two letters, so the range holds the district under any collation (one that ignores the space
    holds LS10 too, which the exact test drops)."""
    outward = postcode.split()[0]
    return and_(Patient.postcode.between(f"{outward} 0AA", f"{outward} 9ZZ"),
                func.substr(Patient.postcode, 1, len(outward) + 1) == f"{outward} ")


def _birth_range(record: OutreachRecord) -> tuple[date, date] | None:
    if record.date_of_birth:
        return record.date_of_birth, record.date_of_birth
    if record.approximate_age is None:
        return None
    year = _seen_on(record).year - record.approximate_age
    return date(year - AGE_SLACK - 1, 1, 1), date(year + AGE_SLACK, 12, 31)


def _seen_on(record: OutreachRecord) -> date:
    return record.seen_at.astimezone(LONDON).date()


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _similarity(a: str, b: str) -> int:
    return round(JaroWinkler.normalized_similarity(a, b) * 100)


def _score(record: OutreachRecord, patient: Patient) -> Candidate:
    score, reasons = 0, []
    matches = bool(record.nhs_number) and record.nhs_number == patient.nhs_number
    if matches:
        score += NHS_NUMBER
        reasons.append("NHS number matches")
    elif record.nhs_number and patient.nhs_number:
        score += OTHER_NHS_NUMBER
        reasons.append("different NHS number on file")
    score += _names(record, patient, reasons)
    score += _birth(record, patient, reasons)
    if record.postcode and patient.postcode:
        if record.postcode == patient.postcode:
            score += POSTCODE
            reasons.append("same postcode")
        elif record.postcode.split()[0] == patient.postcode.split()[0]:
            score += DISTRICT
            reasons.append("same postcode district")
    return Candidate(patient, score, tuple(reasons), matches)


def _names(record: OutreachRecord, patient: Patient, reasons: list[str]) -> int:
    """The family name against the patient's; the given name against the given name, or against either name when
    it is the only name given. An alias counts half: people choose one, and may choose a common one."""
    points = 0
    family = name_keys.fold(record.family_name or "")
    if family:
        points += _name_points(family, patient.family_name_key, FAMILY, "family name", reasons)
    given = name_keys.fold(record.given_name)
    against = [patient.given_name_key] + ([] if family else [patient.family_name_key])
    best = max(against, key=lambda key: _similarity(given, key))
    label = "name given as an alias" if record.name_is_alias else (
        "given name" if best == patient.given_name_key else "name given, as family name")
    weight = GIVEN // 2 if record.name_is_alias else GIVEN
    return points + _name_points(given, best, weight, label, reasons)


def _name_points(typed: str, on_file: str, weight: int, label: str, reasons: list[str]) -> int:
    similarity = _similarity(typed, on_file)
    if similarity == 100:
        reasons.append(f"{label} matches")
    elif similarity >= SIMILAR:
        reasons.append(f"{label} similar ({similarity})")
    else:
        return 0
    return weight * similarity // 100


def _birth(record: OutreachRecord, patient: Patient, reasons: list[str]) -> int:
    estimated = " (estimated)" if patient.date_of_birth_estimated else ""
    if record.date_of_birth:
        if record.date_of_birth == patient.date_of_birth:
            reasons.append(f"date of birth matches{estimated}")
            return BORN
        return 0
    if record.approximate_age is None:
        return 0
    if abs(_age_on(patient.date_of_birth, _seen_on(record)) - record.approximate_age) <= AGE_SLACK:
        reasons.append(f"born {patient.date_of_birth.year}{estimated}, age given {record.approximate_age}")
        return AGE
    return 0
