"""Equity of reach as SQL aggregations: the outbox's messages per status by segment, format and addressee, and
appointments that took place, reminded or not, with their DNAs (the database groups; Python only turns counts into
rates).

Who counts for what (the page's "How it was counted" says it too):
- a message belongs to the months it was queued in (UK), and to the referral it is about (its own, or its
  appointment's): the segments are that referral's as snapshotted at receipt (referral_facts); a message about no
  referral is its own group;
- an appointment belongs to the months it started in (UK) and counts once it took place (attended, arrived late,
  did not attend: domain.appointments.TOOK_PLACE); it was reminded when an appointment_reminder for it reached
  Notify (status sent or delivered) before it started; DNA rate = DNAs / took place.
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from inclusive_access.domain.appointments import TOOK_PLACE
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Appointment, OutboxMessage, ReferralFact
from inclusive_access.reporting.periods import months_back
from inclusive_access.reporting.queries import SEGMENTS, Period

M = OutboxMessage
A = Appointment
F = ReferralFact

#: the page's statuses, each of the outbox's statuses in one: waiting to go (queued, or claimed by a worker), accepted
#: by Notify with no outcome yet, delivered, failed (Notify's failures, or given up before Notify accepted it), and
#: withheld (no safe route recorded)
STATUS_GROUPS = {
    "queued": ("queued", "sending"),
    "sent": ("sent",),
    "delivered": ("delivered",),
    "failed": ("permanent_failure", "temporary_failure", "technical_failure", "failed"),
    "withheld": ("withheld",),
}
#: every count a message group has: all its messages, then each status group (which sum to it)
MESSAGE_COUNTS = ("messages", *STATUS_GROUPS)
#: a reminder counts once Notify has accepted it, unless it failed since
REMINDED_STATUSES = ("sent", "delivered")
#: every count an appointment group has
DNA_COUNTS = ("reminded_took_place", "reminded_dnas", "unreminded_took_place", "unreminded_dnas")
#: the breakdowns of messages by how they were sent, beside the referral's segments
FORMAT = "format"
ADDRESSEE = "addressee"
#: the group of messages about no referral, in a segment breakdown
NO_REFERRAL = "no_referral"

#: the referral a message is about: its own, or its appointment's
MESSAGE_REFERRAL = func.coalesce(M.referral_id, A.referral_id)
UNLINKED = F.referral_id.is_(None)
#: an appointment_reminder for the appointment accepted by Notify before it started
REMINDED = exists().where(M.appointment_id == A.id, M.kind == "appointment_reminder",
                          M.status.in_(REMINDED_STATUSES), func.coalesce(M.sent_at, M.status_at) < A.starts_at)
DNA = A.status == "dna"


def _count(condition):
    return func.count(case((condition, 1)))


MESSAGE_AGGREGATES = {"messages": func.count(M.id),
                      **{name: _count(M.status.in_(statuses)) for name, statuses in STATUS_GROUPS.items()}}
DNA_AGGREGATES = {"reminded_took_place": _count(REMINDED), "reminded_dnas": _count(and_(REMINDED, DNA)),
                  "unreminded_took_place": _count(~REMINDED), "unreminded_dnas": _count(and_(~REMINDED, DNA))}


def _month_start(month: str) -> datetime:
    return datetime.combine(date.fromisoformat(f"{month}-01"), time(0), LONDON).astimezone(UTC)


@dataclass(frozen=True)
class Scope:
    """The period's months (UK) and pathway: messages queued and appointments starting in them."""

    period: Period

    def between(self) -> tuple[datetime, datetime]:
        """The UTC instants the months run between: the first's midnight, and the month after the last's."""
        return _month_start(self.period.first), _month_start(months_back(self.period.last, 0))

    def pathway(self) -> list:
        return [F.pathway == self.period.pathway] if self.period.pathway else []


def _rows(session: Session, query, names: tuple[str, ...], grouped: bool) -> dict:
    return {row.key if grouped else None: {name: getattr(row, name) for name in names}
            for row in session.execute(query) if not grouped or any(getattr(row, name) for name in names)}


def messages_by(session: Session, scope: Scope, breakdown: str | None) -> dict[object, dict]:
    """MESSAGE_COUNTS per value of the breakdown, for values with any message: a segment's values as
    referral_facts holds them (and NO_REFERRAL), a format's template (None: withheld, no format), an addressee's
    name; None as the breakdown gives every message, keyed None."""
    first, after = scope.between()
    aggregates = [value.label(name) for name, value in MESSAGE_AGGREGATES.items()]
    base = (select().select_from(M).outerjoin(A, A.id == M.appointment_id)
            .outerjoin(F, F.referral_id == MESSAGE_REFERRAL)
            .where(M.queued_at >= first, M.queued_at < after, *scope.pathway()))
    if breakdown is None:
        return _rows(session, base.add_columns(*aggregates), MESSAGE_COUNTS, grouped=False)
    if breakdown in (FORMAT, ADDRESSEE):
        key = M.template if breakdown == FORMAT else M.addressed_to
        return _rows(session, base.add_columns(key.label("key"), *aggregates).group_by(key), MESSAGE_COUNTS, True)
    key = case((UNLINKED, NO_REFERRAL), else_=None)
    column = SEGMENTS[breakdown]
    query = base.add_columns(key.label("unlinked"), column.label("key"), *aggregates).group_by(key, column)
    found = {}
    for row in session.execute(query):
        found[NO_REFERRAL if row.unlinked else row.key] = {name: getattr(row, name) for name in MESSAGE_COUNTS}
    return found


def appointments_by(session: Session, scope: Scope, segment: str | None) -> dict[object, dict]:
    """DNA_COUNTS per value of the segment (None: every appointment, keyed None), over the appointments that
    started in the period and took place."""
    first, after = scope.between()
    aggregates = [value.label(name) for name, value in DNA_AGGREGATES.items()]
    base = (select().select_from(A).join(F, F.referral_id == A.referral_id)
            .where(A.starts_at >= first, A.starts_at < after, A.status.in_(TOOK_PLACE), *scope.pathway()))
    if segment is None:
        return _rows(session, base.add_columns(*aggregates), DNA_COUNTS, grouped=False)
    column = SEGMENTS[segment]
    return _rows(session, base.add_columns(column.label("key"), *aggregates).group_by(column), DNA_COUNTS, True)
