"""The outreach cohort's evidence as SQL aggregations over the minimum records: counts per group of a breakdown (the
database groups and tests each record with correlated EXISTS along the patient's indexes; Python only turns counts
into rates).

Who counts for what (the page's "How it was counted" and the README say it too):
- a person is a linked patient (the record's patient_id); a record not yet linked to a patient is a person of its
  own, seen once as far as anyone can tell, so whether they were seen again is unknown: the measures that follow a
  person (seen again, urgent care, a safeguarding concern) and the follow-up measure count linked people and records
  only, and the unlinked are counted beside them;
- people new to outreach in the period: their first record ever (as linked now) was seen in the period; each
  belongs to the venue, partner, flags and patient of that first record;
- a person's window is the UK day of their first record and the WINDOW_DAYS days after; they are followed once it
  is over at `now`, so a recent period is not made low by days still to come;
- seen again: a later outreach record of the same patient, or an attended appointment on any of their referrals,
  within the window;
- a follow-up is due on a record whose follow_up_on falls in the period and has passed (before today, UK); it is
  completed on time with a contact (as above) at or after the record was seen and on or before that day;
- urgent care: an urgent contact of the patient on a day of the window; a safeguarding concern: one raised on the
  patient after the first record, within the window;
- a positive screen: either risk screen (exploitation, self-neglect) answered yes, of the period's records.
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import String, and_, case, cast, exists, func, literal_column, null, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from inclusive_access.domain.equity import ETHNIC_GROUPS
from inclusive_access.domain.segments import FLAGS
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import (
    Appointment,
    OutreachRecord,
    OutreachSession,
    Partner,
    Patient,
    Referral,
    SafeguardingConcern,
    UrgentContact,
    Venue,
)
from inclusive_access.reporting.uk_days import days_after, uk_date

#: the days after the UK day of a person's first outreach record within which a later contact, urgent care or a
#: safeguarding concern counts: about three months, long enough for a second session at a weekly or fortnightly
#: venue and for an appointment booked from the first
WINDOW_DAYS = 90
#: an appointment that was a contact (attended, or attended late and still seen)
ATTENDED = ("attended", "attended_late")
#: the "not linked" group of a patient breakdown: a record not linked to a patient has no patient to group by
NOT_LINKED_QUINTILE = 0
NOT_LINKED_GROUP = "Not linked to a patient"
#: the group of records with no inequality flag recorded
NO_FLAG = "none"

R = OutreachRecord
E = aliased(OutreachRecord)  # another record of the same patient
LINKED = R.patient_id.is_not(None)
NOT_LINKED = R.patient_id.is_(None)
#: the person's first record ever, as linked now (ties on seen_at broken by id), or an unlinked record
FIRST = or_(NOT_LINKED, ~exists().where(E.patient_id == R.patient_id,
                                        or_(E.seen_at < R.seen_at, and_(E.seen_at == R.seen_at, E.id < R.id))))
FIRST_DAY = uk_date(R.seen_at)
WINDOW_END = days_after(FIRST_DAY, WINDOW_DAYS)
POSITIVE_SCREEN = or_(R.exploitation_risk == "yes", R.self_neglect_risk == "yes")


def contact_after(on_or_before) -> object:
    """A contact of the record's patient after the record (another outreach record at or after it, or an attended
    appointment starting at or after it) on a UK day on or before `on_or_before`."""
    again = exists().where(E.patient_id == R.patient_id, E.id != R.id, E.seen_at >= R.seen_at,
                           uk_date(E.seen_at) <= on_or_before)
    attended = exists().where(Appointment.referral_id == Referral.id, Referral.patient_id == R.patient_id,
                              Appointment.status.in_(ATTENDED), Appointment.starts_at >= R.seen_at,
                              uk_date(Appointment.starts_at) <= on_or_before)
    return or_(again, attended)


URGENT = exists().where(UrgentContact.patient_id == R.patient_id, UrgentContact.occurred_on >= FIRST_DAY,
                        UrgentContact.occurred_on <= WINDOW_END)
CONCERN = exists().where(SafeguardingConcern.patient_id == R.patient_id, SafeguardingConcern.raised_at > R.seen_at,
                         uk_date(SafeguardingConcern.raised_at) <= WINDOW_END)


def _count(condition):
    return func.count(case((condition, 1)))


def seen_counts(followed_by: date) -> dict:
    """name -> aggregate over the period's records; `followed_by` is the last first day whose window is over."""
    followed = and_(LINKED, uk_date(R.seen_at) <= followed_by, FIRST)
    return {
        "records": func.count(R.id),
        "screened_positive": _count(POSITIVE_SCREEN),
        "people_linked": _count(and_(LINKED, FIRST)),
        "people_unlinked": _count(NOT_LINKED),
        "followed": _count(followed),
        "engaged": _count(and_(followed, contact_after(WINDOW_END))),
        "urgent": _count(and_(followed, URGENT)),
        "concerns": _count(and_(followed, CONCERN)),
    }


#: name -> aggregate over the records whose follow-up falls due in the period and has passed
FOLLOW_UP_COUNTS = {
    "follow_ups_due": _count(LINKED),
    "follow_ups_met": _count(and_(LINKED, contact_after(R.follow_up_on))),
    "follow_ups_unlinked": _count(NOT_LINKED),
}
#: every count a group has, in the order the page and CSV give them
COUNTS = (*seen_counts(date.min), *FOLLOW_UP_COUNTS)


@dataclass(frozen=True)
class Scope:
    """UK days, inclusive: the records seen on them, and the follow-ups planned for them."""

    start: date
    end: date

    def seen_between(self) -> tuple[datetime, datetime]:
        """The UTC instants the period's UK days run between: from the first's midnight to after the last's."""
        return tuple(datetime.combine(day, time(0), LONDON).astimezone(UTC)
                     for day in (self.start, self.end + timedelta(days=1)))


@dataclass(frozen=True)
class Breakdown:
    key: str
    label: str
    #: whether its groups divide the records (each in one group), so they sum to the whole
    partition: bool = True


BREAKDOWNS = {b.key: b for b in (
    Breakdown("partner", "Partner"), Breakdown("venue", "Venue"),
    Breakdown("flags", "Inequality flag recorded at the venue", partition=False),
    Breakdown("imd_quintile", "IMD quintile"), Breakdown("ethnic_group", "Ethnic group"))}
#: the grouping column of each breakdown but flags (one query per flag: a record may have several)
KEYS = {
    "partner": Venue.partner_id,
    "venue": Venue.id,
    "imd_quintile": case((NOT_LINKED, NOT_LINKED_QUINTILE), else_=(Patient.imd_decile + 1) // 2),
    "ethnic_group": case((NOT_LINKED, NOT_LINKED_GROUP), else_=case(ETHNIC_GROUPS, value=Patient.ethnic_category)),
}
#: a record's flags as stored (JSON text): a flag's key in quotes is that flag, as triage filters referrals
FLAGS_TEXT = cast(R.flags, String)
FLAG_CONDITIONS = {**{flag.key: FLAGS_TEXT.like(f'%"{flag.key}"%') for flag in FLAGS}, NO_FLAG: FLAGS_TEXT == "[]"}


def _from(*columns):
    return (select(*columns).select_from(R).join(OutreachSession, OutreachSession.id == R.session_id)
            .join(Venue, Venue.id == OutreachSession.venue_id).outerjoin(Patient, Patient.id == R.patient_id))


def _grouped(session: Session, aggregates: dict, where: list, breakdown: str | None) -> dict[object, dict]:
    """{group value: {name: count}} over the records `where` selects, for the breakdown (None: one group, None)."""
    labelled = [value.label(name) for name, value in aggregates.items()]
    if breakdown is None:
        queries = [_from(null().label("key"), *labelled).where(*where)]
    elif breakdown == "flags":
        queries = [_from(literal_column(f"'{flag}'").label("key"), *labelled).where(*where, condition)
                   for flag, condition in FLAG_CONDITIONS.items()]
    else:
        queries = [_from(KEYS[breakdown].label("key"), *labelled).where(*where).group_by(KEYS[breakdown])]
    query = queries[0] if len(queries) == 1 else union_all(*queries)
    return {row.key: {name: getattr(row, name) for name in aggregates} for row in session.execute(query)
            if breakdown is None or any(getattr(row, name) for name in aggregates)}


def counts(session: Session, scope: Scope, breakdown: str | None, now: datetime) -> dict[object, dict]:
    """Every count of COUNTS per group of the breakdown (None: the whole cohort, one group keyed None), for groups
    with anything to count; as recorded at `now`."""
    today = now.astimezone(LONDON).date()
    first, after_last = scope.seen_between()
    seen = _grouped(session, seen_counts(today - timedelta(days=WINDOW_DAYS + 1)),
                    [R.seen_at >= first, R.seen_at < after_last], breakdown)
    due = _grouped(session, FOLLOW_UP_COUNTS, [R.follow_up_on >= scope.start,
                                               R.follow_up_on <= min(scope.end, today - timedelta(days=1))],
                   breakdown)
    empty = dict.fromkeys(COUNTS, 0)
    return {key: empty | seen.get(key, {}) | due.get(key, {}) for key in seen.keys() | due.keys()}


@dataclass(frozen=True)
class Place:
    """A venue and its partner, as the breakdowns label them."""

    venue_id: int
    venue: str
    partner_id: int | None
    partner: str | None


def places(session: Session) -> list[Place]:
    """Every venue with its partner, by partner then venue name."""
    query = (select(Venue.id, Venue.name, Venue.partner_id, Partner.name)
             .outerjoin(Partner, Partner.id == Venue.partner_id).order_by(Partner.name, Venue.name))
    return [Place(*row) for row in session.execute(query)]
