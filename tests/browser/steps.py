"""Steps of a browser journey in a user's words, and the checks every page passes: axe, CSP, screenshots."""
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
CSP_WORDS = ("Content Security Policy", "Refused to")
SHOTS = Path("/tmp/shots")  # noqa: S108 - screenshots for a person to look at, not secrets


def sign_in_as(page: Page, server, username: str | None = None) -> None:
    page.goto(f"{server.url}/auth/login")
    page.get_by_label("Username", exact=True).fill(username or server.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def go_to(page: Page, link_text: str) -> None:
    """Follow a link in the header navigation, once the page's scripts have run: the NHS.UK header lays its menu
    out on start (moving what does not fit under "More"), and a click just before then was twice lost in CI."""
    page_is_ready(page)
    # a worklist's link carries its count ("Triage (12)"); links that do not fit the width wait under "More"
    menu = page.get_by_role("navigation", name="Menu")
    link = menu.get_by_role("link", name=re.compile(rf"^{re.escape(link_text)}( \(\d+\))?$")).locator("visible=true")
    if not link.count():
        menu.get_by_role("button", name=re.compile("More")).click()
    link.first.click()


def page_is_ready(page: Page) -> None:
    """Wait for the scripts: htmx binds its triggers on load, and a success banner takes focus then, which
    would swallow keys sent before it. After a swap htmx binds the new content only once it settles (20 ms
    later); a key pressed before that follows the link as a full page load."""
    page.wait_for_load_state("load")
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)  # no eval: CSP forbids it


#: the screens every new page is checked on: a phone and a desktop
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def page_width(page: Page) -> int:
    """How wide the page is drawn once its scripts have run (see below): wider than the screen means scrolling
    sideways."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")


def accessibility_violations(page: Page, name: str) -> list[str]:
    """axe's report on the page, if it finds any violation. Checked once the scripts have run: until the header's
    script moves the menu items that do not fit under "More", they run off the side of a phone's screen, which axe
    rightly reports."""
    page.wait_for_load_state("load")
    results = Axe().run(page, options=AXE_OPTIONS)
    print(f"axe {name}: {results.violations_count} violations")
    return [f"{name}:\n{results.generate_report()}"] if results.violations_count else []


def assert_no_accessibility_violations(page: Page, name: str) -> None:
    assert not (found := accessibility_violations(page, name)), found[0]


def forget_the_expected_400(console_errors: list[str], url: str) -> None:
    """A form re-shown with its errors comes back as a 400, which Chromium logs as a failed load: not a fault."""
    console_errors[:] = [m for m in console_errors if not ("status of 400" in m and f"'{url}'" in m)]


def assert_no_csp_violations(console_errors: list[str]) -> None:
    csp = [m for m in console_errors if any(word in m for word in CSP_WORDS)]
    assert not csp, "\n".join(csp)
    assert not console_errors, "\n".join(console_errors)


def screenshot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def assert_the_loaded_page_is_clean(page: Page, name: str, console_errors: list[str], shot: bool = True) -> None:
    """Once loaded, the page (its screenshot taken as `name` if `shot`) has no axe violations and logged no console
    error or CSP violation, the expected 400 of a form shown again with its errors ("...-with-errors") aside."""
    page.wait_for_load_state("load")
    if shot:
        screenshot(page, name)
    assert_no_accessibility_violations(page, name)
    if name.endswith("-with-errors"):
        forget_the_expected_400(console_errors, page.url)
    assert_no_csp_violations(console_errors)
