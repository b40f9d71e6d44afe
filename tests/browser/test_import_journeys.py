"""The manager imports a referrals CSV in Chromium: upload, the preview of row errors, the import's progress bar
filled by htmx to 100%, the rejects to download; axe and CSP at phone and desktop width."""
import pytest
from playwright.sync_api import Page, expect

from tests.browser import steps
from tests.factories import csv_text, intake_row

pytestmark = pytest.mark.browser

#: every change of the progress text, recorded in the page as htmx swaps each step in
RECORD_PROGRESS = """
window.progressSeen = [];
new MutationObserver(() => {
  const text = document.getElementById("import-progress-text");
  const seen = window.progressSeen;
  if (text && seen[seen.length - 1] !== text.textContent) seen.push(text.textContent);
}).observe(document, {childList: true, subtree: true});
"""


def page_fits(page: Page, width: int, name: str) -> None:
    steps.page_is_ready(page)  # the NHS.UK header fits its menu to the width on load
    assert steps.page_width(page) <= width, f"{name} is wider than {width} px"
    steps.assert_no_accessibility_violations(page, f"{name} at {width} px")


@pytest.mark.parametrize("width", [375, 1280])
def test_a_manager_previews_a_file_and_imports_its_valid_rows_watching_the_progress(
        page: Page, live_server, manager, console_errors, tmp_path, width):
    live_server.app.config["IMPORT_CHUNK_ROWS"] = 2
    rows = [intake_row() for _ in range(6)]
    rows.insert(2, intake_row(nhs_number="1234567890", family_name=""))
    (tmp_path / "march.csv").write_text(csv_text(rows), encoding="utf-8")
    page.set_viewport_size({"width": width, "height": 900})
    page.add_init_script(RECORD_PROGRESS)

    steps.sign_in_as(page, live_server, manager)
    steps.go_to(page, "Import referrals")
    expect(page.get_by_role("heading", level=1, name="Import referrals")).to_be_visible()
    page_fits(page, width, "upload")
    page.get_by_label("Upload a CSV file").set_input_files(tmp_path / "march.csv")
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_role("heading", level=1, name="Check the import of march.csv")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Enter a valid NHS number (the check digit does not match)")
    expect(page.get_by_role("table")).to_contain_text("Enter the family name")
    page_fits(page, width, "preview")
    page.get_by_label("Import the valid rows, and download the rows with errors to fix").check()
    page.get_by_role("button", name="Import referrals").click()

    expect(page.get_by_role("heading", level=2, name="Import finished")).to_be_visible()
    progress = page.get_by_role("progressbar", name="Rows imported")
    expect(progress).to_have_attribute("value", "100")
    expect(page.get_by_role("status")).to_have_text("Import finished: 6 referrals imported")
    assert page.evaluate("window.progressSeen") == [
        "0 of 6 rows (0%)", "2 of 6 rows (33%)", "4 of 6 rows (66%)", "6 of 6 rows (100%)"]
    page_fits(page, width, "import finished")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the 1 rejected rows (CSV)").click()
    assert download.value.suggested_filename == "march.rejects.csv"
    steps.assert_no_csp_violations(console_errors)
