"""Bulk referral import: every row checked by the intake rules; all-or-nothing unless told otherwise."""
import csv
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import intake, states
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.models import Pathway, Patient, Referral

COLUMNS = tuple(f for f in intake.PATIENT_FIELDS) + intake.REFERRAL_FIELDS
#: an optional column: a row for a patient with an open referral on its pathway is refused unless this says why
DUPLICATE_REASON = "duplicate_reason"


@dataclass
class ImportReport:
    imported: int = 0
    already_present: int = 0
    #: (line number in the file, the row as read, reason)
    rejected: list[tuple[int, dict, str]] = field(default_factory=list)
    #: line number -> {column: message}: each rejected row's reason by column, for a table of row errors
    errors: dict[int, dict[str, str]] = field(default_factory=dict)

    def reject(self, line: int, row: dict, errors: dict[str, str]) -> None:
        self.rejected.append((line, row, describe(errors)))
        self.errors[line] = errors


def describe(errors: dict[str, str]) -> str:
    """A rejected row's reason as one line of text: "column: message; column: message"."""
    return "; ".join(f"{column}: {message}" for column, message in errors.items())


def read_rows(path) -> tuple[list[str], list[tuple[int, dict]]]:
    """Rows with their line numbers (the header is line 1). Raises InvalidInput on a bad header."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return read_csv(handle, os.path.getsize(path))


def read_csv(handle: TextIO, size: int) -> tuple[list[str], list[tuple[int, dict]]]:
    """read_rows for an open text stream of `size` bytes (an upload): UnicodeDecodeError or csv.Error if unreadable."""
    # csv refuses fields over 128 KiB, failing the whole file; no field can be longer than the file,
    # so an oversized one reaches the row checks and is rejected with its line number instead.
    csv.field_size_limit(max(csv.field_size_limit(), size))
    reader = csv.DictReader(handle)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput({"header": f"missing columns: {', '.join(missing)}"})
    rows, first_line = [], reader.line_num + 1
    for row in reader:  # a quoted field may span lines: report where the record starts
        rows.append((first_line, row))
        first_line = reader.line_num + 1
    return list(reader.fieldnames), rows


def _already_imported(session: Session, refs: set[str], batch: int = 1000) -> set[str]:
    refs, known = sorted(refs), set()
    for start in range(0, len(refs), batch):  # bounded IN lists: PostgreSQL caps bind parameters
        known.update(session.scalars(select(Referral.external_ref).where(
            Referral.external_ref.in_(refs[start:start + batch]))))
    return known


def _open_referrals(session: Session, nhs_numbers: set[str], batch: int = 1000) -> dict[tuple[str, str], str]:
    """(NHS number, pathway code) -> which open referral the patient already has there, for the patients named."""
    numbers, found = sorted(nhs_numbers), {}
    for start in range(0, len(numbers), batch):  # bounded IN lists, as above
        for nhs, code, referral_id in session.execute(
                select(Patient.nhs_number, Pathway.code, Referral.id).join(Referral.patient).join(Referral.pathway)
                .where(Patient.nhs_number.in_(numbers[start:start + batch]),
                       Referral.state.not_in(states.CLOSED_STATES)).order_by(Referral.id)):
            found.setdefault((nhs, code), f"referral {referral_id}")
    return found


def _refuse_open_pathways(session: Session, parsed: list, report: ImportReport) -> list:
    """The rows the intake form's open-referral rule allows, each with its reason from the optional column.

    A patient already open on the row's pathway, in the database or on an earlier row of the file, needs a reason.
    """
    open_now = _open_referrals(session, {patient.nhs_number for _line, _row, patient, _referral in parsed})
    allowed = []
    for line, row, patient, referral in parsed:
        key = (patient.nhs_number, referral.pathway_code)
        reason = None
        if key in open_now:
            try:
                reason = intake.parse_duplicate_reason(row.get(DUPLICATE_REASON))
            except InvalidInput as exc:
                report.reject(line, row, exc.errors)
                continue
            if not reason:
                report.reject(line, row, {"pathway": "This patient already has an open referral on this pathway "
                                                     f"({open_now[key]}); give a {DUPLICATE_REASON} to add another"})
                continue
        open_now.setdefault(key, f"line {line} of this file")
        allowed.append((line, patient, referral, reason))
    return allowed


def check_rows(session: Session, rows: Iterable[tuple[int, dict]]) -> tuple[list, ImportReport]:
    """Every rule of an import without writing: the rows that may be received, as (line, patient, referral,
    duplicate reason), and a report of the rows already imported (by external reference) and the rows refused.

    A row whose external reference is already in the database was imported before and is counted,
    not duplicated, so re-running a file is safe. A row for a patient with an open referral on its pathway
    is refused unless its optional duplicate_reason column says why another is needed.
    """
    report, parsed, seen_refs = ImportReport(), [], set()
    rows = list(rows)
    known = _already_imported(session, {(r.get("external_ref") or "").strip() for _, r in rows} - {""})
    for line, row in rows:
        ref = (row.get("external_ref") or "").strip()
        if ref in known:
            report.already_present += 1
            continue
        if not ref:
            report.reject(line, row, {"external_ref": "Enter the external reference"})
            continue
        if ref in seen_refs:
            report.reject(line, row, {"external_ref": f"'{ref[:64]}' appears twice in this file"})
            continue
        seen_refs.add(ref)
        try:
            parsed.append((line, row, *intake.parse_intake(session, row)))
        except InvalidInput as exc:
            report.reject(line, row, exc.errors)
    valid = _refuse_open_pathways(session, parsed, report)
    report.rejected.sort(key=lambda rejected: rejected[0])
    return valid, report


def import_referrals(session: Session, actor: Actor, rows: Iterable[tuple[int, dict]], skip_invalid: bool,
                     policy: Policy = DEFAULT_POLICY, progress: Callable[[int], None] | None = None) -> ImportReport:
    """Check every row first (check_rows); then receive the valid ones (all rows must be valid unless skip_invalid)."""
    valid, report = check_rows(session, rows)
    if report.rejected and not skip_invalid:
        return report
    for done, (_line, patient, referral, reason) in enumerate(valid, start=1):
        intake.receive_referral(session, actor, patient, referral, policy=policy, duplicate_reason=reason)
        report.imported += 1
        if progress:
            progress(done)
    return report
