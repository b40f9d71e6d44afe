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
    questionnaires,
    reviews,
    safeguarding,
    triage,
    urgent_contacts,
)
from inclusive_access.domain.clarification import CHANNELS
from inclusive_access.domain.equity import COMMUNICATION_NEEDS, ETHNIC_CATEGORIES, HOUSING_STATUSES, SEXES
from inclusive_access.domain.pathway_delays import DELAY_ANSWERS
from inclusive_access.domain.segments import FLAG_LABELS
from inclusive_access.reporting import charts

LONDON = ZoneInfo("Europe/London")


def nhs_number(value: str | None) -> str:
    """In the 3-3-4 groups the NHS writes it; "Not known" for a patient registered from an outreach record without
    one (a blank would read as a page fault)."""
    return f"{value[:3]} {value[3:6]} {value[6:]}" if value and len(value) == 10 else (value or "Not known")


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

    for name, function in {
        "event_sentence": event_sentences.sentence,
        "labels": labels,
        "event_value": event_value,
        # for pages whose route hands over the form alone: its errors as the error summary and field macros read them
        "first_errors": first_errors,
        "time_left": time_left,
        "nhs_number": nhs_number,
        "london": london,
        "age": age,
        "days_ago": days_ago,
        "yes_no": yes_no,
    }.items():
        app.add_template_filter(function, name)
    app.add_template_test(overdue, "overdue")
    for name, value in {
        "EVENT_KINDS": KINDS,
        "spc_svg": charts.svg,
        "POINT_WORDS": charts.POINT_WORDS,
        "FLAG_LABELS": FLAG_LABELS,
        "ETHNIC_LABELS": ETHNIC_CATEGORIES,
        "SEX_LABELS": SEXES,
        "HOUSING_LABELS": HOUSING_STATUSES,
        "NEED_LABELS": COMMUNICATION_NEEDS,
        "FORMAT_LABELS": triage.FORMATS,
        "ADJUSTMENT_LABELS": triage.ADJUSTMENT_CATEGORIES,
        "ADJUSTMENT_SOURCE_LABELS": adjustments.SOURCES,
        "CONSENT_LABELS": adjustments.CONSENT_BASES,
        "BARRIER_LABELS": dna.BARRIERS,
        "ALTERNATIVE_LABELS": dna.ALTERNATIVES,
        "BARRIER_OUTCOME_LABELS": dna.OUTCOMES,
        "SAFEGUARDING_LABELS": dna.SAFEGUARDING,
        "REJECTION_LABELS": triage.REJECTION_CODES,
        "CHANNEL_LABELS": CHANNELS,
        "APPOINTMENT_OUTCOME_LABELS": appointments.OUTCOMES,
        "DISCHARGE_REASON_LABELS": discharge.REASONS,
        "DECISION_LABELS": discharge.DECISIONS,
        "REVIEW_KIND_LABELS": reviews.KIND_LABELS,
        "CONCERN_LABELS": safeguarding.CATEGORIES,
        "URGENT_KIND_LABELS": urgent_contacts.KINDS,
        "URGENT_SOURCE_LABELS": urgent_contacts.SOURCES,
        "DELAY_LABELS": DELAY_ANSWERS,
        "TIME_POINT_LABELS": questionnaires.TIME_POINTS,
        "CLINICIAN_MODE_LABELS": questionnaires.CLINICIAN_MODES,
        "MODE_LABELS": questionnaires.MODES,
        "AUDIT_RECORD_LABELS": audit_sampling.RECORD_TYPES,
        "AUDIT_SEGMENT_LABELS": audit_sampling.SEGMENT_LABELS,
        "AUDIT_ALLOCATION_LABELS": audit_sampling.ALLOCATIONS,
        "AUDIT_ANSWER_LABELS": audit_findings.ANSWERS,
    }.items():
        app.add_template_global(value, name)
