"""What each simulated user of bench/load.py does: one signed-in browser (its own cookies and CSRF token) and the
pages and saves of its role, each step timed and recorded under a page name."""
# ruff: noqa: S311 - seeded choices of what to click, not secrets
import http.cookiejar
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

#: the bare signed-in endpoint: `/` only resumes the session, checks the role and redirects to the role's home, so it
#: costs what every signed-in request costs before its own work (session lookup, guard, headers, upkeep)
BARE = "bare: / (signed-in redirect)"
#: answers that are the page working: 200 a page, 204 a refresh of an unchanged worklist, 302 the bare redirect;
#: a save is 303 alone (the triage script shows its errors with 200). 409 is a save that lost a race for the same
#: record (another user changed it first), counted apart from errors
PAGE_OK, SAVE_OK = {200, 204, 302}, {303}
CONFLICT = 409
#: a complete booking script (no interpreter, no travel barrier), as tests/blueprints/records.py's SCRIPT_FORM
SCRIPT = {"contact_method": "telephone", "contact_times": "Mornings", "safe_to_leave_message": "yes",
          "interpreter_needed": "no", "language": "", "communication_needs": "", "mobility": "none",
          "caring_or_work": "", "digital_access": "phone_only"}
LONDON = ZoneInfo("Europe/London")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


@dataclass
class Sample:
    page: str
    started: float
    ms: float
    status: int
    ok: bool
    #: sent as X-Request-ID, which the app logs with its own time for the request (inclusive_access/observability.py)
    request_id: str


@dataclass
class Client:
    """One simulated user: its own cookie jar, so its own session and CSRF token, and the ids it has seen."""
    base_url: str
    role: str
    rng: random.Random
    record: callable
    seen: dict[str, list[str]] = field(default_factory=dict)
    #: page name -> the last URL fetched under it, and whether as an htmx fragment (the solo phase replays it)
    last_url: dict[str, tuple[str, bool]] = field(default_factory=dict)
    #: worklist path -> the fingerprint its last answer carried, which its minute refresh sends back
    fingerprints: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects)

    def fetch(self, path: str, data: dict | None = None, headers: dict | None = None,
              request_id: str = "") -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        headers = {**(headers or {}), **({"X-Request-ID": request_id} if request_id else {})}
        request = urllib.request.Request(self.base_url + path, body, headers)  # noqa: S310 - http(s) only
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except OSError:  # refused or reset: counted as status 0
            return 0, ""

    def get(self, page: str, path: str, fragment: bool = False) -> str:
        """GET `path`, timed under `page`; its body ("" unless 200), with the ids its links name remembered."""
        started, request_id = time.perf_counter(), f"load-{uuid.uuid4().hex}"
        status, body = self.fetch(path, headers={"HX-Request": "true"} if fragment else None, request_id=request_id)
        self.record(Sample(page, started, (time.perf_counter() - started) * 1000, status, status in PAGE_OK,
                           request_id))
        self.last_url[page] = path, fragment
        if status != 200:
            return ""
        fingerprint = FINGERPRINT.search(body)
        if fingerprint:
            self.fingerprints[path.split("?")[0]] = fingerprint.group(1)
        for kind, pattern in LINKS.items():
            found = pattern.findall(body)
            if found:
                self.seen[kind] = found
        return body

    def post(self, page: str, path: str, data: dict) -> int:
        started, request_id = time.perf_counter(), f"load-{uuid.uuid4().hex}"
        status, _body = self.fetch(path, data, request_id=request_id)
        self.record(Sample(page, started, (time.perf_counter() - started) * 1000, status, status in SAVE_OK,
                           request_id))
        return status

    def pick(self, kind: str) -> str | None:
        return self.rng.choice(self.seen[kind]) if self.seen.get(kind) else None

    def sign_in(self, username: str, password: str) -> bool:
        """Whether the sign-in form took the password (303); not timed: the ramp is not measured."""
        status, body = self.fetch("/auth/login")
        fields = hidden_fields(body) if status == 200 else {}
        status, _body = self.fetch("/auth/login", {**fields, "username": username, "password": password})
        return status == 303

    def step(self) -> None:
        """One thing this role does next, by its weights; a step with nothing to work on falls back to its list."""
        names, weights = zip(*STEPS[self.role].items(), strict=True)
        STEP_FUNCTIONS[self.rng.choices(names, weights)[0]](self)

    def bare(self) -> None:
        self.get(BARE, "/")


#: the ids a page's links name, by kind (the worklists link each row to its record)
LINKS = {kind: re.compile(pattern) for kind, pattern in {
    "referral": r'href="/referrals/(\d+)"', "triage": r'href="/triage/referrals/(\d+)"',
    "check": r'href="/barrier-checks/(\d+)"', "patient": r'href="/patients/(\d+)"',
    "review": r'href="/discharge/reviews/(\d+)"'}.items()}


#: the worklist fragment's fingerprint (components/worklist.html)
FINGERPRINT = re.compile(r'name="seen" value="([^"]*)" id="worklist-seen"')


def hidden_fields(body: str) -> dict:
    """The page's CSRF token (htmx's header, which every signed-in page carries) and its forms' hidden fields
    (version, one-time submission token), as the browser would post them."""
    token = re.search(r'"X-CSRFToken": "([^"]+)"', body)
    fields = {"csrf_token": token.group(1)} if token else {}
    for tag in re.findall(r'<input\b[^>]*type="hidden"[^>]*>', body):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) not in fields:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def triage_worklist(c: Client) -> None:
    c.get("triage worklist", "/triage/")


def triage_refresh(c: Client) -> None:
    """The worklist's own htmx request every minute while it is open, naming the answer it shows: 204 if unchanged."""
    seen = c.fingerprints.get("/triage/")
    c.get("triage worklist (minute refresh)", f"/triage/?seen={seen}" if seen else "/triage/", fragment=True)


def clarifications(c: Client) -> None:
    c.get("clarifications worklist", "/clarifications/")


def contact_problems(c: Client) -> None:
    c.get("contact problems", "/contact-problems/")


def referral_page(c: Client) -> None:
    referral = c.pick("referral")
    if referral is None:
        return triage_worklist(c)
    c.get("referral page", f"/referrals/{referral}")


def patient_page(c: Client) -> None:
    patient = c.pick("patient")
    if patient is None:
        return barrier_worklist(c)
    c.get("patient page", f"/patients/{patient}")


def triage(c: Client) -> None:
    """Open a referral's booking script from the worklist and accept it: a real triage (409 when another user
    triaged it first). With nothing left to triage, the worklist is all there is to do."""
    body = c.get("triage worklist", "/triage/")
    # a referral escalated to senior triage is a senior's to accept: booking leaves it
    found = [LINKS["triage"].search(row).group(1) for row in body.split("<tr")[1:]
             if LINKS["triage"].search(row) and "Senior triage" not in row]
    if not found:
        return
    referral = c.rng.choice(found)
    page = c.get("triage script", f"/triage/referrals/{referral}")
    if 'name="version"' in page:  # no form: triaged by someone else since the worklist was read
        c.post("triage script: accept (POST)", f"/triage/referrals/{referral}",
               {**hidden_fields(page), **SCRIPT, "outcome": "accept"})


def book(c: Client) -> None:
    """Book the first appointment of an accepted referral, a week ahead at 10:00 on a weekday."""
    body = c.get("referral list: accepted", "/referrals/list?state=accepted")
    found = LINKS["referral"].findall(body)
    if not found:
        return
    referral = c.rng.choice(found)
    page = c.get("booking page", f"/appointments/referrals/{referral}")
    if 'name="submission_token"' in page:  # the booking form is offered
        day = datetime.now(UTC).astimezone(LONDON).date() + timedelta(days=7)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        c.post("booking page: book (POST)", f"/appointments/referrals/{referral}",
               {**hidden_fields(page), "starts_at": f"{day.isoformat()}T10:00", "format": "telephone",
                "place": "", "duration_minutes": "30", "notes": ""})


def barrier_worklist(c: Client) -> None:
    c.get("barrier checks worklist", "/barrier-checks/")


def barrier_check(c: Client) -> None:
    """Open a barrier check from the worklist and log an unanswered call on it (its own one-time token)."""
    check = c.pick("check")
    if check is None:
        return barrier_worklist(c)
    page = c.get("barrier check", f"/barrier-checks/{check}")
    if page and c.rng.random() < 0.5:
        c.post("barrier check: log attempt (POST)", f"/barrier-checks/{check}/attempts",
               {**hidden_fields(page), "method": "telephone", "reached": "no", "note": ""})


def review_queue(c: Client) -> None:
    c.get("senior review list", "/discharge/reviews")


def review(c: Client) -> None:
    found = c.pick("review")
    if found is None:
        return review_queue(c)
    c.get("senior review", f"/discharge/reviews/{found}")


def dashboard(c: Client) -> None:
    c.get("equity dashboard", "/reports/equity")


def dashboard_fragment(c: Client) -> None:
    """A selector changed: htmx asks for the dashboard's fragment for another pathway."""
    c.get("equity dashboard (fragment)", "/reports/equity?pathway=" + c.rng.choice(["", "msk", "frailty"]),
          fragment=True)


def outcomes(c: Client) -> None:
    c.get("equity: outcomes", "/reports/equity/outcomes")


def reach(c: Client) -> None:
    c.get("equity: reach", "/reports/equity/reach")


STEP_FUNCTIONS = {f.__name__: f for f in (
    triage_worklist, triage_refresh, clarifications, contact_problems, referral_page, triage, book, patient_page,
    barrier_worklist, barrier_check, review_queue, review, dashboard, dashboard_fragment, outcomes, reach)}
#: role -> step -> weight: what a user of the role does next. Clinicians' attendance outcomes are not recorded: an
#: outcome needs an appointment that has started and has none yet, which the demo data does not have (read-only in
#: this first version; their writes are barrier check attempts).
STEPS = {
    "booking": {"triage_worklist": 25, "triage_refresh": 15, "clarifications": 12, "contact_problems": 8,
                "referral_page": 25, "triage": 8, "book": 7},
    "clinician": {"barrier_worklist": 30, "barrier_check": 25, "patient_page": 20, "referral_page": 15,
                  "triage_refresh": 10},
    "senior": {"review_queue": 60, "review": 25, "referral_page": 15},
    "manager": {"dashboard": 40, "dashboard_fragment": 30, "outcomes": 15, "reach": 15},
}
