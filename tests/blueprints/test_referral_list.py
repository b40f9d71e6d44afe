"""The referral list and a user's access log, paged by keyset: "Next" and "Previous" carry the key of the row a page
starts from and keep the filters; a key that is not one of ours shows the first page, never an error."""
import html
import re

import pytest

from inclusive_access.domain import audit_log, listing, records
from inclusive_access.extensions import db
from tests.blueprints.pages import open_page
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import make_referral, staff

#: (given name, pathway, received), newest last
REFERRALS = [("Alpha", "msk", "2026-03-01 09:00"), ("Bravo", "frailty", "2026-03-02 09:00"),
             ("Charlie", "msk", "2026-03-03 09:00"), ("Delta", "msk", "2026-03-03 09:00"),
             ("Echo", "frailty", "2026-03-04 09:00"), ("Foxtrot", "msk", "2026-03-05 09:00"),
             ("Golf", "msk", "2026-03-06 09:00")]
NAMES = re.compile(r">(" + "|".join(name for name, _, _ in REFERRALS) + r") SAMPLETON<", re.I)


@pytest.fixture
def listed(app, monkeypatch):
    monkeypatch.setattr(listing, "PER_PAGE", 2)
    with app.app_context():
        for name, pathway, at in REFERRALS:
            make_referral(db.session, given_name=name, family_name="Sampleton", pathway=pathway, received_at=at)
        db.session.commit()


def names(body: str) -> list[str]:
    return [name.capitalize() for name in NAMES.findall(body)]


def link(body: str, key: str) -> str | None:
    """The address of the page's "Previous" (key "before") or "Next" (key "after") link."""
    found = re.search(rf'href="([^"]*[?&;]{key}=[^"]*)"', body)
    return html.unescape(found.group(1)) if found else None


def test_next_and_previous_walk_the_list_newest_first_keeping_the_filter(client, login_as, listed):
    login_as("booking")
    first = open_page(client, "/referrals/list?pathway=msk")
    assert names(first) == ["Golf", "Foxtrot"]
    assert "5 referrals found" in first
    assert link(first, "before") is None, "the first page has no previous page"
    second = open_page(client, link(first, "after"))
    assert "pathway=msk" in link(first, "after"), "the next page keeps the filter"
    assert names(second) == ["Delta", "Charlie"], "the same instant: the later referral first"
    last = open_page(client, link(second, "after"))
    assert names(last) == ["Alpha"]
    assert link(last, "after") is None, "the last page has no next page"
    back = open_page(client, link(last, "before"))
    assert names(back) == ["Delta", "Charlie"]
    assert "pathway=msk" in link(last, "before")
    assert names(open_page(client, link(back, "before"))) == ["Golf", "Foxtrot"]


def test_pages_come_as_fragments_to_htmx_with_their_links(client, login_as, listed):
    login_as("booking")
    fragment = open_page(client, "/referrals/list?flagged=no", headers={"HX-Request": "true"})
    assert "<h1>" not in fragment
    assert "nhsuk-pagination" in fragment
    assert "flagged=no" in link(fragment, "after")


@pytest.mark.parametrize("query", [
    "after=garbage", "before=garbage", "after=2026-03-04T09:00:00.000000Z~99999999999999999999",
    "before=2026-99-04T09:00:00.000000Z~3", "after=2000-01-01T00:00:00.000000Z~1", "page=2",
    "after=2026-03-04T09:00:00.000000Z~0&before=x"])
def test_a_key_that_is_not_one_of_ours_shows_the_first_page(client, login_as, listed, query):
    login_as("booking")
    assert names(open_page(client, f"/referrals/list?{query}")) == ["Golf", "Foxtrot"]


def test_more_referrals_than_the_count_reads_say_more_than(client, login_as, listed, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_BOUND", 3)
    login_as("booking")
    assert "More than 3 referrals found" in open_page(client, "/referrals/list")
    assert "2 referrals found" in open_page(client, "/referrals/list?pathway=frailty")


@ON_BOTH_DATABASES
def test_a_users_access_log_pages_by_next_and_previous_within_the_period(app, client, login_as, monkeypatch):
    monkeypatch.setattr(audit_log, "VIEWS_PER_PAGE", 2)
    with app.app_context():
        viewer = staff(db.session, "clinician", "busy.clinician")
        for name, pathway, at in REFERRALS:
            referral = make_referral(db.session, given_name=name, family_name="Sampleton", pathway=pathway,
                                     received_at=at)
            records.view_record(db.session, viewer, referral.patient, referral)
        db.session.commit()
    login_as("auditor")
    first = open_page(client, f"/audit/users/{viewer.user_id}/access")
    seen = [re.findall(r">(\w+) SAMPLETON<", first)]
    assert link(first, "before") is None
    page = first
    while link(page, "after"):
        assert "first=" in link(page, "after"), "the period is kept"
        assert "last=" in link(page, "after")
        page = open_page(client, link(page, "after"))
        seen.append(re.findall(r">(\w+) SAMPLETON<", page))
    assert seen == [["Golf", "Foxtrot"], ["Echo", "Delta"], ["Charlie", "Bravo"], ["Alpha"]]
    assert re.findall(r">(\w+) SAMPLETON<", open_page(client, link(page, "before"))) == ["Charlie", "Bravo"]
    bad = open_page(client, f"/audit/users/{viewer.user_id}/access?after=nonsense&before=2026~1")
    assert re.findall(r">(\w+) SAMPLETON<", bad) == ["Golf", "Foxtrot"]
