"""Organisations by ODS code: loading the published ODS files (`flask ods load`), and finding one for an intake."""
import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, name_keys
from inclusive_access.domain import validation as v
from inclusive_access.domain.access import MANAGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.models import Organisation
from inclusive_access.models.organisations import KINDS

#: ODS codes are letters and digits: 3 for a trust, 5 for its sites, 6 for a GP practice, a few longer
ODS_CODE = re.compile(r"^[A-Z0-9]{3,10}$")
#: the ODS "standard" CSV layout (epraccur, etr, ets, ...): no header; these columns, counted from 0, are the same in
#: every file of it
CODE, NAME, POSTCODE, OPENED, CLOSED = 0, 1, 9, 10, 11
SEARCH_LIMIT = 10


@dataclass(frozen=True)
class OdsRow:
    code: str
    name: str
    postcode: str | None
    opened_on: date | None
    closed_on: date | None


@dataclass
class LoadReport:
    added: int = 0
    updated: int = 0
    #: (line, what is wrong): rows left out, the rest loaded
    problems: list[tuple[int, str]] = field(default_factory=list)


def _date(text: str) -> date | None:
    return datetime.strptime(text, "%Y%m%d").date() if text.strip() else None  # noqa: DTZ007 - a day, no time


def read_ods_csv(lines: Iterable[str], report: LoadReport) -> list[OdsRow]:
    """The rows of an ODS standard CSV file; a row that cannot be read is left out and noted in `report`."""
    rows = []
    for line, record in enumerate(csv.reader(lines), 1):
        if len(record) <= CLOSED:
            report.problems.append((line, f"has {len(record)} columns: an ODS standard file has at least 12"))
            continue
        code, name = record[CODE].strip().upper(), record[NAME].strip()
        if not ODS_CODE.match(code) or not name:
            report.problems.append((line, f"'{code[:12]}' is not an ODS code with a name"))
            continue
        try:
            opened, closed = _date(record[OPENED]), _date(record[CLOSED])
        except ValueError:
            report.problems.append((line, "an open or close date is not YYYYMMDD"))
            continue
        rows.append(OdsRow(code, name[:200], record[POSTCODE].strip().upper()[:8] or None, opened, closed))
    return rows


def load(session: Session, actor: Actor, rows: list[OdsRow], kind: str, file_name: str, report: LoadReport,
         now: datetime | None = None) -> LoadReport:
    """Add the organisations not yet known and bring the others up to date with the file (a later row of one code
    wins). A service manager's job, or the CLI's."""
    require_role(actor, MANAGEMENT, allow_system=True)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    now = now or datetime.now(UTC)
    latest = {row.code: {"ods_code": row.code, "name": row.name, "name_key": name_keys.fold(row.name)[:200],
                         "kind": kind, "postcode": row.postcode, "opened_on": row.opened_on,
                         "closed_on": row.closed_on, "loaded_at": now} for row in rows}
    known = set(session.scalars(select(Organisation.ods_code)))
    added = [values for code, values in latest.items() if code not in known]
    changed = [values for code, values in latest.items() if code in known]
    if added:
        session.execute(insert(Organisation), added)
    if changed:
        session.execute(update(Organisation), changed)
    report.added, report.updated = len(added), len(changed)
    events.record(session, actor, actions.ODS_LOADED, "organisations", now=now, data={
        "file_name": file_name, "kind": kind, "added": report.added, "updated": report.updated,
        "left_out": len(report.problems)})
    session.flush()
    return report


def find(session: Session, code: str) -> Organisation | None:
    return session.get(Organisation, code.strip().upper())


def parse_code(errors: v.FieldErrors, raw: dict, field: str) -> str | None:
    """An optional ODS code as typed, in capitals."""
    code = v.text(errors, raw, field, "the ODS code", 10, required=False)
    if code and not ODS_CODE.match(code.upper()):
        errors.add(field, "The ODS code must be letters and numbers only, like A81001")
    return code.upper() if code else None


def known_name(session: Session, code: str, errors: v.FieldErrors, field: str) -> str | None:
    """The name of the organisation with this code; an unknown code is an error (a typo would otherwise be kept as
    the referrer's identity)."""
    organisation = find(session, code)
    if organisation is None:
        errors.add(field, f"No organisation has the ODS code {code}: check it, or leave it blank and enter the "
                          "organisation's name")
        return None
    return organisation.name


def search(session: Session, term: str) -> list[Organisation]:
    """Open organisations whose code starts with, or whose name contains, what was typed (a few thousand practices:
    the name scan is cheap)."""
    folded = name_keys.fold(term)
    if len(folded) < 2:
        return []
    return list(session.scalars(
        select(Organisation).where(Organisation.closed_on.is_(None),
                                   Organisation.ods_code.startswith(term.strip().upper(), autoescape=True)
                                   | Organisation.name_key.contains(folded, autoescape=True))
        .order_by(Organisation.name).limit(SEARCH_LIMIT)))
