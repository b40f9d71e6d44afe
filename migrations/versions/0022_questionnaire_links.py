"""Patient links: questionnaire_links keeps each one-time link sent for a patient to answer a questionnaire on
their own phone (a hash of its secret, never the secret), link_throttles the refused link requests per source
address. Schema only: no link was sent before this revision.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 02:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('link_throttles',
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('window_started_at', sa.DateTime(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_link_throttles'))
    )
    op.create_table('questionnaire_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.String(length=32), nullable=False),
    sa.Column('time_point', sa.String(length=16), nullable=False),
    sa.Column('easy_read', sa.Boolean(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=False),
    sa.Column('issued_role', sa.String(length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('attempts_since', sa.DateTime(), nullable=True),
    sa.Column('submission_token', sa.String(length=64), nullable=True),
    sa.CheckConstraint("(used_at IS NULL) = (response_id IS NULL)",
                       name=op.f('ck_questionnaire_links_used_with_response')),
    sa.CheckConstraint("time_point IN ('first_contact', 'review', 'discharge')",
                       name=op.f('ck_questionnaire_links_time_point')),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_questionnaire_links_issued_by_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_questionnaire_links_patient_id_patients')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'],
                            name=op.f('fk_questionnaire_links_referral_id_referrals')),
    sa.ForeignKeyConstraint(['response_id'], ['questionnaire_responses.id'],
                            name=op.f('fk_questionnaire_links_response_id_questionnaire_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_links')),
    sa.UniqueConstraint('response_id', name=op.f('uq_questionnaire_links_response_id')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_questionnaire_links_secret_hash')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_questionnaire_links_submission_token'))
    )
    with op.batch_alter_table('questionnaire_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_links_referral_id'), ['referral_id'], unique=False)


def downgrade():
    with op.batch_alter_table('questionnaire_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_links_referral_id'))

    op.drop_table('questionnaire_links')
    op.drop_table('link_throttles')
