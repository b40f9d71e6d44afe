"""The manager's CSV import pages: upload limits, the preview of row errors, both ways of importing with the
progress polled by htmx, the rejects file, and nobody else may import."""
import csv
import io
import re

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from inclusive_access.blueprints.imports.forms import MAX_BYTES
from inclusive_access.domain import bulk_import
from inclusive_access.models import ImportJob, Referral
from tests.blueprints.pages import shown_again
from tests.blueprints.records import count, events
from tests.conftest import ON_BOTH_DATABASES, post_form
from tests.factories import csv_text, intake_row

BAD_NHS = {"nhs_number": "1234567890"}
HTMX = {"HX-Request": "true"}


def upload(client, content: bytes, name: str = "march.csv", token: bool = True):
    # Encoded in memory: the test client spools a large body to a temporary file it never closes.
    boundary, body = encode_multipart({**({"csrf_token": client.csrf_token()} if token else {}),
                                       "file": FileStorage(io.BytesIO(content), filename=name)})
    return client.post("/imports/", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def uploaded_job(client, rows: list[dict]) -> str:
    """Upload the rows; the preview page's URL."""
    response = upload(client, csv_text(rows).encode())
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def run_the_import(client, job_url: str) -> list[str]:
    """Poll as the page's htmx does until the fragment stops asking; the progress text after each step."""
    seen = []
    fragment = client.get(job_url).get_data(as_text=True)
    while 'hx-trigger="load"' in fragment:
        fragment = post_form(client, f"{job_url}/next-rows", {}, headers=HTMX).get_data(as_text=True)
        seen.append(re.search(r'id="import-progress-text">([^<]*)<', fragment).group(1))
    return seen


@pytest.fixture
def manager(login_as, app):
    app.config["IMPORT_CHUNK_ROWS"] = 2
    return login_as("manager")


#: case -> (file content, message): one of the form's rules, which also shows the request limit lets such a file
#: reach the form, and one of the domain's (tests/blueprints/test_form_rules.py and tests/domain/test_import_jobs.py
#: have the rest)
BAD_FILE = {
    "over 5 MB": (b"x" * (MAX_BYTES + 1), "The selected file must be smaller than 5 MB"),
    "not UTF-8": ("caf\N{LATIN SMALL LETTER E WITH ACUTE}".encode("latin-1"),
                  "The selected file must be a CSV file saved as UTF-8"),
}


@ON_BOTH_DATABASES
@pytest.mark.parametrize("case", BAD_FILE)
def test_a_file_that_cannot_be_imported_is_refused_with_the_reason(app, client, manager, case):
    content, message = BAD_FILE[case]
    shown_again(upload(client, content), "file", message)
    assert count(app, ImportJob) == 0


def test_the_preview_lists_each_row_error_and_imports_nothing(app, client, manager):
    job_url = uploaded_job(client, [intake_row(), intake_row(**BAD_NHS), intake_row(family_name="")])
    page = client.get(job_url).get_data(as_text=True)

    assert "Check the import of march.csv" in page
    assert re.search(r"Valid rows, ready to import\s*</dt>\s*<dd[^>]*>\s*1\s*<", page)
    assert re.search(r"Rows with errors\s*</dt>\s*<dd[^>]*>\s*2\s*<", page)
    cells = re.findall(r'aria-hidden="true">(Row|Column|Error) </span><div class="app-table-value">([^<]*)<', page)
    assert cells == [("Row", "3"), ("Column", "nhs_number"),
                     ("Error", "Enter a valid NHS number (the check digit does not match)"),
                     ("Row", "4"), ("Column", "family_name"), ("Error", "Enter the family name")]
    assert count(app, Referral) == 0


def test_all_or_nothing_is_refused_while_any_row_has_an_error(app, client, manager):
    job_url = uploaded_job(client, [intake_row(), intake_row(**BAD_NHS)])
    response = post_form(client, f"{job_url}/confirm", {"mode": "all_or_nothing"}, follow_redirects=True)

    assert "Nothing was imported: 1 rows have errors" in response.get_data(as_text=True)
    assert count(app, Referral) == 0
    assert [e.action for e in events(app) if e.action.startswith("import.")] == ["import.staged", "import.refused"]


def test_all_or_nothing_imports_every_row_with_its_progress_on_the_page(app, client, manager):
    job_url = uploaded_job(client, [intake_row() for _ in range(5)])
    post_form(client, f"{job_url}/confirm", {"mode": "all_or_nothing"})

    page = client.get(job_url).get_data(as_text=True)
    assert '<progress id="import-progress-bar" class="app-progress" max="100" value="0">' in page
    assert 'role="status"' in page
    assert run_the_import(client, job_url) == ["2 of 5 rows (40%)", "4 of 5 rows (80%)", "5 of 5 rows (100%)"]
    finished = client.get(job_url).get_data(as_text=True)
    assert 'max="100" value="100"' in finished
    assert "Import finished" in finished
    assert count(app, Referral) == 5


def test_the_live_region_speaks_once_a_tenth_and_at_the_end(client, manager):
    job_url = uploaded_job(client, [intake_row() for _ in range(3)])
    post_form(client, f"{job_url}/confirm", {"mode": "all_or_nothing"})
    first = post_form(client, f"{job_url}/next-rows", {}, headers=HTMX).get_data(as_text=True)
    last = post_form(client, f"{job_url}/next-rows", {}, headers=HTMX).get_data(as_text=True)

    assert '<div id="import-announce" hx-swap-oob="innerHTML">66% imported</div>' in first
    assert '<div id="import-announce" hx-swap-oob="innerHTML">Import finished: 3 referrals imported</div>' in last


def test_importing_the_valid_rows_offers_the_rejects_as_a_spreadsheet_safe_csv(app, client, manager):
    rows = [intake_row(), intake_row(reason="=HYPERLINK(\"http://evil\")", **BAD_NHS), intake_row()]
    job_url = uploaded_job(client, rows)
    post_form(client, f"{job_url}/confirm", {"mode": "valid_rows"})
    run_the_import(client, job_url)

    response = client.get(f"{job_url}/rejects")
    assert response.headers["Content-Disposition"] == 'attachment; filename="march.rejects.csv"'
    rejects = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["line"], r["external_ref"], r["rejection_reason"]) for r in rejects] == [
        ("3", rows[1]["external_ref"], "nhs_number: Enter a valid NHS number (the check digit does not match)")]
    assert rejects[0]["reason"] == "'=HYPERLINK(\"http://evil\")"
    assert set(bulk_import.COLUMNS) <= set(rejects[0])
    assert count(app, Referral) == 2
    downloaded = events(app, "import.rejects_downloaded")
    assert len(downloaded) == 1


def test_confirming_twice_imports_once(app, client, manager):
    job_url = uploaded_job(client, [intake_row(), intake_row()])
    first = post_form(client, f"{job_url}/confirm", {"mode": "valid_rows"})
    again = post_form(client, f"{job_url}/confirm", {"mode": "valid_rows"})
    run_the_import(client, job_url)
    late = post_form(client, f"{job_url}/confirm", {"mode": "all_or_nothing"})

    assert (first.status_code, again.status_code, late.status_code) == (303, 303, 303)
    assert count(app, Referral) == 2
    assert len(events(app, "import.started")) == len(events(app, "import.completed")) == 1


def test_choosing_no_mode_asks_for_one(app, client, manager):
    job_url = uploaded_job(client, [intake_row()])
    shown_again(post_form(client, f"{job_url}/confirm", {}), "mode", "Choose how to import")
    assert [e.action for e in events(app) if e.action.startswith("import.")] == ["import.staged"]


def test_an_upload_without_the_csrf_token_is_refused(app, client, manager):
    response = upload(client, csv_text([intake_row()]).encode(), token=False)
    assert response.status_code == 400
    assert count(app, ImportJob) == 0


def test_the_manager_finds_the_import_in_the_navigation(client, manager):
    assert 'href="/imports/"' in client.get("/admin/users").get_data(as_text=True)


@pytest.mark.parametrize("role", ["booking", "clinician", "senior", "auditor"])
def test_only_the_manager_may_import(app, client, login_as, role):
    login_as(role)
    assert client.get("/imports/").status_code == 403
    assert upload(client, csv_text([intake_row()]).encode()).status_code == 403
    assert 'href="/imports/"' not in client.get("/referrals/list").get_data(as_text=True)
    assert count(app, ImportJob) == 0
