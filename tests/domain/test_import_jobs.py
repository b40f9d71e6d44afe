"""The web import: a file staged and previewed without writing a referral, imported all or nothing or its valid rows,
chunk by chunk with each chunk whole, never twice, by the same rules as the CLI."""
import io
import json

import pytest
from sqlalchemy import func, select

from inclusive_access.domain import actions, bulk_import, event_chain, import_jobs, intake
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import DuplicateSubmission, InvalidInput, NotPermitted
from inclusive_access.models import Event, ImportJob, ImportRow, Referral
from tests.factories import csv_text, intake_row, make_referral, make_user

BAD_NHS = {"nhs_number": "1234567890"}
BAD_NHS_ERROR = "Enter a valid NHS number (the check digit does not match)"


def upload(session, manager, text: str, name: str = "march.csv") -> ImportJob:
    return import_jobs.stage_import(session, manager, name, io.StringIO(text, newline=""), len(text.encode()))


@pytest.fixture
def manager(db_session):
    return actor_for(make_user(db_session, "manager", "import.manager"))


def referrals(session) -> int:
    return session.scalar(select(func.count()).select_from(Referral))


def import_log(session, prefix: str = "import.") -> list[tuple[str, int | None, dict]]:
    return [(e.action, e.actor_id, json.loads(e.data)) for e in session.scalars(
        select(Event).where(Event.action.startswith(prefix)).order_by(Event.seq))]


def import_all(session, manager, job, chunk: int = 2) -> list[int]:
    """Run the import step by step, as the page's polls do; the progress after each step."""
    seen = []
    while job.state == "importing":
        import_jobs.import_next_rows(session, manager, job, chunk=chunk)
        session.commit()
        seen.append(job.processed_rows)
    return seen


def test_an_upload_is_previewed_with_its_row_errors_and_writes_no_referral(db_session, manager):
    rows = [intake_row(), intake_row(**BAD_NHS), intake_row(), intake_row(family_name="", urgency="soon")]
    job = upload(db_session, manager, csv_text(rows))
    db_session.commit()

    assert (job.state, job.total_rows, job.valid_rows, job.invalid_rows, job.present_rows) == (
        "previewed", 4, 2, 2, 0)
    assert referrals(db_session) == 0
    assert import_jobs.row_errors(db_session, job) == [
        (3, "nhs_number", BAD_NHS_ERROR),
        (5, "family_name", "Enter the family name"),
        (5, "urgency", "The urgency 'soon' is not a recognised code"),
    ]
    assert import_log(db_session) == [("import.staged", manager.user_id, {
        "file_name": "march.csv", "mode": None, "total_rows": 4, "valid_rows": 2, "invalid_rows": 2,
        "present_rows": 0, "imported_rows": 0, "refused_rows": 0})]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The selected file is empty"),
    ("\N{POUND SIGN}".encode("latin-1") + b",nhs_number\n", "The selected file must be a CSV file saved as UTF-8"),
    (b"nhs_number,given_name\n9434765919,Ann\n", "The selected file is not a referrals import: missing columns: "),
    (",".join(bulk_import.COLUMNS).encode() + b"\n", "The selected file has a header but no rows"),
], ids=["empty", "not-utf8", "missing-columns", "header-only"])
def test_a_file_that_is_not_a_referrals_csv_is_refused_and_nothing_is_kept(db_session, manager, content, message):
    with pytest.raises(InvalidInput) as refused:
        import_jobs.stage_import(db_session, manager, "upload.csv",
                                 io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline=""), len(content))
    assert refused.value.errors["file"].startswith(message)
    assert db_session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_all_or_nothing_with_a_bad_row_imports_nothing(db_session, manager):
    job = upload(db_session, manager, csv_text([intake_row(), intake_row(**BAD_NHS), intake_row()]))

    import_jobs.confirm_import(db_session, manager, job, import_jobs.ALL_OR_NOTHING)
    db_session.commit()

    assert (job.state, job.mode, referrals(db_session)) == ("previewed", None, 0)
    assert [action for action, *_ in import_log(db_session)] == ["import.staged", "import.refused"]
    assert import_log(db_session)[-1][2]["mode"] == "all_or_nothing"


def test_all_or_nothing_imports_every_row_in_chunks_with_its_progress(db_session, manager):
    rows = [intake_row() for _ in range(5)]
    job = upload(db_session, manager, csv_text(rows))
    import_jobs.confirm_import(db_session, manager, job, import_jobs.ALL_OR_NOTHING)
    db_session.commit()

    assert import_all(db_session, manager, job) == [2, 4, 5]
    assert (job.state, job.imported_rows, job.refused_rows) == ("imported", 5, 0)
    assert set(db_session.scalars(select(Referral.external_ref))) == {r["external_ref"] for r in rows}
    assert [action for action, *_ in import_log(db_session)] == ["import.staged", "import.started", "import.completed"]
    assert import_log(db_session)[-1][2] == {
        "file_name": "march.csv", "mode": "all_or_nothing", "total_rows": 5, "valid_rows": 5, "invalid_rows": 0,
        "present_rows": 0, "imported_rows": 5, "refused_rows": 0}
    received = db_session.scalars(select(Event).where(Event.action == actions.REFERRAL_RECEIVED)).all()
    assert [e.actor_id for e in received] == [None] * 5  # the system's, as the CLI's
    assert event_chain.verify(db_session).ok


def test_importing_the_valid_rows_leaves_the_rejects_to_download(db_session, manager):
    rows = [intake_row(), intake_row(**BAD_NHS), intake_row(reason="=HYPERLINK(\"http://x\")", **BAD_NHS)]
    job = upload(db_session, manager, csv_text(rows))
    import_jobs.confirm_import(db_session, manager, job, import_jobs.VALID_ROWS)
    db_session.commit()
    import_all(db_session, manager, job)

    assert (job.state, job.imported_rows, referrals(db_session)) == ("imported", 1, 1)
    header, rejected = import_jobs.rejects(db_session, manager, job)
    assert header == list(bulk_import.COLUMNS)
    assert [(line, row["external_ref"], reason) for line, row, reason in rejected] == [
        (3, rows[1]["external_ref"], f"nhs_number: {BAD_NHS_ERROR}"),
        (4, rows[2]["external_ref"], f"nhs_number: {BAD_NHS_ERROR}")]
    assert import_log(db_session)[-1] == ("import.rejects_downloaded", manager.user_id,
                                       {"file_name": "march.csv", "rows": 2})


def test_a_job_imports_once_however_often_it_is_confirmed_or_polled(db_session, manager):
    job = upload(db_session, manager, csv_text([intake_row(), intake_row()]))
    import_jobs.confirm_import(db_session, manager, job, import_jobs.VALID_ROWS)
    db_session.commit()
    with pytest.raises(DuplicateSubmission):
        import_jobs.confirm_import(db_session, manager, job, import_jobs.ALL_OR_NOTHING)
    db_session.rollback()
    import_all(db_session, manager, job)
    import_jobs.import_next_rows(db_session, manager, job, 2)  # a late poll from a second tab
    with pytest.raises(DuplicateSubmission):
        import_jobs.confirm_import(db_session, manager, job, import_jobs.VALID_ROWS)

    assert referrals(db_session) == 2
    assert [action for action, *_ in import_log(db_session)].count("import.completed") == 1


def test_the_same_file_uploaded_again_finds_its_rows_already_imported(db_session, manager):
    text = csv_text([intake_row(), intake_row()])
    first = upload(db_session, manager, text)
    import_jobs.confirm_import(db_session, manager, first, import_jobs.ALL_OR_NOTHING)
    import_all(db_session, manager, first)

    again = upload(db_session, manager, text)
    import_jobs.confirm_import(db_session, manager, again, import_jobs.ALL_OR_NOTHING)

    assert (again.present_rows, again.valid_rows, again.state, referrals(db_session)) == (2, 0, "imported", 2)


def test_a_row_whose_patient_was_referred_since_the_confirm_is_refused_by_the_same_rule(db_session, manager):
    rows = [intake_row(), intake_row(), intake_row()]
    job = upload(db_session, manager, csv_text(rows))
    import_jobs.confirm_import(db_session, manager, job, import_jobs.ALL_OR_NOTHING)
    db_session.commit()
    booked_meanwhile = make_referral(db_session, nhs_number=rows[2]["nhs_number"], external_ref=None)
    db_session.commit()

    import_all(db_session, manager, job)

    assert (job.imported_rows, job.refused_rows, job.state) == (2, 1, "imported")
    assert import_jobs.row_errors(db_session, job) == [(4, "pathway", (
        "This patient already has an open referral on this pathway "
        f"(referral {booked_meanwhile.id}); give a duplicate_reason to add another"))]


def test_a_step_that_fails_half_way_leaves_nothing_of_itself_and_the_next_carries_on(db_session, manager,
                                                                                       monkeypatch):
    job = upload(db_session, manager, csv_text([intake_row() for _ in range(4)]))
    import_jobs.confirm_import(db_session, manager, job, import_jobs.ALL_OR_NOTHING)
    db_session.commit()
    receive, calls = intake.receive_referral, []

    def fail_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the server stopped")
        return receive(*args, **kwargs)

    monkeypatch.setattr(intake, "receive_referral", fail_on_the_third)
    import_jobs.import_next_rows(db_session, manager, job, chunk=2)
    db_session.commit()
    with pytest.raises(RuntimeError):
        import_jobs.import_next_rows(db_session, manager, job, chunk=2)
    db_session.rollback()
    assert (referrals(db_session), db_session.get(ImportJob, job.id).processed_rows) == (2, 2)

    import_all(db_session, manager, db_session.get(ImportJob, job.id))
    assert referrals(db_session) == 4
    assert db_session.scalar(select(func.count()).select_from(ImportRow).where(ImportRow.status == "imported")) == 4
    assert event_chain.verify(db_session).ok


def test_only_a_manager_imports(db_session, manager):
    booking = actor_for(make_user(db_session, "booking"))
    with pytest.raises(NotPermitted):
        upload(db_session, booking, csv_text([intake_row()]))
    job = upload(db_session, manager, csv_text([intake_row()]))
    with pytest.raises(NotPermitted):
        import_jobs.confirm_import(db_session, booking, job, import_jobs.VALID_ROWS)
