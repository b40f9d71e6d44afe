"""Bulk referral import: every row checked by the intake rules; all-or-nothing unless told otherwise."""
import csv
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import intake
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.models import Referral

COLUMNS = tuple(f for f in intake.PATIENT_FIELDS) + intake.REFERRAL_FIELDS


@dataclass
class ImportReport:
    imported: int = 0
    already_present: int = 0
    #: (line number in the file, the row as read, reason)
    rejected: list[tuple[int, dict, str]] = field(default_factory=list)


def read_rows(path) -> tuple[list[str], list[tuple[int, dict]]]:
    """Rows with their line numbers (the header is line 1). Raises InvalidInput on a bad header."""
    # csv refuses fields over 128 KiB, failing the whole file; no field can be longer than the file,
    # so an oversized one reaches the row checks and is rejected with its line number instead.
    csv.field_size_limit(max(csv.field_size_limit(), os.path.getsize(path)))
    with open(path, newline="", encoding="utf-8-sig") as handle:
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


def import_referrals(session: Session, actor: Actor, rows: Iterable[tuple[int, dict]], skip_invalid: bool,
                     policy: Policy = DEFAULT_POLICY, progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row first; then receive the valid ones (all rows must be valid unless skip_invalid).

    A row whose external reference is already in the database was imported before and is counted,
    not duplicated, so re-running a file is safe.
    """
    report, valid, seen_refs = ImportReport(), [], set()
    rows = list(rows)
    known = _already_imported(session, {(r.get("external_ref") or "").strip() for _, r in rows} - {""})
    for line, row in rows:
        ref = (row.get("external_ref") or "").strip()
        if ref in known:
            report.already_present += 1
            continue
        if not ref:
            report.rejected.append((line, row, "external_ref: Enter the external reference"))
            continue
        if ref in seen_refs:
            report.rejected.append((line, row, f"external_ref: '{ref[:64]}' appears twice in this file"))
            continue
        seen_refs.add(ref)
        try:
            valid.append(intake.parse_intake(session, row))
        except InvalidInput as exc:
            report.rejected.append((line, row, "; ".join(f"{k}: {v}" for k, v in exc.errors.items())))
    if report.rejected and not skip_invalid:
        return report
    for done, (patient, referral) in enumerate(valid, start=1):
        intake.receive_referral(session, actor, patient, referral, policy=policy)
        report.imported += 1
        if progress:
            progress(done)
    return report
