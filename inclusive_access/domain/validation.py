"""Field rules shared by every way data enters: forms, the CSV import, and later APIs."""
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import nhs_number

LONDON = ZoneInfo("Europe/London")
#: control characters other than tab; line breaks are allowed only in multiline fields
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")
YES_NO_UNKNOWN = {"yes": True, "no": False, "unknown": None, "": None}
T = TypeVar("T")


class FieldErrors(dict):
    """field name -> first error message; later errors for the same field are dropped."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)


def _opening(label: str) -> str:
    """The label as a sentence's first words."""
    return label[0].upper() + label[1:]


def text(errors: FieldErrors, raw: dict, field: str, label: str, max_len: int,
         required: bool = True, multiline: bool = False) -> str | None:
    """A trimmed string: required, length-limited, with no control characters.

    Stored as typed, even when it starts as a spreadsheet formula would ("- patient reports pain", "+2 kg"):
    every CSV export defuses its cells instead (reporting.exports.spreadsheet_safe)."""
    value = (raw.get(field) or "").strip()
    if not value:
        if required:
            errors.add(field, f"Enter {label}")
        return None
    if len(value) > max_len:
        errors.add(field, f"{_opening(label)} must be {max_len} characters or fewer")
    elif _CONTROL.search(value if not multiline else value.replace("\n", "").replace("\r", "")):
        errors.add(field, f"{_opening(label)} contains characters that are not allowed")
    return value


def choice(errors: FieldErrors, raw: dict, field: str, label: str, options, required: bool = True):
    value = (raw.get(field) or "").strip()
    if not value:
        if required:
            errors.add(field, f"Select {label}")
        return None
    if value not in options:
        errors.add(field, f"{_opening(label)} '{value[:20]}' is not a recognised code")
        return None
    return value


def yes_no_unknown(errors: FieldErrors, raw: dict, field: str, label: str) -> bool | None:
    value = (raw.get(field) or "").strip().lower()
    if value not in YES_NO_UNKNOWN:
        errors.add(field, f"Select yes, no or not known for {label}")
        return None
    return YES_NO_UNKNOWN[value]


def nhs_number_field(errors: FieldErrors, raw: dict, field: str = "nhs_number") -> str | None:
    """10 digits with a valid mod-11 check digit, spaces allowed; stored without spaces."""
    value = re.sub(r"[\s-]", "", raw.get(field) or "")
    if not value:
        errors.add(field, "Enter the NHS number")
        return None
    if not value.isdigit() or len(value) != 10:
        errors.add(field, "NHS number must be 10 digits")
        return None
    if not nhs_number.is_valid(value):
        errors.add(field, "Enter a valid NHS number (the check digit does not match)")
        return None
    return value


def _parsed(errors: FieldErrors, raw: dict, field: str, label: str, parse: Callable[[str], T], what: str) -> T | None:
    """The field as `parse` reads it, or None: an error if it is missing or `parse` refuses it (not a real `what`)."""
    value = (raw.get(field) or "").strip()
    if not value:
        errors.add(field, f"Enter {label}")
        return None
    try:
        return parse(value)
    except ValueError:
        errors.add(field, f"{_opening(label)} must be a real {what}")
        return None


def a_date(errors: FieldErrors, raw: dict, field: str, label: str, required: bool = True) -> date | None:
    """A date as the form's date input sends it (YYYY-MM-DD)."""
    if not required and not (raw.get(field) or "").strip():
        return None
    return _parsed(errors, raw, field, label, date.fromisoformat, "date")


def past_date(errors: FieldErrors, raw: dict, field: str, label: str, today: date) -> date | None:
    parsed = _parsed(errors, raw, field, label, date.fromisoformat, "date")
    if parsed is None:
        return None
    if parsed > today:
        errors.add(field, f"{_opening(label)} must be today or in the past")
    elif parsed.year < today.year - 125:
        errors.add(field, f"{_opening(label)} must be within the last 125 years")
    return parsed


def past_local_datetime(errors: FieldErrors, raw: dict, field: str, label: str,
                        now: datetime) -> datetime | None:
    """A Europe/London wall-clock time ('YYYY-MM-DD HH:MM' or ISO), returned as aware UTC."""
    parsed = _parsed(errors, raw, field, label, datetime.fromisoformat, "date and time")
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    if parsed > now:
        errors.add(field, f"{_opening(label)} must be in the past")
    return parsed.astimezone(now.tzinfo)


def postcode(errors: FieldErrors, raw: dict, field: str = "postcode") -> str | None:
    value = re.sub(r"\s+", "", (raw.get(field) or "").upper())
    if not value:
        return None
    if len(value) > 7 or not _POSTCODE.match(value):
        errors.add(field, "Enter a full UK postcode, like LS1 4AP")
        return None
    return f"{value[:-3]} {value[-3:]}"


def integer_in(errors: FieldErrors, raw: dict, field: str, label: str, low: int, high: int) -> int | None:
    value = (raw.get(field) or "").strip()
    if not value:
        return None
    # isascii: str.isdigit() accepts '²' and other digits that int() refuses
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        errors.add(field, f"{_opening(label)} must be a whole number from {low} to {high}")
        return None
    return int(value)
