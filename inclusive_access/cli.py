"""flask commands: thin wrappers that call the domain and commit once."""
import csv
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from inclusive_access import replica
from inclusive_access.domain import (
    accounts,
    api_clients,
    bulk_import,
    clarification,
    event_chain,
    fact_rebuild,
    governance,
    intake,
    message_causes,
    organisations,
    outreach_follow_up,
)
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.domain.outbox import MessageSettings
from inclusive_access.domain.policy import Policy
from inclusive_access.extensions import db
from inclusive_access.fhir.export_cli import fhir
from inclusive_access.models import ROLES, Patient
from inclusive_access.models.organisations import KINDS as ORGANISATION_KINDS
from inclusive_access.notify.cli import notify
from inclusive_access.reporting import columnar, exports, governance_sweep
from inclusive_access.reporting.queries import Period

PROGRESS_THRESHOLD = 1000


def init_app(app: Flask) -> None:
    for command in (create_user, reset_password, demo_data, import_referrals, audit, sla, facts_group, equity, report,
                    ods, api_client, fhir, notify):
        app.cli.add_command(command)


@click.command("create-user")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.password_option(help="At least 12 characters; prompted for when not given.")
def create_user(username: str, display_name: str, role: str, password: str) -> None:
    """Add a user account."""
    try:
        accounts.create_user(db.session, SYSTEM, username, display_name, role, password)
    except InvalidInput as exc:
        raise click.ClickException("; ".join(exc.errors.values())) from exc
    db.session.commit()
    click.echo(f"Created {username} ({role}).")


@click.command("reset-password")
@click.argument("username")
@click.option("--generate", is_flag=True, help="Generate a temporary password and print it, instead of prompting.")
def reset_password(username: str, generate: bool) -> None:
    """Give a user a temporary password: their sessions end and they must choose their own at next sign-in."""
    user = accounts.find_user(db.session, username)
    if user is None:
        raise click.ClickException(f"There is no user {username}.")
    password = accounts.generate_password() if generate else click.prompt(
        "Temporary password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.reset_password(db.session, SYSTEM, user, password)
    except InvalidInput as exc:
        raise click.ClickException("; ".join(exc.errors.values())) from exc
    db.session.commit()
    if generate:
        click.echo(f"Temporary password for {username}: {password}")
    click.echo(f"{username} is signed out everywhere and must choose a new password at next sign-in.")


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing when patients already exist.")
@click.option("--patients", default=2000, show_default=True,
              help="The 84 of the months whose equity gaps open governance items come on top.")
@click.option("--referrals", default=2500, show_default=True,
              help="From referrers; a few re-referrals and one for each of those 84 come on top.")
@click.option("--seed", default=20261123, show_default=True)
def demo_data(if_empty: bool, patients: int, referrals: int, seed: int) -> None:
    """Load synthetic demo data (fake names, NHS numbers from the 999 test range) and demo logins."""
    from inclusive_access import demo

    logins = Path(current_app.instance_path) / "demo-logins.txt"
    if if_empty and db.session.scalar(select(func.count()).select_from(Patient)):
        click.echo("Database already has data; demo data not loaded.")
    else:
        started = time.perf_counter()
        password = demo.load(db.session, patients, referrals, seed, policy=Policy.from_mapping(current_app.config),
                             progress=lambda label, steps: click.progressbar(length=steps, label=label,
                                                                             file=sys.stderr))
        db.session.commit()
        click.echo(f"Demo data loaded in {time.perf_counter() - started:.0f} s.", err=True)
        logins.write_text(password + "\n")
        logins.chmod(0o600)
    if logins.exists():
        password = logins.read_text().strip()
        click.echo("Demo logins (synthetic data only):")
        for role in ROLES:
            click.echo(f"  {role:<10} username: {demo.username_for(role):<10} password: {password}")


@click.command("import-referrals")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True,
              help="Import the valid rows and write the rejects, with reasons, beside the input.")
def import_referrals(path: Path, skip_invalid: bool) -> None:
    """Import referrals from a CSV file; by default nothing is imported if any row fails."""
    try:
        header, rows = bulk_import.read_rows(path)
    except InvalidInput as exc:
        raise click.ClickException(exc.errors["header"]) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise click.ClickException(f"{path.name} is not a readable UTF-8 CSV file: {exc}") from exc
    policy = Policy.from_mapping(current_app.config)
    if len(rows) > PROGRESS_THRESHOLD:
        with click.progressbar(length=len(rows), label="Importing referrals", file=sys.stderr) as bar:
            report = bulk_import.import_referrals(db.session, SYSTEM, rows, skip_invalid, policy,
                                                  progress=lambda _n: bar.update(1))
    else:
        report = bulk_import.import_referrals(db.session, SYSTEM, rows, skip_invalid, policy)
    for line, _row, reason in report.rejected:
        click.echo(f"line {line}: {reason}", err=True)
    if report.rejected and not skip_invalid:
        db.session.rollback()
        raise click.ClickException(
            f"{len(report.rejected)} of {len(rows)} rows failed; nothing was imported. "
            "Fix them, or use --skip-invalid to import the valid rows.")
    db.session.commit()
    if report.rejected:
        rejects = path.with_name(f"{path.stem}.rejects.csv")
        with open(rejects, "w", newline="", encoding="utf-8") as handle:
            exports.write_rejects(handle, header, report.rejected)
        click.echo(f"{len(report.rejected)} rejected rows written to {rejects}")
    click.echo(f"Imported {report.imported}; already present {report.already_present}; "
               f"rejected {len(report.rejected)}.")


@click.group("ods")
def ods() -> None:
    """Organisations by ODS code."""


@ods.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(ORGANISATION_KINDS), required=True,
              help="What the file lists: epraccur.csv is gp_practice, etr.csv trust, ets.csv trust_site.")
def ods_load(path: Path, kind: str) -> None:
    """Load an ODS standard CSV file (no header row), adding organisations and updating those already known."""
    report = organisations.LoadReport()
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = organisations.read_ods_csv(handle, report)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise click.ClickException(f"{path.name} is not a readable UTF-8 CSV file: {exc}") from exc
    for line, problem in report.problems:
        click.echo(f"line {line}: {problem}; left out", err=True)
    organisations.load(db.session, SYSTEM, rows, kind, path.name, report)
    db.session.commit()
    click.echo(f"Added {report.added}; updated {report.updated}; left out {len(report.problems)}.")


@click.group("audit")
def audit() -> None:
    """Check the tamper-evident event log."""


@audit.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A head saved earlier by 'flask audit checkpoint', to detect removal of the newest events.")
def audit_verify(checkpoint_file: Path | None) -> None:
    """Verify the whole chain; exit 1 naming the first bad event. Says when the last checkpoint was taken."""
    try:
        expected = event_chain.Checkpoint.from_json(checkpoint_file.read_text()) if checkpoint_file else None
    except event_chain.InvalidCheckpoint as exc:
        click.echo(f"FAILED: checkpoint {checkpoint_file} refused: {exc}")
        sys.exit(1)
    # Each chunk in a short read transaction of its own (the engine's), so the service goes on while this runs.
    result = event_chain.verify(db.engine, expected, progress=lambda n: click.echo(f"  {n} events checked", err=True))
    if not result.ok:
        click.echo(f"FAILED at event {result.bad_seq}: {result.reason} ({result.count} events verified before it)")
    else:
        click.echo(f"OK: {result.count} events verified; head {result.head_hash}")
    max_age = timedelta(days=current_app.config["AUDIT_CHECKPOINT_MAX_AGE_DAYS"])
    status = event_chain.checkpoint_status(db.session, max_age)
    if status.taken_at is None:
        click.echo("No checkpoint has been taken: removal of the newest events cannot be detected.")
    else:
        click.echo(f"Last checkpoint taken {status.taken_at:%Y-%m-%d %H:%M} UTC (event {status.seq}).")
        if status.overdue:
            click.echo(f"WARNING: that is more than {max_age.days} days ago; take one daily (docs/operations.md).")
    if not result.ok:
        sys.exit(1)


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Record a checkpoint in the log and print the head (count, hash, time) signed with the chain's key, as JSON
    to keep outside the database."""
    point = event_chain.take_checkpoint(db.session, SYSTEM)
    db.session.commit()
    click.echo(point.to_json())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@click.group("sla")
def sla() -> None:
    """Service-level clocks."""


@sla.command("sweep")
def sla_sweep() -> None:
    """Escalate newly overdue clarifications, put lost contact after outreach on the senior review list, and queue
    the day's appointment reminders (for cron; running it twice escalates, flags and reminds each once)."""
    escalated = clarification.escalate_overdue(db.session)
    lost = outreach_follow_up.sweep(db.session)
    reminders = message_causes.queue_reminders(db.session, MessageSettings.from_mapping(current_app.config))
    db.session.commit()
    click.echo(f"Escalated {_count(len(escalated), 'overdue clarification')}.")
    click.echo(f"Found {_count(len(lost), 'lost contact')} after outreach.")
    click.echo(f"Queued {_count(len(reminders), 'appointment reminder')}.")


@click.group("facts")
def facts_group() -> None:
    """The reporting projection (referral_facts, outcome_facts)."""


@facts_group.command("rebuild")
def facts_rebuild() -> None:
    """Recompute referral_facts and outcome_facts from the event log alone (the reports read them)."""
    started, rows = time.perf_counter(), 0
    for written in fact_rebuild.steps(db.session):
        db.session.commit()  # each step a short transaction: the service goes on while this runs
        rows += written
    click.echo(f"Rebuilt {rows} referral facts in {time.perf_counter() - started:.1f} s.")


@click.group("equity")
def equity() -> None:
    """The equity KPIs (the wait gap, the improvement gap) and their governance."""


@equity.command("sweep")
def equity_sweep() -> None:
    """Open a governance item for each closed month whose wait gap or improvement gap breached its threshold or
    showed special cause, among months with enough people at each end to judge, and keep each closed month as
    first reported (for cron, nightly; running it twice opens and reports each once)."""
    opened = governance_sweep.sweep(db.session, Policy.from_mapping(current_app.config), datetime.now(UTC))
    db.session.commit()
    click.echo(f"Opened {_count(opened, 'governance item')}.")


def _month(_ctx, _param, value: str) -> str:
    if not governance.MONTH.match(value):
        raise click.BadParameter("use YYYY-MM, e.g. 2026-04")
    return value


@click.group("report")
def report() -> None:
    """Equity reports."""


@report.command("export")
@click.option("--from", "first", required=True, callback=_month, help="First month received, YYYY-MM")
@click.option("--to", "last", required=True, callback=_month, help="Last month received, YYYY-MM")
@click.option("--pathway", default=None, help="One pathway's code (default: all)")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
def report_export(first: str, last: str, pathway: str | None, fmt: str) -> None:
    """Print the dashboard's numbers for a period, suppressed for sharing, as JSON or CSV."""
    if first > last:
        raise click.BadParameter("--from must not be after --to", param_hint="--from")
    pathways = intake.active_pathway_codes(db.session)
    if pathway and pathway not in pathways:
        raise click.BadParameter(f"unknown pathway; one of {', '.join(pathways)}", param_hint="--pathway")
    period = Period(first, last, pathway)
    render = exports.report_json if fmt == "json" else exports.report_csv
    click.echo(render(replica.session(), period, Policy.from_mapping(current_app.config), [pathway] if pathway else
                      list(pathways)), nl=False)


@click.group("api-client")
def api_client() -> None:
    """System clients of the FHIR API (OAuth 2.0 client credentials)."""


@api_client.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(api_clients.SCOPES),
              help="A scope to grant; repeat for each.")
def api_client_create(name: str, scopes: tuple[str, ...]) -> None:
    """Add a client and print its id and secret: the secret is shown this once and stored only as a hash."""
    try:
        client, secret = api_clients.create_client(db.session, SYSTEM, name, scopes)
    except InvalidInput as exc:
        raise click.ClickException("; ".join(exc.errors.values())) from exc
    db.session.commit()
    click.echo(f"Created API client {client.name} with {client.scopes}.")
    click.echo(f"client_id: {client.client_id}")
    click.echo(f"client_secret: {secret}")
    click.echo("Keep the secret now: it cannot be shown again.")


@api_client.command("deactivate")
@click.argument("client_id")
def api_client_deactivate(client_id: str) -> None:
    """Stop a client: no new token, and its current token is refused from its next request."""
    try:
        api_clients.deactivate_client(db.session, SYSTEM, client_id)
    except InvalidInput as exc:
        raise click.ClickException("; ".join(exc.errors.values())) from exc
    db.session.commit()
    click.echo(f"Deactivated API client {client_id}.")


@facts_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def facts_export(directory: Path) -> None:
    """Write referral_facts and outcome_facts, pseudonymised, as Parquet files in DIRECTORY for a columnar engine
    (read from the replica when there is one; docs/operations.md, "Where one machine is outgrown")."""
    started = time.perf_counter()
    for name, rows in columnar.export(replica.session().get_bind(), directory).items():
        click.echo(f"Wrote {_count(rows, 'row')} to {directory / name}.")
    click.echo(f"Exported in {time.perf_counter() - started:.1f} s.")
