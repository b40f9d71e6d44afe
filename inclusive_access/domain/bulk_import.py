"""Bulk referral import: every row checked by the intake rules; all-or-nothing unless told otherwise."""
import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import intake
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput
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
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput({"header": f"missing columns: {', '.join(missing)}"})
        return list(reader.fieldnames), [(reader.line_num, row) for row in reader]


def import_referrals(session: Session, actor: Actor, rows: Iterable[tuple[int, dict]], skip_invalid: bool,
                     deprivation_quintiles=(1,), progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row first; then receive the valid ones (all rows must be valid unless skip_invalid).

    A row whose external reference is already in the database was imported before and is counted,
    not duplicated, so re-running a file is safe.
    """
    report, valid, seen_refs = ImportReport(), [], set()
    rows = list(rows)
    known = set(session.scalars(select(Referral.external_ref).where(
        Referral.external_ref.in_([r.get("external_ref") for _, r in rows if r.get("external_ref")]))))
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
        intake.receive_referral(session, actor, patient, referral, deprivation_quintiles=deprivation_quintiles)
        report.imported += 1
        if progress:
            progress(done)
    return report
