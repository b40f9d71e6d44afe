"""Contact problems: a task for booking staff when a message fails permanently on the only route recorded for its
addressee (GOV.UK Notify's delivery statuses). Schema only: a new table.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 19:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

REASONS = ("no_working_route",)
OPEN = "closed_at IS NULL"


def upgrade():
    op.create_table(
        'contact_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=True),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=24), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('closed_by', sa.Integer(), nullable=True),
        sa.Column('outcome_note', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint(f"reason IN ({', '.join(repr(r) for r in REASONS)})", name=op.f('ck_contact_tasks_reason')),
        sa.CheckConstraint("closed_at IS NULL OR (closed_by IS NOT NULL AND outcome_note IS NOT NULL)",
                           name=op.f('ck_contact_tasks_closed_with_note')),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_contact_tasks_patient_id_patients')),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_contact_tasks_referral_id_referrals')),
        sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id'],
                                name=op.f('fk_contact_tasks_message_id_outbox_messages')),
        sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_contact_tasks_closed_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_tasks')),
    )
    with op.batch_alter_table('contact_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_contact_tasks_open', ['closed_at', 'opened_at'], unique=False)
        batch_op.create_index('uq_contact_tasks_one_open', ['patient_id', 'reason'], unique=True,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    op.drop_table('contact_tasks')
