"""Every NHS attendance code (arrived late and seen, arrived late and not seen), and the DNAs no booking has
followed yet: appointments.status takes the two new outcomes; referral_facts and its counts count arrivals too late
to be seen; unrebooked_dnas holds each referral's missed starts that no booking has followed, filled from the event
log by a frozen copy of the projection's rule, so the rebooking measure can leave out the DNAs still in their 14 days.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 12:00:00

"""
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

OLD_STATUSES = ("booked", "attended", "dna", "cancelled_patient", "cancelled_service")
STATUSES = ("booked", "attended", "attended_late", "late_not_seen", "dna", "cancelled_patient", "cancelled_service")


def _status_check(batch_op, statuses) -> None:
    batch_op.drop_constraint(batch_op.f('ck_appointments_status'), type_='check')
    batch_op.create_check_constraint('status', f"status IN ({', '.join(repr(s) for s in statuses)})")


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        _status_check(batch_op, STATUSES)
    for name in ('referral_facts', 'referral_fact_counts'):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('arrived_late_not_seen', sa.Integer(), server_default='0', nullable=False))
    op.create_table('unrebooked_dnas',
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('missed_at', sa.DateTime(), nullable=False),
    sa.Column('dnas', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_unrebooked_dnas_referral_id_referrals')),
    sa.PrimaryKeyConstraint('referral_id', 'missed_at', name=op.f('pk_unrebooked_dnas'))
    )
    with op.batch_alter_table('unrebooked_dnas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unrebooked_dnas_missed_at'), ['missed_at'], unique=False)
    bind = op.get_bind()
    events = sa.table("events", sa.column("seq", sa.Integer), sa.column("action", sa.String),
                      sa.column("occurred_at", sa.DateTime), sa.column("referral_id", sa.Integer),
                      sa.column("data", sa.Text))
    rows = bind.execute(sa.select(events.c.action, events.c.occurred_at, events.c.referral_id, events.c.data)
                        .where(events.c.referral_id.is_not(None), events.c.action.in_((DNA, BOOKED)))
                        .order_by(events.c.seq))
    unrebooked = sa.table("unrebooked_dnas", sa.column("referral_id", sa.Integer),
                          sa.column("missed_at", sa.DateTime), sa.column("dnas", sa.Integer))
    found = [{"referral_id": rid, "missed_at": at, "dnas": n} for rid, starts in replay(rows).items()
             for at, n in sorted(starts.items())]
    for start in range(0, len(found), 5000):
        bind.execute(unrebooked.insert(), found[start:start + 5000])


def downgrade():
    with op.batch_alter_table('unrebooked_dnas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unrebooked_dnas_missed_at'))
    op.drop_table('unrebooked_dnas')
    for name in ('referral_fact_counts', 'referral_facts'):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column('arrived_late_not_seen')
    # The old schema has neither new outcome: arrived late and seen was a contact (attended); arrived too late to be
    # seen was neither a contact nor a DNA, as near as the old codes go to a cancellation by the patient. The event
    # log keeps what was recorded.
    op.execute("UPDATE appointments SET status = 'attended' WHERE status = 'attended_late'")
    op.execute("UPDATE appointments SET status = 'cancelled_patient' WHERE status = 'late_not_seen'")
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        _status_check(batch_op, OLD_STATUSES)


# Frozen copy of domain.facts.unfollowed as of this revision, with what it reads from the log: the migration must
# project as the app did then, whatever domain.facts says later.
DNA, BOOKED = "appointment.dna", "appointment.booked"


def _utc(value) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def replay(rows) -> dict[int, Counter]:
    """Each referral's missed starts (naive UTC, as stored) that no booking has followed: none made since, for a
    later start. A past contact recorded after the fact (retrospective) was booked no later than its start."""
    missed, booked = defaultdict(list), defaultdict(list)
    for action, occurred_at, referral_id, data in rows:
        data = json.loads(data) if isinstance(data, str) else data
        starts = _utc(data["starts_at"])
        if action == DNA:
            missed[referral_id].append(starts)
        else:
            booked[referral_id].append((starts if data.get("retrospective") else _utc(occurred_at), starts))
    found = {}
    for rid, starts in missed.items():
        left = [dna for dna in starts if not any(made >= dna and later > dna for made, later in booked[rid])]
        if left:
            found[rid] = Counter(dna.replace(tzinfo=None) for dna in left)
    return found
