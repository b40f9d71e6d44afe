"""Messages through GOV.UK Notify: each patient's contact details (and their carer's or advocate's), and the outbox
messages are written to in the transaction of the event that calls for them. Schema only: new tables.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 18:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None

KINDS = ("appointment_confirmation", "appointment_reminder", "rebooking_offer", "clarification_request")
CHANNELS = ("sms", "email", "letter")
STATUSES = ("queued", "sending", "sent", "delivered", "permanent_failure", "temporary_failure", "technical_failure",
            "failed", "withheld")
ADDRESSEES = ("patient", "carer", "referrer")


def _one_of(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table(
        'contact_details',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('mobile', sa.String(length=20), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('address_lines', sa.JSON(), nullable=False),
        sa.Column('carer_name', sa.String(length=120), nullable=True),
        sa.Column('carer_mobile', sa.String(length=20), nullable=True),
        sa.Column('carer_email', sa.String(length=320), nullable=True),
        sa.Column('carer_address_lines', sa.JSON(), nullable=False),
        sa.Column('carer_postcode', sa.String(length=8), nullable=True),
        sa.Column('updated_by', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_contact_details_patient_id_patients')),
        sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_contact_details_updated_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_details')),
        sa.UniqueConstraint('patient_id', name=op.f('uq_contact_details_patient_id')),
    )
    op.create_table(
        'outbox_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('dedupe_key', sa.String(length=120), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=True),
        sa.Column('appointment_id', sa.Integer(), nullable=True),
        sa.Column('clarification_id', sa.Integer(), nullable=True),
        sa.Column('cause_seq', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=8), nullable=True),
        sa.Column('template', sa.String(length=24), nullable=True),
        sa.Column('addressed_to', sa.String(length=12), nullable=False),
        sa.Column('recipient', sa.String(length=320), nullable=True),
        sa.Column('personalisation', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('withheld_reason', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.Column('notify_id', sa.String(length=36), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('queued_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('status_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint(_one_of('kind', KINDS), name=op.f('ck_outbox_messages_kind')),
        sa.CheckConstraint(f"channel IS NULL OR {_one_of('channel', CHANNELS)}", name=op.f('ck_outbox_messages_channel')),
        sa.CheckConstraint(_one_of('status', STATUSES), name=op.f('ck_outbox_messages_status')),
        sa.CheckConstraint(_one_of('addressed_to', ADDRESSEES), name=op.f('ck_outbox_messages_addressed_to')),
        sa.CheckConstraint("(status = 'withheld') = (withheld_reason IS NOT NULL)",
                           name=op.f('ck_outbox_messages_withheld_with_reason')),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                                name=op.f('fk_outbox_messages_appointment_id_appointments')),
        sa.ForeignKeyConstraint(['clarification_id'], ['clarifications.id'],
                                name=op.f('fk_outbox_messages_clarification_id_clarifications')),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_outbox_messages_patient_id_patients')),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_outbox_messages_referral_id_referrals')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_messages_dedupe_key')),
        sa.UniqueConstraint('notify_id', name=op.f('uq_outbox_messages_notify_id')),
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_appointment_id'), ['appointment_id'], unique=False)


def downgrade():
    op.drop_table('outbox_messages')
    op.drop_table('contact_details')
