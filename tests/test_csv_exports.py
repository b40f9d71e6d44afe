"""Spreadsheet formulas (H-009): free text is stored as typed, and every CSV the app writes defuses every cell."""
import csv
import importlib.util
import io
import pkgutil
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from inclusive_access import blueprints
from inclusive_access.blueprints.audit.forms import finding_form
from inclusive_access.domain import accounts, audit_findings, audit_sampling, bulk_import, clarification, governance
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.domain.audit_findings import CHECKLISTS, FindingDetails
from inclusive_access.domain.audit_sampling import SampleRequest
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.reporting import exports, periods, tables
from tests.conftest import PASSWORD
from tests.factories import make_referral, wait_gap_month

#: clinical text that starts as a formula would: "- patient reports pain" and "+2 kg" are notes, not attacks
TYPED = ['=HYPERLINK("http://example.invalid","x")', "+2 kg", "- patient reports pain", "@SUM(A1)",
         "-2+3+cmd|' /C calc'!A0"]
#: entry trims leading space, tab and CR; the import's reject file keeps the row exactly as read
RAW = [*TYPED, "\t=1+1", "\r=1+1", " =1+1"]
INTAKE_TEXT = ["given_name", "family_name", "preferred_language", "referrer_name", "referrer_organisation",
               "referrer_contact", "reason", "external_ref"]
THIS_MONTH = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")
LAST_MONTH = periods.months_back(THIS_MONTH, 2)


def runnable(cell: str) -> bool:
    """A cell a spreadsheet could run: a formula character first (after any spaces, which LibreOffice may trim), or
    a tab or CR; a number, even a negative one, is data."""
    if not re.match(r"\s*[=+\-@]|[\t\r]", cell):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def free_text_fields() -> list[tuple[type, str]]:
    """Every form field a person types text into: a text box with a length limit (usernames are identifiers)."""
    modules = [importlib.import_module(f"{blueprints.__name__}.{found.name}.forms")
               for found in pkgutil.iter_modules(blueprints.__path__) if found.ispkg
               if importlib.util.find_spec(f"{blueprints.__name__}.{found.name}.forms")]
    form_classes = [cls for module in modules for cls in vars(module).values()
                    if isinstance(cls, type) and issubclass(cls, FlaskForm) and cls.__module__ == module.__name__]
    form_classes += [finding_form(kind) for kind in CHECKLISTS]
    return [(cls, name) for cls in form_classes for name, unbound in vars(cls).items()
            if getattr(unbound, "field_class", None) in (StringField, TextAreaField) and name != "username"
            and any(isinstance(v, Length) for v in unbound.kwargs.get("validators", []))]


@pytest.mark.parametrize("value", TYPED)
def test_every_free_text_form_field_accepts_text_starting_with_a_formula_character(value):
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    fields = free_text_fields()
    assert {"concern", "rationale", "variance_explanation", "note", "display_name"} <= {n for _c, n in fields}
    refused = []
    with app.test_request_context(method="POST"):
        for cls, name in fields:
            form = cls(formdata=MultiDict({name: value}))
            if not form[name].validate(form):
                refused.append((cls.__name__, name, form[name].errors))
    assert refused == []


@pytest.fixture
def poisoned_history(app) -> int:
    """Last month in MSK, every free text starting as a formula would: staff names, intake fields, clarification
    questions, a governance plan, and a stratified audit sample's finding notes. The audit sample's id."""
    with app.app_context():
        session = db.session
        clinician, auditor, manager = (
            actor_for(accounts.create_user(session, SYSTEM, f"poison.{role}", TYPED[i], role, PASSWORD))
            for i, role in enumerate(("clinician", "auditor", "manager")))
        wait_gap_month(session, clinician, LAST_MONTH)
        item = governance.open_item(session, "msk", LAST_MONTH, 6.0, 2.0, 2.0, breach=True, special_cause=False)
        governance.record_plan(session, manager, item, item.version, governance.Plan(
            TYPED[0], TYPED[1], TYPED[2], date.today() + timedelta(days=30), THIS_MONTH))
        for value in TYPED:
            referral = make_referral(session, pathway="msk", received_at=f"{LAST_MONTH}-10 09:00",
                                     **dict.fromkeys(INTAKE_TEXT, value))
            clarification.request_clarification(session, clinician, referral, referral.version, value, "telephone",
                                                value, now=referral.received_at + timedelta(hours=1))
        sample = audit_sampling.draw_sample(session, auditor, SampleRequest(
            "clarification", LAST_MONTH, LAST_MONTH, len(TYPED), 4242, stratify_by="imd_quintile",
            allocation="proportional"))
        for record, value in zip(sample.records, TYPED, strict=True):
            audit_findings.record_finding(session, auditor, record, FindingDetails(
                dict.fromkeys(CHECKLISTS["clarification"], "compliant"), value), None)
        session.commit()
        return sample.id


def _rejects(app, runner, tmp_path: Path) -> str:
    """The reject file of an import whose every row, and a column's name, start as formulas would."""
    source = tmp_path / "poisoned.csv"
    columns = [*bulk_import.COLUMNS, RAW[-1]]
    with open(source, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        # the history has these external references already: the import would count them as present
        writer.writerows([f"{value} again" if column == "external_ref" else value for column in columns]
                         for value in RAW)
    with app.app_context():
        result = runner.invoke(args=["import-referrals", str(source), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "poisoned.rejects.csv", newline="", encoding="utf-8") as handle:
        return handle.read()


def test_no_csv_the_app_writes_has_a_cell_a_spreadsheet_could_run(app, client, runner, login_as, tmp_path,
                                                                 poisoned_history):
    login_as("auditor")
    urls = [f"/reports/equity/export?table=measures&segment={segment}&period=m:{LAST_MONTH}"
            for segment in tables.SEGMENT_LABELS]
    urls += [f"/reports/equity/export?table={table}&pathway=msk&period=m:{LAST_MONTH}"
             for table in ("cross", "kpi", "gradients", "completeness")]
    urls.append(f"/audit/samples/{poisoned_history}/summary/export")
    produced = {url: client.get(url).get_data(as_text=True) for url in urls}
    with app.app_context():
        produced["flask report export --format csv"] = runner.invoke(args=[
            "report", "export", "--from", LAST_MONTH, "--to", LAST_MONTH, "--format", "csv"]).output
    produced["import rejects"] = _rejects(app, runner, tmp_path)

    cells = {name: [cell for row in csv.reader(io.StringIO(text)) for cell in row] for name, text in produced.items()}
    assert all(len(found) > 1 for found in cells.values()), "every CSV was produced"
    assert {name: [c for c in found if runnable(c)] for name, found in cells.items()} == dict.fromkeys(cells, [])
    assert {"'" + value for value in RAW} <= set(cells["import rejects"]), "the rows as read, defused"


@pytest.mark.parametrize(("value", "written"), [
    *((value, "'" + value) for value in RAW),
    ("Knee pain", "Knee pain"), ("0113 496 0000", "0113 496 0000"), ("", ""), (None, ""),
    (-2, "-2"), (-0.5, "-0.5"),
])
def test_the_one_csv_rule_quotes_what_a_spreadsheet_would_run_and_keeps_numbers(value, written):
    assert exports.spreadsheet_safe(value) == written


def test_every_csv_the_app_writes_goes_through_the_one_writer():
    package = Path(exports.__file__).parents[1]
    writers = {path.relative_to(package).as_posix() for path in package.rglob("*.py")
               if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))}
    assert writers == {"reporting/exports.py"}
