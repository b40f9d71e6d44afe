"""Organisations by ODS code: reading the published file layout, loading it again, searching, and an intake that
names its referrer by code."""
import io
from datetime import UTC, date, datetime

import pytest

from inclusive_access.domain import actions, intake, organisations
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.domain.errors import InvalidInput, NotPermitted
from inclusive_access.models import Organisation
from tests.event_log import data_of, head
from tests.factories import intake_row, staff

LOADED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def ods_line(code: str, name: str, postcode: str = "ZZ1 1ZZ", opened: str = "19740401", closed: str = "") -> str:
    """One row of the ODS standard CSV layout: code, name, grouping, geography, five address lines, postcode,
    open and close dates, then the columns each file adds."""
    return ",".join([code, name, "Y63", "QHM", "1 Example Street", "", "Exampleton", "", "", postcode, opened,
                     closed, "A", "B", "Y00001", "", "", "", "", "", "", "", "", "", "", "", ""]) + "\n"


def load(session, text: str, actor=SYSTEM, kind="gp_practice"):
    report = organisations.LoadReport()
    rows = organisations.read_ods_csv(io.StringIO(text), report)
    return organisations.load(session, actor, rows, kind, "epraccur.csv", report, now=LOADED)


def test_a_file_adds_organisations_and_a_later_one_updates_them(db_session):
    before = head(db_session)
    report = load(db_session, ods_line("Y99901", "THE EXAMPLE SURGERY", "LS1 4AP")
                  + ods_line("Y99902", "SAMPLE MEDICAL CENTRE"))
    assert (report.added, report.updated, report.problems) == (2, 0, [])
    stored = db_session.get(Organisation, "Y99901")
    assert (stored.name, stored.postcode, stored.opened_on, stored.closed_on, stored.kind) == (
        "THE EXAMPLE SURGERY", "LS1 4AP", date(1974, 4, 1), None, "gp_practice")
    report = load(db_session, ods_line("Y99901", "THE EXAMPLE SURGERY", closed="20261130"))
    assert (report.added, report.updated) == (0, 1)
    db_session.expire_all()
    assert db_session.get(Organisation, "Y99901").closed_on == date(2026, 11, 30)
    assert data_of(db_session, actions.ODS_LOADED, before) == [
        {"file_name": "epraccur.csv", "kind": "gp_practice", "added": 2, "updated": 0, "left_out": 0},
        {"file_name": "epraccur.csv", "kind": "gp_practice", "added": 0, "updated": 1, "left_out": 0}]


def test_rows_that_cannot_be_read_are_left_out_by_line(db_session):
    report = load(db_session, "Y99901,TOO SHORT\n" + ods_line("not a code!", "X") + ods_line("Y99903", "OK SURGERY")
                  + ods_line("Y99904", "BAD DATE SURGERY", opened="1974-04-01"))
    assert report.added == 1
    assert report.problems == [(1, "has 2 columns: an ODS standard file has at least 12"),
                               (2, "'NOT A CODE!' is not an ODS code with a name"),
                               (4, "an open or close date is not YYYYMMDD")]


def test_only_a_manager_or_the_system_loads_a_file(db_session):
    with pytest.raises(NotPermitted):
        load(db_session, ods_line("Y99901", "THE EXAMPLE SURGERY"), actor=staff(db_session, "booking"))


def test_search_finds_open_organisations_by_name_or_code(db_session):
    load(db_session, ods_line("Y99901", "THE EXAMPLE SURGERY") + ods_line("Y99902", "EXAMPLE MEDICAL CENTRE")
         + ods_line("Y99903", "CLOSED EXAMPLE PRACTICE", closed="20200101") + ods_line("Y88801", "OTHER PLACE"))
    assert [o.ods_code for o in organisations.search(db_session, "example")] == ["Y99902", "Y99901"]
    assert [o.ods_code for o in organisations.search(db_session, "y888")] == ["Y88801"]
    assert organisations.search(db_session, "e") == [], "one letter matches too much to help"


def test_an_intake_with_an_ods_code_takes_the_organisations_name_unless_one_is_typed(db_session):
    load(db_session, ods_line("Y99901", "THE EXAMPLE SURGERY"))
    _patient, referral = intake.parse_intake(db_session, intake_row(referrer_ods_code="y99901",
                                                                    referrer_organisation=""))
    assert (referral.referrer_ods_code, referral.referrer_organisation) == ("Y99901", "THE EXAMPLE SURGERY")
    _patient, referral = intake.parse_intake(db_session, intake_row(referrer_ods_code="Y99901"))
    assert referral.referrer_organisation == "Test Surgery"
    row, _linked = intake.receive_referral(db_session, SYSTEM, _patient, referral)
    assert (row.referrer_ods_code, row.referrer_organisation) == ("Y99901", "Test Surgery")


@pytest.mark.parametrize(("overrides", "errors"), [
    ({"referrer_ods_code": "Y77777", "referrer_organisation": ""},
     {"referrer_ods_code": "No organisation has the ODS code Y77777: check it, or leave it blank and enter the "
                           "organisation's name"}),
    ({"referrer_ods_code": "Y9-9901"}, {"referrer_ods_code": "The ODS code must be letters and numbers only, like "
                                                             "A81001"}),
    ({"referrer_organisation": ""}, {"referrer_organisation": "Enter the referrer's organisation"}),
])
def test_an_intake_refuses_an_unknown_or_malformed_code_or_no_organisation_at_all(db_session, overrides, errors):
    with pytest.raises(InvalidInput) as refused:
        intake.parse_intake(db_session, intake_row(**overrides))
    assert refused.value.errors == errors
