"""referral_facts.adjustment_in_place (the patient had a reasonable adjustment active while the referral was open)
from the event log, by the same pure replay as `flask facts rebuild`; then every count of referral_fact_counts,
by the rebuild's own SQL. (A later revision that adds a count takes this recount over, as this one took 0009's.)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:30:00

"""
import sqlalchemy as sa
from alembic import op

# Pure functions over event rows and referral_facts: the migration projects and counts as the app does.
from inclusive_access.domain.fact_counts import recount
from inclusive_access.domain.facts import PATIENT_ACTIONS, replay

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referral_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adjustment_in_place', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('referral_fact_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referrals_with_adjustment', sa.Integer(), server_default='0',
                                      nullable=False))
    bind = op.get_bind()
    events = sa.table("events", sa.column("seq", sa.Integer), sa.column("action", sa.String),
                      sa.column("occurred_at", sa.DateTime), sa.column("referral_id", sa.Integer),
                      sa.column("patient_id", sa.Integer), sa.column("data", sa.Text))
    rows = bind.execute(sa.select(events.c.action, events.c.occurred_at, events.c.referral_id, events.c.patient_id,
                                  events.c.data)
                        .where(sa.or_(events.c.referral_id.is_not(None), events.c.action.in_(sorted(PATIENT_ACTIONS))))
                        .order_by(events.c.seq))
    adjusted = [rid for rid, fact in replay(rows).items() if fact["adjustment_in_place"]]
    facts = sa.table("referral_facts", sa.column("referral_id", sa.Integer),
                     sa.column("adjustment_in_place", sa.Boolean))
    for start in range(0, len(adjusted), 5000):
        bind.execute(facts.update().where(facts.c.referral_id.in_(adjusted[start:start + 5000]))
                     .values(adjustment_in_place=True))
    recount(bind)


def downgrade():
    with op.batch_alter_table('referral_fact_counts', schema=None) as batch_op:
        batch_op.drop_column('referrals_with_adjustment')
    with op.batch_alter_table('referral_facts', schema=None) as batch_op:
        batch_op.drop_column('adjustment_in_place')
