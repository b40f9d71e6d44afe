"""flask fhir export-run: the bulk export worker (fhir/export_run.py), as a long-running process or once."""
import time
from datetime import timedelta

import click
from flask import current_app

from inclusive_access.extensions import db
from inclusive_access.fhir import export_run


@click.group("fhir")
def fhir() -> None:
    """The FHIR API's background work."""


@fhir.command("export-run")
@click.option("--once", is_flag=True, help="Run the queued exports and stop (cron, tests); otherwise keep polling.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls for queued exports.")
def export_run_command(once: bool, interval: float) -> None:
    """Write the files of queued bulk exports ($export), and remove expired ones."""
    folder = export_run.directory(current_app.config, current_app.instance_path)
    lifetime = timedelta(hours=current_app.config["FHIR_EXPORT_HOURS"])
    while True:
        ran = export_run.run_pending(db.session, db.engine, folder, current_app.extensions["instruments"], lifetime)
        if ran:
            click.echo(f"Ran {ran} export job{'s' if ran > 1 else ''}.")
        if once:
            return
        time.sleep(interval)
