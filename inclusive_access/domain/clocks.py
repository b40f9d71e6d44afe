"""SLA clocks as pure functions: same-day triage, 24-hour clarification, 14-day rebooking, 90-day re-referral.

UTC in and out; the calendar rules (working days, cut-offs, bank holidays) apply in Europe/London.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")

#: England's bank holidays from the maintained `holidays` calendar, substitute days and one-off holidays (a state
#: funeral, a coronation) included, for any year: a hand-kept list ran out. Each year is worked out when first asked.
ENGLAND_BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG")


@dataclass(frozen=True)
class ClockSettings:
    """Local policy with DOMAIN.md's defaults."""

    same_day_cutoff: time = time(15, 0)
    end_of_day: time = time(17, 0)
    next_day_by: time = time(12, 0)
    unflagged_working_days: int = 3
    #: Monday = 0 ... Sunday = 6
    working_weekdays: frozenset[int] = frozenset(range(5))
    #: days this service is closed besides weekends and bank holidays (SERVICE_CLOSURES: a one-off closure, a
    #: local holiday)
    closures: frozenset[date] = frozenset()
    clarification_hours: int = 24
    rebooking_days: int = 14
    #: a local setting, not a DOMAIN.md clock: how long a senior review may wait before the queue shows it overdue
    senior_review_hours: int = 48

    @classmethod
    def from_mapping(cls, cfg: Mapping) -> "ClockSettings":
        """Build from app config keys (TRIAGE_CUTOFF="15:00", SERVICE_CLOSURES=[...], ...), defaults otherwise."""
        return cls(
            same_day_cutoff=time.fromisoformat(cfg.get("TRIAGE_CUTOFF", "15:00")),
            end_of_day=time.fromisoformat(cfg.get("TRIAGE_END_OF_DAY", "17:00")),
            next_day_by=time.fromisoformat(cfg.get("TRIAGE_NEXT_DAY_BY", "12:00")),
            unflagged_working_days=int(cfg.get("UNFLAGGED_TRIAGE_WORKING_DAYS", 3)),
            closures=frozenset(map(_closure, cfg.get("SERVICE_CLOSURES", ()))),
            clarification_hours=int(cfg.get("CLARIFICATION_HOURS", 24)),
            rebooking_days=int(cfg.get("REBOOKING_DAYS", 14)),
            senior_review_hours=int(cfg.get("SENIOR_REVIEW_HOURS", 48)),
        )


def _closure(day: date | str) -> date:
    try:
        return date.fromisoformat(day) if isinstance(day, str) else day
    except ValueError:
        raise ValueError(f"SERVICE_CLOSURES: '{day}' is not a date (YYYY-MM-DD)") from None


def is_working_day(day: date, settings: ClockSettings) -> bool:
    return (day.weekday() in settings.working_weekdays and day not in ENGLAND_BANK_HOLIDAYS
            and day not in settings.closures)


def next_working_day(day: date, settings: ClockSettings) -> date:
    """The first working day strictly after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day, settings):
        day += timedelta(days=1)
    return day


def _at(day: date, clock: time) -> datetime:
    # zoneinfo resolves wall-clock times across BST changes (fold=0: the first of an ambiguous hour).
    return datetime.combine(day, clock, tzinfo=LONDON).astimezone(UTC)


def triage_due(received_at: datetime, flagged: bool, settings: ClockSettings = ClockSettings()) -> datetime:
    """When triage is due.

    Flagged: received on a working day before the cut-off (15:00) -> 17:00 that day; otherwise
    12:00 on the next working day. Unflagged: 17:00 on the third working day after the day received.
    """
    local = received_at.astimezone(LONDON)
    today = local.date()
    if not flagged:
        day = today
        for _ in range(settings.unflagged_working_days):
            day = next_working_day(day, settings)
        return _at(day, settings.end_of_day)
    if is_working_day(today, settings) and local.time() < settings.same_day_cutoff:
        return _at(today, settings.end_of_day)
    return _at(next_working_day(today, settings), settings.next_day_by)


def clarification_due(requested_at: datetime, settings: ClockSettings = ClockSettings()) -> datetime:
    """24 clock hours (not working hours) after the request: poor referrals are never parked."""
    return requested_at.astimezone(UTC) + timedelta(hours=settings.clarification_hours)


def rebooking_due(missed_at: datetime, settings: ClockSettings = ClockSettings()) -> datetime:
    """A rebooking is on time when booked within 14 days of the missed appointment."""
    return missed_at.astimezone(UTC) + timedelta(days=settings.rebooking_days)


#: DOMAIN.md: a return to the same pathway within 90 days of discharge is a re-referral
RE_REFERRAL_DAYS = 90


def returns_within_90_days(discharged_at: datetime, received_at: datetime) -> bool:
    """Whether a referral received at `received_at` came back within 90 days after a discharge at `discharged_at`,
    counted in days of the calendar in Europe/London (received 90 days after the discharge day counts, 91 not)."""
    days = (received_at.astimezone(LONDON).date() - discharged_at.astimezone(LONDON).date()).days
    return discharged_at <= received_at and days <= RE_REFERRAL_DAYS


def end_of_day(now: datetime) -> datetime:
    """Midnight at the end of `now`'s day in London: work due before it is due today."""
    tomorrow = now.astimezone(LONDON).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=LONDON).astimezone(UTC)


def time_left(due: datetime, now: datetime) -> timedelta:
    """Positive while time remains; negative once overdue."""
    return due - now


def describe(delta: timedelta) -> str:
    """'3 h 20 min left' / '1 day 2 h overdue', for worklists and screen readers alike.

    Within the minute after its due time work is "due now", never "0 min overdue": a referral back from an
    answered clarification is due from the moment of the answer, and nobody has kept it waiting yet.
    """
    if -timedelta(minutes=1) < delta < timedelta(0):
        return "due now"
    overdue, seconds = delta < timedelta(0), abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, (rest % 3600) // 60
    parts = ([f"{days} day{'s' if days != 1 else ''}"] if days else []) + ([f"{hours} h"] if hours else [])
    if not days:
        parts.append(f"{minutes} min")
    return f"{' '.join(parts)} {'overdue' if overdue else 'left'}"


