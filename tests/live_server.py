"""Signed-in browsers for requests that truly overlap, against tests.serving's real server."""
import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import PASSWORD


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


class Browser:
    """One browser's cookies (its signed-in session), shared by every thread that posts with it."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirects)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, dict]:
        """GET, or POST `data` as a form; (status, body, headers), redirects not followed."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, body, timeout=60) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), dict(error.headers)

    def form(self, path: str) -> dict:
        """The hidden fields of the page at `path` (CSRF, one-time token, version), as its forms would post them."""
        status, body, _headers = self.request(path)
        assert status == 200, (path, status, body[:300])
        fields = {"csrf_token": re.search(r'"X-CSRFToken": "([^"]+)"', body).group(1)}
        for tag in re.findall(r'<input\b[^>]*type="hidden"[^>]*>', body):
            name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
            if name and name.group(1) != "csrf_token":
                fields[name.group(1)] = value.group(1) if value else ""
        return fields

    def sign_in(self, username: str, password: str = PASSWORD) -> "Browser":
        status, _body, _headers = self.request("/auth/login", {**self.form("/auth/login"), "username": username,
                                                               "password": password})
        assert status == 303, status
        return self


def at_once(times: int, send: Callable[[], tuple]) -> list:
    """Call `send` from `times` threads released together; the results, in no particular order."""
    start = threading.Barrier(times)

    def one(_i):
        start.wait()
        return send()

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(one, range(times)))
