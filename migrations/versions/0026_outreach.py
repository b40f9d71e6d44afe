"""Outreach with partners: partners, venues, outreach sessions with their named clinicians, and the minimum records
completed at a venue until reconciled with the core record. Schema only: new tables, no rows before this revision.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 05:15:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=True),
    sa.Column('contact_email', sa.String(length=160), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('sharing_agreement', sa.Text(), nullable=False),
    sa.Column('sharing_agreement_review_on', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('voluntary', 'housing', 'other')", name=op.f('ck_partners_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('name', name=op.f('uq_partners_name'))
    )
    op.create_table('venues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('hostel', 'day_centre', 'community', 'other')", name=op.f('ck_venues_kind')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_venues_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venues')),
    sa.UniqueConstraint('name', name=op.f('uq_venues_name'))
    )
    op.create_table('outreach_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('partner_staff', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('planned_by', sa.Integer(), nullable=False),
    sa.Column('planned_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'cancelled')", name=op.f('ck_outreach_sessions_status')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_outreach_sessions_ends_after_start')),
    sa.ForeignKeyConstraint(['planned_by'], ['users.id'], name=op.f('fk_outreach_sessions_planned_by_users')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_outreach_sessions_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_sessions'))
    )
    with op.batch_alter_table('outreach_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_outreach_sessions_starts_at', ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_sessions_venue_id'), ['venue_id'], unique=False)

    op.create_table('outreach_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=True),
    sa.Column('name_is_alias', sa.Boolean(), nullable=False),
    sa.Column('approximate_age', sa.Integer(), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('nhs_number', sa.String(length=10), nullable=True),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('consent_to_share', sa.Boolean(), nullable=False),
    sa.Column('shared_with_partner_ids', sa.JSON(), nullable=False),
    sa.Column('presenting_need', sa.Text(), nullable=False),
    sa.Column('exploitation_risk', sa.String(length=9), nullable=False),
    sa.Column('self_neglect_risk', sa.String(length=9), nullable=False),
    sa.Column('safeguarding_detail', sa.Text(), nullable=True),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('action_agreed', sa.Text(), nullable=False),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('follow_up_plan', sa.Text(), nullable=True),
    sa.Column('reconciliation', sa.String(length=12), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('reconciled_by', sa.Integer(), nullable=True),
    sa.Column('reconciled_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(reconciliation = 'unreconciled') = (patient_id IS NULL)",
                       name=op.f('ck_outreach_records_patient_when_reconciled')),
    sa.CheckConstraint('(patient_id IS NULL) = (referral_id IS NULL)',
                       name=op.f('ck_outreach_records_referral_with_patient')),
    sa.CheckConstraint("exploitation_risk IN ('yes', 'no', 'not_known')",
                       name=op.f('ck_outreach_records_exploitation_risk')),
    sa.CheckConstraint("reconciliation IN ('unreconciled', 'matched', 'new_patient')",
                       name=op.f('ck_outreach_records_reconciliation')),
    sa.CheckConstraint("self_neglect_risk IN ('yes', 'no', 'not_known')",
                       name=op.f('ck_outreach_records_self_neglect_risk')),
    sa.CheckConstraint('approximate_age IS NULL OR approximate_age BETWEEN 0 AND 120',
                       name=op.f('ck_outreach_records_approximate_age')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_outreach_records_patient_id_patients')),
    sa.ForeignKeyConstraint(['reconciled_by'], ['users.id'], name=op.f('fk_outreach_records_reconciled_by_users')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_outreach_records_recorded_by_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_outreach_records_referral_id_referrals')),
    sa.ForeignKeyConstraint(['session_id'], ['outreach_sessions.id'],
                       name=op.f('fk_outreach_records_session_id_outreach_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_records')),
    sa.UniqueConstraint('client_key', name=op.f('uq_outreach_records_client_key'))
    )
    with op.batch_alter_table('outreach_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_records_nhs_number'), ['nhs_number'], unique=False)
        batch_op.create_index('ix_outreach_records_patient', ['patient_id', 'seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_records_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index('ix_outreach_records_reconciliation', ['reconciliation', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_records_session_id'), ['session_id'], unique=False)

    op.create_table('outreach_session_clinicians',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['outreach_sessions.id'],
                       name=op.f('fk_outreach_session_clinicians_session_id_outreach_sessions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outreach_session_clinicians_user_id_users')),
    sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_outreach_session_clinicians'))
    )
    with op.batch_alter_table('outreach_session_clinicians', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_session_clinicians_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('outreach_session_clinicians', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outreach_session_clinicians_user_id'))

    op.drop_table('outreach_session_clinicians')
    with op.batch_alter_table('outreach_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outreach_records_session_id'))
        batch_op.drop_index(batch_op.f('ix_outreach_records_referral_id'))
        batch_op.drop_index('ix_outreach_records_reconciliation')
        batch_op.drop_index('ix_outreach_records_patient')
        batch_op.drop_index(batch_op.f('ix_outreach_records_nhs_number'))

    op.drop_table('outreach_records')
    with op.batch_alter_table('outreach_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outreach_sessions_venue_id'))
        batch_op.drop_index('ix_outreach_sessions_starts_at')

    op.drop_table('outreach_sessions')
    op.drop_table('venues')
    op.drop_table('partners')
