"""Lists that grow with history, paged by keyset: the referral list and what a user viewed. Every page is read from an
index in the list's order, so the first page and the thousandth cost the same however long the history."""
from datetime import UTC, datetime, timedelta

import pytest

from inclusive_access.domain import audit_log, keyset, listing, records
from inclusive_access.domain.listing import ReferralFilters
from tests.factories import make_referral, staff
from tests.query_plans import plans_of, scans, sorts

#: (pathway, received): two pairs received in the same minute, so the id decides their order
RECEIVED = [("msk", "2026-03-01 09:00"), ("frailty", "2026-03-02 09:00"), ("msk", "2026-03-02 09:00"),
            ("msk", "2026-03-03 09:00"), ("frailty", "2026-03-04 09:00"), ("msk", "2026-03-04 09:00"),
            ("msk", "2026-03-05 09:00")]


@pytest.fixture
def referrals(db_session):
    made = [make_referral(db_session, pathway=pathway, received_at=at) for pathway, at in RECEIVED]
    db_session.commit()
    return made


def newest_first(referrals) -> list[int]:
    return [r.id for r in sorted(referrals, key=lambda r: (r.received_at, r.id), reverse=True)]


def walk(session, filters: ReferralFilters, per_page: int) -> list[listing.ReferralPage]:
    """Every page from the first, by each page's "Next" key."""
    pages = [listing.list_referrals(session, filters, per_page)]
    while pages[-1].older:
        pages.append(listing.list_referrals(session, ReferralFilters(
            filters.pathway, filters.state, filters.flagged, after=pages[-1].older), per_page))
    return pages


def test_next_walks_every_referral_once_newest_first_and_previous_walks_back(db_session, referrals):
    pages = walk(db_session, ReferralFilters(), per_page=3)
    assert [[r.id for r in p.rows] for p in pages] == [newest_first(referrals)[i:i + 3] for i in (0, 3, 6)]
    assert pages[0].newer is None, "the first page has no previous page"
    assert pages[-1].older is None, "the last page has no next page"
    back = listing.list_referrals(db_session, ReferralFilters(before=pages[2].newer), per_page=3)
    assert back.rows == pages[1].rows
    assert (back.newer, back.older) == (pages[1].newer, pages[1].older)
    top = listing.list_referrals(db_session, ReferralFilters(before=back.newer), per_page=3)
    assert top == pages[0], "previous from the second page is the first page"


def test_previous_that_reaches_the_newest_gives_a_full_first_page(db_session, referrals):
    """Referrals received since a page was opened: "Previous" from its second row shows the newest page whole."""
    second = newest_first(referrals)[1]
    key = next(keyset.Key(r.received_at, r.id) for r in referrals if r.id == second)
    page = listing.list_referrals(db_session, ReferralFilters(before=key), per_page=3)
    assert [r.id for r in page.rows] == newest_first(referrals)[:3]
    assert page.newer is None


def test_filters_hold_on_every_page(db_session, referrals):
    pages = walk(db_session, ReferralFilters(pathway="msk"), per_page=2)
    shown = [r.id for p in pages for r in p.rows]
    assert shown == newest_first([r for r in referrals if r.pathway.code == "msk"])
    assert len(pages) == 3
    assert all(p.matching == 5 for p in pages)


def test_a_next_key_past_the_oldest_referral_gives_the_first_page(db_session, referrals):
    oldest = keyset.Key(datetime(2000, 1, 1, tzinfo=UTC), 1)
    assert listing.list_referrals(db_session, ReferralFilters(after=oldest), per_page=3) == listing.list_referrals(
        db_session, ReferralFilters(), per_page=3)


def test_the_count_stops_past_its_bound(db_session, referrals, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_BOUND", 4)
    assert listing.list_referrals(db_session, ReferralFilters(), per_page=3).matching == 5, "past 4: 'more than 4'"
    assert listing.list_referrals(db_session, ReferralFilters(pathway="frailty"), per_page=3).matching == 2


@pytest.mark.parametrize("token", [
    None, "", "garbage", "~12", "2026-03-01T09:00:00.000000Z", "2026-03-01T09:00:00.000000Z~",
    "2026-03-01T09:00:00.000000Z~0", "2026-03-01T09:00:00.000000Z~-3", "2026-03-01T09:00:00.000000Z~2147483648",
    "2026-03-01T09:00:00.000000Z~\uff11", "2026-13-01T09:00:00.000000Z~5", "2026-03-01 09:00~5",
    "2026-03-01T09:00:00.000000+01:00~5", "2026-03-01T09:00:00.000000Z~5~6"])
def test_a_key_that_is_not_one_of_ours_is_no_key(token):
    assert keyset.parse(token) is None


def test_a_key_reads_back_as_itself_in_utc():
    key = keyset.Key(datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC), 42)
    assert keyset.parse(key.token()) == key
    assert key.token() == "2026-03-01T09:00:00.123456Z~42"


def test_a_users_views_are_paged_newest_first_within_the_period(db_session, referrals):
    viewer, other = staff(db_session, "clinician", "the.viewer"), staff(db_session, "booking", "other")
    for referral in referrals:
        records.view_record(db_session, viewer, referral.patient, referral)
    records.view_record(db_session, other, referrals[0].patient, referrals[0])
    db_session.commit()
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    pages = [audit_log.user_views(db_session, viewer.user_id, start, end, per_page=3)]
    while pages[-1].older:
        pages.append(audit_log.user_views(db_session, viewer.user_id, start, end, after=pages[-1].older, per_page=3))
    assert [v["referral_id"] for p in pages for v in p.rows] == [r.id for r in reversed(referrals)]
    assert [len(p.rows) for p in pages] == [3, 3, 1]
    back = audit_log.user_views(db_session, viewer.user_id, start, end, before=pages[2].newer, per_page=3)
    assert back.rows == pages[1].rows


#: the referrals waiting for a senior are read from the pending reviews, and only they are sorted
SENIOR_QUEUE = "the open senior review queue"
#: the referral list's filters, and the index each is read from (None: whichever of them the planner takes)
FILTERS = {
    "none": (ReferralFilters(), "ix_referrals_received"),
    "pathway": (ReferralFilters(pathway="msk"), "ix_referrals_pathway_received"),
    "state": (ReferralFilters(state="received"), "ix_referrals_state_received"),
    "flagged": (ReferralFilters(flagged=True), "ix_referrals_flagged_received"),
    "senior review": (ReferralFilters(state="needs_senior_review"), SENIOR_QUEUE),
    "pathway and state": (ReferralFilters(pathway="msk", state="received", flagged=False), None),
}


@pytest.mark.parametrize("name", FILTERS)
def test_every_page_of_the_referral_list_is_read_from_an_index_without_sorting(db_session, referrals, name):
    filters, index = FILTERS[name]
    middle = keyset.Key(referrals[3].received_at, referrals[3].id)
    for paged in (filters, ReferralFilters(filters.pathway, filters.state, filters.flagged, after=middle),
                  ReferralFilters(filters.pathway, filters.state, filters.flagged, before=middle)):
        _page, plans = plans_of(db_session, lambda f=paged: listing.list_referrals(db_session, f, per_page=2))
        reads = [(statement, plan) for statement, plan in plans if "FROM referrals" in statement]
        assert len(reads) >= 2, plans  # the page (and perhaps whether a newer one exists), and the count
        for statement, plan in reads:
            assert not scans(plan, "referrals"), plan
            if "count(" in statement:  # any index will do to count: it stops past the bound
                assert "LIMIT" in statement
                assert not sorts(plan), plan
            elif index == SENIOR_QUEUE:
                assert "senior_reviews" in plan, plan
                assert not scans(plan, "senior_reviews"), plan
            else:
                assert not sorts(plan), plan
                # PostgreSQL costs a filter's index against the date index on a table of a few rows where every
                # row matches, and may read the date index in order, filtering: either way no sort
                postgres = db_session.get_bind().dialect.name == "postgresql"
                assert ("ix_referrals_" if postgres or index is None else index) in plan, plan


def test_a_users_views_are_read_from_their_index_without_sorting(db_session, referrals):
    viewer = staff(db_session, "clinician", "the.viewer")
    for referral in referrals:
        records.view_record(db_session, viewer, referral.patient, referral)
    db_session.commit()
    now = datetime.now(UTC)
    found = audit_log.user_views(db_session, viewer.user_id, now - timedelta(hours=1), now, per_page=2)
    for after, before in ((None, None), (found.older, None), (None, found.older)):
        _views, plans = plans_of(db_session, lambda a=after, b=before: audit_log.user_views(
            db_session, viewer.user_id, now - timedelta(hours=1), now, after=a, before=b, per_page=2))
        assert plans
        for _statement, plan in plans:
            assert "ix_events_actor_action_occurred" in plan, plan
            assert not sorts(plan), plan
            assert not scans(plan, "events"), plan
