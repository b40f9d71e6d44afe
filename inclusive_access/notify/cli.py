"""`flask notify`: queue the day's reminders, send the outbox, and ask Notify what became of what was sent."""
import time
from datetime import UTC, datetime

import click
from flask import current_app

from inclusive_access.domain import message_causes, message_statuses
from inclusive_access.domain.notify_sending import NotifyUnauthorised
from inclusive_access.domain.outbox import MessageSettings
from inclusive_access.extensions import db
from inclusive_access.notify import status_poll
from inclusive_access.notify.gateway import NotifyGateway
from inclusive_access.notify.worker import send_due


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _gateway() -> NotifyGateway:
    """The configured connection to Notify; a missing or malformed key stops the command, saying what to set."""
    if not current_app.config.get("NOTIFY_API_KEY"):
        raise click.ClickException("NOTIFY_API_KEY is not set: nothing is sent, messages wait in the outbox. "
                                   "Set it to the service's Notify API key (docs/operations.md, GOV.UK Notify).")
    try:
        return NotifyGateway(current_app.config["NOTIFY_API_KEY"], current_app.config["NOTIFY_BASE_URL"])
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("notify")
def notify() -> None:
    """Messages and letters through GOV.UK Notify (docs/operations.md)."""


@notify.command("remind")
def notify_remind() -> None:
    """Queue a reminder for each booked appointment NOTIFY_REMINDER_DAYS London days ahead (for cron, nightly, or
    through `flask sla sweep`; running it twice queues each once)."""
    queued = message_causes.queue_reminders(db.session, MessageSettings.from_mapping(current_app.config))
    db.session.commit()
    click.echo(f"Queued {_count(len(queued), 'appointment reminder')}.")


@notify.command("send")
@click.option("--loop", "every", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Keep sending, looking for due messages every SECONDS (where no cron runs it).")
def notify_send(every: float | None) -> None:
    """Send the outbox's due messages through Notify, at most once each: retried with backoff when Notify is down
    or busy, failed when it refuses them (for cron, every minute or so; or --loop)."""
    gateway = _gateway()
    try:
        settings = MessageSettings.from_mapping(current_app.config)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    while True:
        try:
            tally = send_due(db.session, gateway, settings)
        except NotifyUnauthorised as exc:
            raise click.ClickException(f"{exc}. Nothing more was sent; the messages stay due. Check NOTIFY_API_KEY "
                                       "(a revoked, expired or mistyped key) and NOTIFY_BASE_URL.") from exc
        click.echo(f"Sent {tally['sent']}; to retry later {tally['retry']}; failed {tally['failed']}.")
        if every is None:
            return
        time.sleep(every)


@notify.command("statuses")
def notify_statuses() -> None:
    """Ask Notify what became of the messages sent in the last 7 days whose outcome is not known yet, and record it
    (for cron, e.g. every 15 minutes; a status already recorded, by this or by Notify's callback, is not recorded
    again)."""
    counts = status_poll.poll(db.session, _gateway().client.get_notification_by_id, datetime.now(UTC))
    click.echo(f"Recorded {_count(counts[message_statuses.RECORDED], 'new outcome')}; "
               f"{counts[message_statuses.REPEATED] + counts[message_statuses.LATE]} already known; "
               f"{counts[message_statuses.IN_PROGRESS_ONLY]} still in progress.")
    if counts[status_poll.UNREACHABLE]:
        click.echo(f"Notify did not answer for {_count(counts[status_poll.UNREACHABLE], 'message')}: "
                   "they are asked again next time.", err=True)
