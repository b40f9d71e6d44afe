"""Display formats: NHS numbers in 3-3-4, times in Europe/London, ages, labels for codes."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from inclusive_access.blueprints.forms_common import first_errors
from inclusive_access.domain import (
    adjustments,
    appointments,
    audit_findings,
    audit_sampling,
    clocks,
    discharge,
    dna,
    reviews,
    safeguarding,
    triage,
)
from inclusive_access.domain.clarification import CHANNELS
from inclusive_access.domain.equity import (
    COMMUNICATION_NEEDS,
    ETHNIC_CATEGORIES,
    HOUSING_STATUSES,
    SEXES,
)
from inclusive_access.domain.segments import FLAG_LABELS
from inclusive_access.reporting import charts

LONDON = ZoneInfo("Europe/London")


def nhs_number(value: str | None) -> str:
    return f"{value[:3]} {value[3:6]} {value[6:]}" if value and len(value) == 10 else (value or "")


def london(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    return value.astimezone(LONDON).strftime(fmt) if value else ""


def age(born: date | None, today: date | None = None) -> int | None:
    if born is None:
        return None
    today = today or datetime.now(UTC).astimezone(LONDON).date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def days_ago(when: date | datetime | None, today: date | None = None) -> str:
    """Calendar days in UK time: missed on Sunday, seen on Wednesday is "3 days ago" whatever the hour."""
    if when is None:
        return ""
    day = when.astimezone(LONDON).date() if isinstance(when, datetime) else when
    days = ((today or datetime.now(UTC).astimezone(LONDON).date()) - day).days
    return {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")


def yes_no(value: bool | None) -> str:
    return "Not known" if value is None else ("Yes" if value else "No")


def event_value(value) -> str:
    """An event's recorded value in words: lists joined, booleans as yes/no, None as 'not recorded'."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, bool) or value is None:
        return yes_no(value) if value is not None else "not recorded"
    return str(value)


def time_left(due: datetime | None) -> str:
    return clocks.describe(due - datetime.now(UTC)) if due else ""


def overdue(due: datetime | None) -> bool:
    return bool(due) and due < datetime.now(UTC)


def labels(codes, mapping: dict) -> str:
    return ", ".join(mapping.get(code, code) for code in codes or ())


def register(app: Flask) -> None:
    # event_sentences words its sentences with the filters above, so it is imported once they exist
    from inclusive_access import event_sentences
    from inclusive_access.domain.event_kinds import KINDS

    app.add_template_filter(event_sentences.sentence, "event_sentence")
    app.add_template_global(KINDS, "EVENT_KINDS")
    app.add_template_filter(labels, "labels")
    app.add_template_filter(event_value, "event_value")
    # for pages whose route hands over the form alone: its errors as the error summary and field macros read them
    app.add_template_filter(first_errors, "first_errors")
    app.add_template_filter(time_left, "time_left")
    app.add_template_test(overdue, "overdue")
    app.add_template_filter(nhs_number, "nhs_number")
    app.add_template_filter(london, "london")
    app.add_template_filter(age, "age")
    app.add_template_filter(days_ago, "days_ago")
    app.add_template_global(charts.svg, "spc_svg")
    app.add_template_global(charts.POINT_WORDS, "POINT_WORDS")
    app.add_template_filter(yes_no, "yes_no")
    app.add_template_global(FLAG_LABELS, "FLAG_LABELS")
    app.add_template_global(ETHNIC_CATEGORIES, "ETHNIC_LABELS")
    app.add_template_global(SEXES, "SEX_LABELS")
    app.add_template_global(HOUSING_STATUSES, "HOUSING_LABELS")
    app.add_template_global(COMMUNICATION_NEEDS, "NEED_LABELS")
    app.add_template_global(triage.FORMATS, "FORMAT_LABELS")
    app.add_template_global(triage.ADJUSTMENT_CATEGORIES, "ADJUSTMENT_LABELS")
    app.add_template_global(adjustments.SOURCES, "ADJUSTMENT_SOURCE_LABELS")
    app.add_template_global(adjustments.CONSENT_BASES, "CONSENT_LABELS")
    app.add_template_global(dna.BARRIERS, "BARRIER_LABELS")
    app.add_template_global(dna.ALTERNATIVES, "ALTERNATIVE_LABELS")
    app.add_template_global(dna.OUTCOMES, "BARRIER_OUTCOME_LABELS")
    app.add_template_global(dna.SAFEGUARDING, "SAFEGUARDING_LABELS")
    app.add_template_global(triage.REJECTION_CODES, "REJECTION_LABELS")
    app.add_template_global(CHANNELS, "CHANNEL_LABELS")
    app.add_template_global(appointments.OUTCOMES, "APPOINTMENT_OUTCOME_LABELS")
    app.add_template_global(discharge.REASONS, "DISCHARGE_REASON_LABELS")
    app.add_template_global(discharge.DECISIONS, "DECISION_LABELS")
    app.add_template_global(reviews.KIND_LABELS, "REVIEW_KIND_LABELS")
    app.add_template_global(safeguarding.CATEGORIES, "CONCERN_LABELS")
    app.add_template_global(audit_sampling.RECORD_TYPES, "AUDIT_RECORD_LABELS")
    app.add_template_global(audit_sampling.SEGMENT_LABELS, "AUDIT_SEGMENT_LABELS")
    app.add_template_global(audit_sampling.ALLOCATIONS, "AUDIT_ALLOCATION_LABELS")
    app.add_template_global(audit_findings.ANSWERS, "AUDIT_ANSWER_LABELS")
