"""The flask commands: CSV referral import, audit verify/checkpoint, create-user, demo-data and sla sweep."""
import csv
import json
import stat
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from inclusive_access import cli, demo
from inclusive_access.domain import accounts, actions, bulk_import, clarification, event_chain, outreach_reconciliation
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.domain.policy import Policy
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import (
    ROLES,
    Appointment,
    AuditFinding,
    AuditSample,
    BarrierCheck,
    Clarification,
    Event,
    Organisation,
    Patient,
    ReasonableAdjustment,
    Referral,
    User,
    UserSession,
)
from inclusive_access.reporting import kpi
from tests.conftest import PASSWORD, make_app
from tests.domain.test_events import forge
from tests.factories import (
    JUDGED_Q1_WAITS,
    JUDGED_Q5_WAITS,
    SCRIPT,
    accepted,
    intake_row,
    make_referral,
    make_user,
    staff,
    wait_gap_month,
)
from tests.outreach_factories import planned_session, received

TEN_MB = "a" * (10 * 1024 * 1024)

#: (id, overrides making the row invalid, reason the command must give)
BAD_ROWS = [
    ("nhs-check-digit", {"nhs_number": "1234567890"},
     "nhs_number: Enter a valid NHS number (the check digit does not match)"),
    ("future-dob", {"date_of_birth": (datetime.now(LONDON).date() + timedelta(days=30)).isoformat()},
     "date_of_birth: The date of birth must be today or in the past"),
    ("unknown-ethnic-code", {"ethnic_category": "7"},
     "ethnic_category: The ethnic category '7' is not a recognised code"),
    ("empty-required", {"family_name": ""}, "family_name: Enter the family name"),
    ("ten-mb-field", {"reason": TEN_MB}, "reason: The reason for referral must be 4000 characters or fewer"),
]


def write_csv(path: Path, rows: list[dict], columns=bulk_import.COLUMNS) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict]:
    csv.field_size_limit(max(csv.field_size_limit(), path.stat().st_size))
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {name: db.session.scalar(select(func.count()).select_from(model))
                for name, model in (("referrals", Referral), ("patients", Patient), ("events", Event),
                                    ("users", User))}


def referral_refs(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Referral.external_ref)))


def run(app, runner, *args: str, **kwargs):
    """Invoke a command as `flask` does. FlaskGroup pushes an app context for app.cli commands; the test
    runner invokes app.cli directly, and these commands are plain click commands (no @with_appcontext)."""
    with app.app_context():
        return runner.invoke(args=list(args), **kwargs)


def import_file(app, runner, path: Path, *extra: str):
    return run(app, runner, "import-referrals", str(path), *extra)


# --- import-referrals ---------------------------------------------------------------------------

def test_import_valid_file_imports_every_row(app, runner, tmp_path):
    rows = [intake_row(), intake_row(), intake_row(nhs_number="943 476 5919")]
    result = import_file(app, runner, write_csv(tmp_path / "referrals.csv", rows))

    assert result.exit_code == 0, result.output
    assert "Imported 3; already present 0; rejected 0." in result.output
    assert "Importing referrals" not in result.output  # no progress bar for a small file
    assert referral_refs(app) == {r["external_ref"] for r in rows}
    after = counts(app)
    assert after["referrals"] == 3
    assert after["patients"] == 3
    with app.app_context():
        received = db.session.scalar(select(func.count()).select_from(Event)
                                     .where(Event.action == actions.REFERRAL_RECEIVED))
        assert received == 3
        assert db.session.scalar(select(Patient.nhs_number).where(Patient.nhs_number == "9434765919"))
        assert event_chain.verify(db.session).ok
    assert not (tmp_path / "referrals.rejects.csv").exists()


@pytest.mark.parametrize(("overrides", "reason"), [b[1:] for b in BAD_ROWS], ids=[b[0] for b in BAD_ROWS])
def test_one_bad_row_imports_nothing_and_names_its_line(app, runner, tmp_path, overrides, reason):
    rows = [intake_row(), intake_row(), intake_row(**overrides), intake_row()]
    before = counts(app)
    result = import_file(app, runner, write_csv(tmp_path / "referrals.csv", rows))

    assert result.exit_code == 1, result.output
    assert f"line 4: {reason}" in result.stderr  # header is line 1: the third data row is line 4
    assert "1 of 4 rows failed; nothing was imported" in result.output
    assert "line 2" not in result.output
    assert "line 3" not in result.output
    assert "line 5" not in result.output
    assert counts(app) == before == {"referrals": 0, "patients": 0, "events": 0, "users": 0}
    assert not (tmp_path / "referrals.rejects.csv").exists()


@pytest.mark.parametrize(("overrides", "reason"), [b[1:] for b in BAD_ROWS], ids=[b[0] for b in BAD_ROWS])
def test_skip_invalid_imports_valid_rows_and_writes_rejects(app, runner, tmp_path, overrides, reason):
    rows = [intake_row(), intake_row(), intake_row(**overrides), intake_row()]
    source = write_csv(tmp_path / "march.csv", rows)
    result = import_file(app, runner, source, "--skip-invalid")

    assert result.exit_code == 0, result.output
    assert "Imported 3; already present 0; rejected 1." in result.output
    assert f"line 4: {reason}" in result.stderr
    assert referral_refs(app) == {rows[i]["external_ref"] for i in (0, 1, 3)}
    assert counts(app)["patients"] == 3

    rejects_path = tmp_path / "march.rejects.csv"
    assert f"1 rejected rows written to {rejects_path}" in result.output
    rejects = read_csv(rejects_path)
    assert len(rejects) == 1
    reject = rejects[0]
    assert list(reject)[:2] == ["line", "rejection_reason"]
    assert set(bulk_import.COLUMNS) <= set(reject)
    assert reject["line"] == "4"
    assert reject["rejection_reason"] == reason
    assert reject["external_ref"] == rows[2]["external_ref"]
    # Fields pass through as read (tests/test_csv_exports.py: defused where a spreadsheet would run them).
    assert {column: reject[column] for column in bulk_import.COLUMNS} == {
        column: rows[2][column] for column in bulk_import.COLUMNS}


def test_skip_invalid_reports_every_bad_row(app, runner, tmp_path):
    rows = [intake_row(), *(intake_row(**b[1]) for b in BAD_ROWS), intake_row()]
    result = import_file(app, runner, write_csv(tmp_path / "mixed.csv", rows), "--skip-invalid")

    assert result.exit_code == 0, result.output
    assert f"Imported 2; already present 0; rejected {len(BAD_ROWS)}." in result.output
    rejects = read_csv(tmp_path / "mixed.rejects.csv")
    assert [(r["line"], r["rejection_reason"]) for r in rejects] == [
        (str(line), b[2]) for line, b in enumerate(BAD_ROWS, start=3)]
    assert referral_refs(app) == {rows[0]["external_ref"], rows[-1]["external_ref"]}


def test_a_row_for_a_patient_open_on_the_pathway_is_refused_unless_it_gives_a_reason(app, runner, tmp_path):
    with app.app_context():
        open_one = make_referral(db.session)
        nhs, open_id = open_one.patient.nhs_number, open_one.id
        db.session.commit()
    new_patient = intake_row()
    rows = [intake_row(nhs_number=nhs), new_patient, intake_row(nhs_number=new_patient["nhs_number"]),
            intake_row(nhs_number=nhs, pathway="frailty")]
    columns = [*bulk_import.COLUMNS, "duplicate_reason"]
    too_long = {**intake_row(nhs_number=nhs), "duplicate_reason": "x" * 501}
    refused = import_file(app, runner, write_csv(tmp_path / "open.csv", [*rows, too_long], columns), "--skip-invalid")
    assert refused.exit_code == 0, refused.output
    assert "Imported 2; already present 0; rejected 3." in refused.output
    assert "line 6: duplicate_reason: " in refused.stderr, refused.stderr
    assert (f"line 2: pathway: This patient already has an open referral on this pathway (referral {open_id}); "
            "give a duplicate_reason to add another") in refused.stderr
    assert "line 4: pathway: This patient already has an open referral on this pathway (line 3 of this file)" in (
        refused.stderr)
    reasons = [{**row, "duplicate_reason": "Hospital team referral for a new problem"} for row in rows[:3:2]]
    confirmed = import_file(app, runner, write_csv(tmp_path / "confirmed.csv", reasons, columns))
    assert confirmed.exit_code == 0, confirmed.output
    assert "Imported 2; already present 0; rejected 0." in confirmed.output
    assert counts(app)["referrals"] == 5


def test_rerunning_a_file_creates_no_duplicates(app, runner, tmp_path):
    rows = [intake_row(), intake_row(), intake_row()]
    source = write_csv(tmp_path / "referrals.csv", rows)
    first = import_file(app, runner, source)
    assert first.exit_code == 0, first.output
    after_first = counts(app)

    again = import_file(app, runner, source)
    assert again.exit_code == 0, again.output
    assert "Imported 0; already present 3; rejected 0." in again.output
    assert counts(app) == after_first
    assert after_first["referrals"] == 3


def test_rerun_with_new_rows_imports_only_the_new_ones(app, runner, tmp_path):
    rows = [intake_row(), intake_row()]
    assert import_file(app, runner, write_csv(tmp_path / "a.csv", rows)).exit_code == 0
    extended = [*rows, intake_row()]
    result = import_file(app, runner, write_csv(tmp_path / "b.csv", extended))
    assert result.exit_code == 0, result.output
    assert "Imported 1; already present 2; rejected 0." in result.output
    assert counts(app)["referrals"] == 3


def test_duplicate_external_ref_within_a_file_is_rejected(app, runner, tmp_path):
    first = intake_row()
    rows = [first, intake_row(external_ref=first["external_ref"]), intake_row()]
    source = write_csv(tmp_path / "dupes.csv", rows)

    result = import_file(app, runner, source)
    assert result.exit_code == 1, result.output
    assert f"line 3: external_ref: '{first['external_ref']}' appears twice in this file" in result.output
    assert counts(app)["referrals"] == 0
    assert counts(app)["events"] == 0

    skipped = import_file(app, runner, source, "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert "Imported 2; already present 0; rejected 1." in skipped.output
    assert referral_refs(app) == {first["external_ref"], rows[2]["external_ref"]}
    with app.app_context():
        kept = db.session.scalar(select(Referral).where(Referral.external_ref == first["external_ref"]))
        assert kept.patient.nhs_number == first["nhs_number"]  # the first occurrence wins


def test_missing_external_ref_is_rejected(app, runner, tmp_path):
    rows = [intake_row(), intake_row(external_ref="  ")]
    result = import_file(app, runner, write_csv(tmp_path / "refs.csv", rows))
    assert result.exit_code == 1
    assert "line 3: external_ref: Enter the external reference" in result.output
    assert counts(app)["referrals"] == 0


def test_missing_column_is_a_clear_error(app, runner, tmp_path):
    columns = [c for c in bulk_import.COLUMNS if c not in ("urgency", "nhs_number")]
    result = import_file(app, runner, write_csv(tmp_path / "short.csv", [intake_row()], columns))
    assert result.exit_code == 1
    assert "Error: missing columns: nhs_number, urgency" in result.output
    assert "Traceback" not in result.output
    assert counts(app)["referrals"] == 0


def test_non_utf8_file_is_a_clear_error(app, runner, tmp_path):
    source = tmp_path / "latin1.csv"
    row = intake_row(given_name="Zoé")
    source.write_bytes((",".join(bulk_import.COLUMNS) + "\n" + ",".join(row[c] for c in bulk_import.COLUMNS)
                        + "\n").encode("latin-1"))
    result = import_file(app, runner, source)
    assert result.exit_code == 1
    assert "latin1.csv is not a readable UTF-8 CSV file" in result.output
    assert counts(app)["referrals"] == 0


def test_missing_file_is_a_usage_error(app, runner, tmp_path):
    result = import_file(app, runner, tmp_path / "nope.csv")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_a_file_over_the_threshold_shows_a_progress_bar(app, runner, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "PROGRESS_THRESHOLD", 10)  # 1,000 rows in the app: the same branch, a hundredth the rows
    rows = [intake_row() for _ in range(11)]
    result = import_file(app, runner, write_csv(tmp_path / "big.csv", rows))
    assert result.exit_code == 0, result.output
    assert "Importing referrals" in result.stderr
    assert "Importing referrals" not in result.stdout
    assert "Imported 11; already present 0; rejected 0." in result.stdout
    assert counts(app)["referrals"] == 11


# --- audit verify / checkpoint --------------------------------------------------------------------

@pytest.fixture
def logged(app):
    """Three referrals (six events) committed; returns the number of events."""
    with app.app_context():
        for _ in range(3):
            make_referral(db.session)
        db.session.commit()
        return db.session.scalar(select(func.count()).select_from(Event))


def _execute(app, statement: str, **params) -> None:
    with app.app_context():
        db.session.execute(text(statement), params)
        db.session.commit()


def allow_update(app, backend):
    if backend == "sqlite":
        _execute(app, "DROP TRIGGER events_no_update")
    else:
        _execute(app, "ALTER TABLE events DISABLE TRIGGER events_no_update_delete")


def allow_delete(app, backend):
    if backend == "sqlite":
        _execute(app, "DROP TRIGGER events_no_delete")
    else:
        _execute(app, "ALTER TABLE events DISABLE TRIGGER events_no_update_delete")


def test_verify_passes_on_an_intact_log(app, runner, logged):
    assert logged == 6
    result = run(app, runner, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"OK: {logged} events verified" in result.output


def test_verify_passes_on_an_empty_log(app, runner):
    result = run(app, runner, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "OK: 0 events verified" in result.output
    assert "No checkpoint has been taken: removal of the newest events cannot be detected." in result.output


def test_verify_fails_naming_a_forged_event_with_and_without_a_checkpoint(app, runner, logged, tmp_path):
    saved = tmp_path / "checkpoint.json"
    saved.write_text(run(app, runner, "audit", "checkpoint").output)
    with app.app_context():
        forge(db.session, logged + 2, prev_hash=event_chain.checkpoint(db.session).hash)  # INSERT, valid plain SHA-256
        db.session.commit()
    for args in ([], ["--checkpoint", str(saved)]):
        result = run(app, runner, "audit", "verify", *args)
        assert result.exit_code == 1, result.output
        assert f"FAILED at event {logged + 2}: unkeyed event after the chain was keyed " \
               f"({logged + 1} events verified before it)" in result.output


def test_the_log_refuses_updates_while_its_triggers_stand(app, logged):
    with app.app_context(), pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE events SET data = '{}' WHERE seq = 1"))
    with app.app_context(), pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM events WHERE seq = 1"))


def test_verify_names_the_first_altered_event(app, runner, logged, backend):
    allow_update(app, backend)
    _execute(app, "UPDATE events SET data = :data WHERE seq IN (3, 5)", data='{"tampered":true}')

    result = run(app, runner, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert "FAILED at event 3: contents altered (2 events verified before it)" in result.output
    assert "OK" not in result.output


def test_checkpoint_detects_removal_of_the_newest_event(app, runner, logged, backend, tmp_path):
    result = run(app, runner, "audit", "checkpoint")
    assert result.exit_code == 0, result.output
    head = json.loads(result.output)
    with app.app_context():
        newest = db.session.get(Event, logged + 1)
        assert (newest.action, newest.hash) == (actions.CHECKPOINT_TAKEN, head["hash"]), "taking it is evented"
    assert (head["count"], head["key_id"]) == (logged + 1, "test")
    assert len(head["signature"]) == 64
    saved = tmp_path / "checkpoint.json"
    saved.write_text(result.output)

    intact = run(app, runner, "audit", "verify", "--checkpoint", str(saved))
    assert intact.exit_code == 0, intact.output
    assert f"OK: {logged + 1} events verified; head {head['hash']}" in intact.output
    assert f"Last checkpoint taken {head['taken_at'][:16].replace('T', ' ')} UTC (event {logged + 1})." \
        in intact.output

    allow_delete(app, backend)
    _execute(app, f"DELETE FROM events WHERE seq = {logged + 1}")

    alone = run(app, runner, "audit", "verify")
    assert alone.exit_code == 0, alone.output  # a shortened chain is still internally consistent
    assert f"OK: {logged} events verified" in alone.output
    assert "No checkpoint has been taken" in alone.output, "but the removed checkpoint is missed"

    checked = run(app, runner, "audit", "verify", "--checkpoint", str(saved))
    assert checked.exit_code == 1, checked.output
    assert f"FAILED at event {logged + 1}: log truncated: checkpoint has {logged + 1} events, the log {logged}" \
        in checked.output


def test_checkpoint_from_a_different_history_fails(app, runner, logged, tmp_path):
    saved = tmp_path / "other.json"
    with app.app_context():  # signed with the same key, e.g. from another database
        saved.write_text(event_chain.Checkpoint(2, "f" * 64, "2026-12-01T00:00:00+00:00").signed().to_json())
    result = run(app, runner, "audit", "verify", "--checkpoint", str(saved))
    assert result.exit_code == 1
    assert "FAILED at event 2: differs from the checkpoint" in result.output


@pytest.mark.parametrize(("change", "reason"), [
    ({"count": 3}, "its signature does not verify"),
    ({"hash": "f" * 64}, "its signature does not verify"),
    ({"signature": "0" * 64}, "its signature does not verify"),
    ({"key_id": "old"}, "signed with key 'old', which is not configured"),
])
def test_verify_refuses_a_checkpoint_whose_signature_fails(app, runner, logged, tmp_path, change, reason):
    saved = tmp_path / "checkpoint.json"
    saved.write_text(json.dumps({**json.loads(run(app, runner, "audit", "checkpoint").output), **change}))
    result = run(app, runner, "audit", "verify", "--checkpoint", str(saved))
    assert result.exit_code == 1, result.output
    assert result.output == f"FAILED: checkpoint {saved} refused: {reason}\n"


def test_verify_refuses_a_checkpoint_from_before_they_were_signed(app, runner, logged, tmp_path):
    saved = tmp_path / "old.json"
    with app.app_context():
        saved.write_text(json.dumps({"count": logged, "hash": event_chain.checkpoint(db.session).hash}))
    result = run(app, runner, "audit", "verify", "--checkpoint", str(saved))
    assert result.exit_code == 1, result.output
    assert "refused: not a signed checkpoint from 'flask audit checkpoint'" in result.output


def test_verify_warns_when_the_last_checkpoint_is_more_than_a_week_old(app, runner, logged):
    with app.app_context():
        event_chain.take_checkpoint(db.session, SYSTEM, now=datetime.now(UTC) - timedelta(days=8))
        db.session.commit()
    result = run(app, runner, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"(event {logged + 1}).\nWARNING: that is more than 7 days ago" in result.output


@pytest.mark.parametrize(("settings", "error"), [
    ({"AUDIT_CHAIN_KEY": None}, "AUDIT_CHAIN_KEY is not set"),
    ({"AUDIT_CHAIN_KEY": ""}, "AUDIT_CHAIN_KEY is not set"),
    ({"AUDIT_CHAIN_KEY": "secret"}, "AUDIT_CHAIN_KEY: the key of id 'test' is not hexadecimal"),
    ({"AUDIT_CHAIN_OLD_KEYS": "old"}, "AUDIT_CHAIN_OLD_KEYS: each entry must be id:hexkey"),
])
def test_the_app_refuses_to_start_without_a_usable_audit_chain_key(settings, error):
    with pytest.raises(RuntimeError, match=error):
        make_app("sqlite://", **settings)


@pytest.mark.parametrize(("settings", "error"), [
    ({"NOTIFY_TEMPLATES": '{"appointment_reminder": {"braille": "id"}}'}, r"or format \['braille'\]"),
    ({"NOTIFY_TEMPLATES": '{"appointment_reminder": '}, "Expecting value"),
    ({"NOTIFY_REMINDER_DAYS": "three"}, "invalid literal for int"),
])
def test_the_app_refuses_to_start_with_message_settings_it_cannot_send_by(settings, error):
    with pytest.raises(RuntimeError, match=error):
        make_app("sqlite://", **settings)


# --- create-user ----------------------------------------------------------------------------------

def _user(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def test_create_user_with_password_option(app, runner):
    result = run(app, runner, "create-user", "a.khan", "--name", "Amira Khan", "--role", "manager",
                                 "--password", "long enough pw")
    assert result.exit_code == 0, result.output
    assert "Created a.khan (manager)." in result.output
    user = _user(app, "a.khan")
    assert user.display_name == "Amira Khan"
    assert user.role == "manager"
    assert user.active
    assert accounts.password_hasher.verify(user.password_hash, "long enough pw")
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.action == actions.USER_CREATED))
        assert event.entity_id == user.id
        assert json.loads(event.data) == {"username": "a.khan", "role": "manager"}
        assert event.actor_id is None


def test_create_user_prompts_for_the_password(app, runner):
    result = run(app, runner, "create-user", "b.lee", "--name", "Ben Lee", "--role", "booking",
                           input="prompted password\nprompted password\n")
    assert result.exit_code == 0, result.output
    assert "Created b.lee (booking)." in result.output
    assert accounts.password_hasher.verify(_user(app, "b.lee").password_hash, "prompted password")


def test_create_user_refuses_a_short_password(app, runner):
    result = run(app, runner, "create-user", "c.short", "--name", "C Short", "--role", "clinician",
                                 "--password", "too short")
    assert result.exit_code == 1
    assert "Error: Password must be at least 12 characters" in result.output
    assert "Traceback" not in result.output
    assert _user(app, "c.short") is None
    assert counts(app)["events"] == 0


def test_create_user_refuses_a_duplicate_username(app, runner):
    args = ["create-user", "d.dup", "--name", "First", "--role", "senior", "--password", PASSWORD]
    assert run(app, runner, *args).exit_code == 0
    again = run(app, runner, *args[:3], "Second", "--role", "auditor", "--password", PASSWORD)
    assert again.exit_code == 1
    assert "Error: That username is already taken" in again.output
    user = _user(app, "d.dup")
    assert user.display_name == "First"
    assert user.role == "senior"
    assert counts(app)["users"] == 1


def test_create_user_refuses_an_unknown_role(app, runner):
    result = run(app, runner, "create-user", "e.role", "--name", "E", "--role", "admin",
                                 "--password", PASSWORD)
    assert result.exit_code == 2
    assert "'admin' is not one of" in result.output
    assert _user(app, "e.role") is None


# --- reset-password -------------------------------------------------------------------------------

@pytest.fixture
def signed_in_user(app) -> int:
    """A booking clerk with a live session."""
    with app.app_context():
        user = make_user(db.session, role="booking", username="r.reset")
        accounts.start_session(db.session, user)
        db.session.commit()
        return user.id


def _sessions(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id))


def test_reset_password_prompts_for_a_temporary_password_and_ends_the_sessions(app, runner, signed_in_user):
    result = run(app, runner, "reset-password", "r.reset", input="a temporary passphrase\n" * 2)
    assert result.exit_code == 0, result.output
    assert "r.reset is signed out everywhere and must choose a new password at next sign-in." in result.output
    assert "a temporary passphrase" not in result.output
    user = _user(app, "r.reset")
    assert accounts.password_hasher.verify(user.password_hash, "a temporary passphrase")
    assert user.must_change_password
    assert _sessions(app, signed_in_user) == 0
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.action == actions.PASSWORD_RESET))
        assert (event.entity_id, event.actor_id, json.loads(event.data)) == (signed_in_user, None, {})


def test_reset_password_generates_and_prints_one(app, runner, signed_in_user):
    result = run(app, runner, "reset-password", "r.reset", "--generate")
    assert result.exit_code == 0, result.output
    password = result.output.split("Temporary password for r.reset: ")[1].split()[0]
    assert len(password) >= 12
    user = _user(app, "r.reset")
    assert accounts.password_hasher.verify(user.password_hash, password)
    assert user.must_change_password
    assert _sessions(app, signed_in_user) == 0


@pytest.mark.parametrize(("args", "typed", "message"), [
    (["nobody"], "", "Error: There is no user nobody."),
    (["r.reset"], "password2024!\n" * 2, "Error: This password is too common."),
    (["r.reset"], "too short\n" * 2, "Error: Password must be at least 12 characters"),
])
def test_reset_password_refusals_change_nothing(app, runner, signed_in_user, args, typed, message):
    before = counts(app)["events"]
    result = run(app, runner, "reset-password", *args, input=typed)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert counts(app)["events"] == before
    assert _sessions(app, signed_in_user) == 1
    assert accounts.password_hasher.verify(_user(app, "r.reset").password_hash, PASSWORD)


# --- demo-data ------------------------------------------------------------------------------------

def test_demo_data_loads_synthetic_records_and_logins(app, runner, tmp_path):
    app.instance_path = str(tmp_path)
    result = run(app, runner, "demo-data", "--patients", "40", "--referrals", "50")
    assert result.exit_code == 0, result.output

    logins = tmp_path / "demo-logins.txt"
    password = logins.read_text().strip()
    assert len(password) >= accounts.MIN_PASSWORD_LENGTH
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    assert "Demo logins (synthetic data only):" in result.output
    for role in ROLES:
        assert f"username: demo.{role}" in result.output
        line = next(x for x in result.output.splitlines() if f"demo.{role} " in x)
        assert line.split()[0] == role
        assert line.endswith(f"password: {password}")

    with app.app_context():  # on top of the 50: a few re-referred, and the months of the equity gaps
        re_referred = db.session.scalar(select(func.count()).where(Referral.previous_referral_id.is_not(None)))
    added = re_referred + demo.ADDED_PATIENTS
    assert counts(app) | {"events": 0} == {"referrals": 50 + added, "patients": 40 + demo.ADDED_PATIENTS,
                                           "users": len(ROLES), "events": 0}
    with app.app_context():
        users = db.session.execute(select(User.username, User.role)).all()
        assert sorted(users) == sorted((f"demo.{r}", r) for r in ROLES)
        demo_user = db.session.scalar(select(User).where(User.username == "demo.manager"))
        assert accounts.password_hasher.verify(demo_user.password_hash, password)
        referral_ids = set(db.session.scalars(select(Referral.id)))
        received = list(db.session.scalars(select(Event.referral_id).where(Event.action == actions.REFERRAL_RECEIVED)))
        assert len(received) == 50 + added
        assert set(received) == referral_ids
        numbers = list(db.session.scalars(select(Patient.nhs_number)))
        assert len(numbers) == 40 + demo.ADDED_PATIENTS
        assert all(n.startswith("999") for n in numbers)
        assert all(p.given_name for p in db.session.scalars(select(Patient)))
        # the graded response in the demo: every missed appointment opened exactly one barrier check, and every
        # completed check has its outcome (how many DNAs there are depends on the day the demo is loaded)
        missed = set(db.session.scalars(select(Appointment.id).where(Appointment.status == "dna")))
        checked = list(db.session.scalars(select(BarrierCheck.appointment_id)))
        assert sorted(checked) == sorted(missed)
        assert all(c.outcome for c in db.session.scalars(select(BarrierCheck).where(
            BarrierCheck.completed_at.is_not(None))))
        assert all(a.status == "active" or a.end_reason for a in db.session.scalars(select(ReasonableAdjustment)))
        # an auditor's sample of adjustments, partly judged, one finding revised (so two versions of it)
        sample = db.session.scalars(select(AuditSample)).one()
        assert (sample.record_type, sample.stratify_by, sample.taken) == ("adjustment", "imd_quintile",
                                                                           len(sample.records))
        versions = [f.version for f in db.session.scalars(select(AuditFinding).order_by(AuditFinding.id))]
        assert versions.count(2) == (1 if sample.records else 0)

    verified = run(app, runner, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert f"OK: {counts(app)['events']} events verified" in verified.output


def test_demo_data_if_empty_adds_nothing_the_second_time(app, runner, tmp_path):
    app.instance_path = str(tmp_path)
    first = run(app, runner, "demo-data", "--if-empty", "--patients", "10", "--referrals", "12")
    assert first.exit_code == 0, first.output
    loaded = counts(app)
    with app.app_context():
        re_referred = db.session.scalar(select(func.count()).where(Referral.previous_referral_id.is_not(None)))
    assert loaded["patients"] == 10 + demo.ADDED_PATIENTS
    assert loaded["referrals"] == 12 + demo.ADDED_PATIENTS + re_referred
    password = (tmp_path / "demo-logins.txt").read_text().strip()

    second = run(app, runner, "demo-data", "--if-empty", "--patients", "10", "--referrals", "12")
    assert second.exit_code == 0, second.output
    assert "Database already has data; demo data not loaded." in second.output
    assert counts(app) == loaded
    assert (tmp_path / "demo-logins.txt").read_text().strip() == password
    assert f"password: {password}" in second.output  # the saved logins are still shown


# --- sla sweep ------------------------------------------------------------------------------------

def _ask(app, hours_ago: float, close: bool = False) -> int:
    """A clarification asked `hours_ago` (due 24 hours after asking), optionally already answered."""
    now = datetime.now(UTC)
    with app.app_context():
        actor = actor_for(make_user(db.session, "booking"))
        referral = make_referral(db.session, received_at=(now - timedelta(hours=hours_ago + 2))
                                 .astimezone(LONDON).strftime("%Y-%m-%d %H:%M"))
        item = clarification.request_clarification(db.session, actor, referral, referral.version, "Which knee?",
                                                   "telephone", "Dr Example", now=now - timedelta(hours=hours_ago))
        if close:
            clarification.close_clarification(db.session, actor, item, item.version, "The left knee", None)
        db.session.commit()
        return item.id


def _escalations(app) -> tuple[Counter, dict]:
    """Escalation events per clarification, and each clarification's escalated_at."""
    with app.app_context():
        logged = Counter(db.session.scalars(select(Event.entity_id).where(
            Event.action == actions.CLARIFICATION_ESCALATED)))
        marked = dict(db.session.execute(select(Clarification.id, Clarification.escalated_at)).all())
    return logged, marked


def test_sla_sweep_run_twice_escalates_each_overdue_clarification_once(app, runner):
    late, later = _ask(app, 30), _ask(app, 25)  # due 6 hours and 1 hour ago
    fresh = _ask(app, 1)
    answered = _ask(app, 40, close=True)  # overdue, but closed: nothing to chase

    first = run(app, runner, "sla", "sweep")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == "Escalated 2 overdue clarifications."
    logged, marked = _escalations(app)
    assert logged == {late: 1, later: 1}
    assert marked[late] is not None
    assert marked[later] is not None
    assert marked[fresh] is None
    assert marked[answered] is None
    with app.app_context():
        rows = db.session.execute(select(Event.entity_id, Event.actor_id, Event.data)
                                  .where(Event.action == actions.CLARIFICATION_ESCALATED).order_by(Event.seq)).all()
    assert [row.entity_id for row in rows] == [late, later], "the longest overdue first"
    assert all(row.actor_id is None for row in rows), "the system, not a person"
    assert 355 <= json.loads(rows[0].data)["overdue_by_minutes"] <= 365

    second = run(app, runner, "sla", "sweep")
    assert second.exit_code == 0, second.output
    assert second.output.splitlines()[0] == "Escalated 0 overdue clarifications."
    assert _escalations(app) == (logged, marked), "nothing written twice, the first escalation time kept"

    newly = _ask(app, 24.5)
    third = run(app, runner, "sla", "sweep")
    assert third.output.splitlines()[0] == "Escalated 1 overdue clarification."
    logged, _marked = _escalations(app)
    assert logged == {late: 1, later: 1, newly: 1}
    verified = run(app, runner, "audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_sla_sweep_with_nothing_overdue(app, runner):
    _ask(app, 2)
    result = run(app, runner, "sla", "sweep")
    assert result.exit_code == 0, result.output
    assert "Escalated 0 overdue clarifications." in result.output
    logged, marked = _escalations(app)
    assert not logged
    assert list(marked.values()) == [None]


def test_sla_sweep_puts_lost_contact_after_outreach_on_the_senior_review_list_once(app, runner):
    """The record's follow-up day (9 June 2026) is long over, with no contact since."""
    with app.app_context():
        clinician = staff(db.session, "clinician")
        record = received(db.session, clinician, planned_session(db.session, staff(db.session, "manager"),
                                                                 [clinician]))
        referral = accepted(db.session, clinician)
        outreach_reconciliation.link(db.session, clinician, record, referral, record.version)
        db.session.commit()
    first = run(app, runner, "sla", "sweep")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[1] == "Found 1 lost contact after outreach."
    assert run(app, runner, "sla", "sweep").output.splitlines()[1] == "Found 0 lost contacts after outreach."
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event).where(
            Event.action == actions.SENIOR_REVIEW_FLAGGED)) == 1


# -- flask report export ------------------------------------------------------------------------------------------

@pytest.fixture
def june_history(app):
    """June 2026: 9 referrals in IMD quintile 1, 8 in quintile 3 and 2 in quintile 5; three of quintile 1's
    accepted. Shared, quintile 5's 2 is hidden, and quintile 3's 8 with it (else the total gives the 2 away)."""
    from inclusive_access.domain import triage
    from inclusive_access.domain.actors import actor_for
    with app.app_context():
        booker = actor_for(make_user(db.session, "booking"))
        deprived = [make_referral(db.session, imd_decile="1", received_at=f"2026-06-{d:02d} 10:00")
                    for d in range(1, 10)]
        for referral in deprived[:3]:
            triage.triage_referral(db.session, booker, referral, referral.version, SCRIPT, [], "accept")
        for day in range(1, 9):
            make_referral(db.session, imd_decile="5", received_at=f"2026-06-{day:02d} 12:00")
        for day in (3, 4):
            make_referral(db.session, imd_decile="10", received_at=f"2026-06-{day:02d} 11:00")
        db.session.commit()


def test_report_export_prints_the_dashboards_numbers_as_json_suppressed_for_sharing(app, runner, june_history):
    result = run(app, runner, "report", "export", "--from", "2026-06", "--to", "2026-06", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["period"] == {"from": "2026-06", "to": "2026-06", "pathway": None}
    imd = {row["group"]: row for row in report["tables"]["imd_quintile"]}
    assert imd["1 (most deprived)"]["referrals"] == 9
    assert imd["5 (least deprived)"]["referrals"] == "*", "2 is a small count"
    assert imd["3"]["referrals"] == "*", "secondary suppression: the smallest other count"
    accepted = imd["1 (most deprived)"]["measures"]["accepted"]
    assert (accepted["numerator"], accepted["denominator"]) == ("*", 9)
    assert set(report["tables"]) == {"imd_quintile", "ethnic_group", "age_band", "sex", "flag_deprivation",
                                     "flag_housing", "flag_cognitive", "flag_language", "flag_communication",
                                     "flag_carer"}
    assert {s["pathway"] for s in report["equity_kpi"]} >= {"msk"}
    assert all(m["month"] == "2026-06" for s in report["equity_kpi"] for m in s["months"])


def test_report_export_json_carries_each_ends_n_and_the_gaps_interval_and_hides_small_medians(app, runner):
    with app.app_context():
        clinician = actor_for(make_user(db.session, "clinician"))
        wait_gap_month(db.session, clinician, "2026-07", JUDGED_Q1_WAITS, JUDGED_Q5_WAITS)
        wait_gap_month(db.session, clinician, "2026-08", JUDGED_Q1_WAITS)  # two people in quintile 5
        db.session.commit()
        july = kpi.gap_for(db.session, "msk", "2026-07", Policy())
    result = run(app, runner, "report", "export", "--from", "2026-07", "--to", "2026-08", "--pathway", "msk")
    assert result.exit_code == 0, result.output
    [msk] = json.loads(result.output)["equity_kpi"]
    assert msk["min_n_each_end"] == 10
    months = {m["month"]: m for m in msk["months"]}
    assert months["2026-07"] == {"month": "2026-07", "q1_n": 10, "q1_median_days": 12.0, "q5_n": 10,
                                 "q5_median_days": 6.0, "gap_days": 6.0, "gap_lower_95": round(july.gap_lower, 2),
                                 "gap_upper_95": round(july.gap_upper, 2), "ratio": 2.0, "judged": True,
                                 "breach": True, "special_cause": False, "restated": False,
                                 "first_reported_gap_days": None, "first_reported_on": None}
    assert months["2026-08"] == {"month": "2026-08", "q1_n": 10, "q1_median_days": 12.0, "q5_n": "*",
                                 "q5_median_days": None, "gap_days": None, "gap_lower_95": None,
                                 "gap_upper_95": None, "ratio": None, "judged": False, "breach": False,
                                 "special_cause": False, "restated": False, "first_reported_gap_days": None,
                                 "first_reported_on": None}


def test_report_export_as_csv_has_a_row_per_breakdown_group_and_measure(app, runner, june_history):
    result = run(app, runner, "report", "export", "--from", "2026-06", "--to", "2026-06", "--pathway", "msk",
                 "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(result.output.splitlines()))
    assert rows[0] == ["breakdown", "group", "measure", "numerator", "denominator", "value", "lower_95", "upper_95",
                       "note"]
    received = {(r[0], r[1]): r[3] for r in rows[1:] if r[2] == "Referrals received"}
    assert received[("IMD quintile", "1 (most deprived)")] == "9"
    assert received[("IMD quintile", "5 (least deprived)")] == "*"
    assert any(r[0] == "Equity KPI: msk" and r[1] == "2026-06" for r in rows)


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-13", "--to", "2026-06"], "use YYYY-MM"),
    (["--from", "2026-07", "--to", "2026-06"], "must not be after"),
    (["--from", "2026-06", "--to", "2026-06", "--pathway", "podiatry"], "unknown pathway"),
    (["--from", "2026-06", "--to", "2026-06", "--format", "xlsx"], "xlsx"),
])
def test_report_export_refuses_bad_arguments_with_a_message(app, runner, args, message):
    result = run(app, runner, "report", "export", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_ods_load_reports_what_it_added_and_left_out(app, runner, tmp_path):
    path = tmp_path / "epraccur.csv"
    path.write_text("Y99901,THE EXAMPLE SURGERY,Y63,QHM,1 Example Street,,Exampleton,,,LS1 4AP,19740401,,A,B\n"
                    "Y99902,TOO SHORT\n")
    result = run(app, runner, "ods", "load", str(path), "--kind", "gp_practice")
    assert result.exit_code == 0, result.output
    assert "line 2: has 2 columns: an ODS standard file has at least 12; left out" in result.output
    assert "Added 1; updated 0; left out 1." in result.output
    with app.app_context():
        assert db.session.get(Organisation, "Y99901").name == "THE EXAMPLE SURGERY"
