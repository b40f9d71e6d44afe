"""Outcomes: questionnaire_responses keeps each completed questionnaire; outcome_facts each referral's baseline,
follow-up and improvement on each instrument; referral_facts says whether an urgent contact came within 30 days of
receipt or discharge. Schema only: no questionnaire was answered before this revision, and urgent contacts (0019)
came in the same release, so the new fact columns start false (`flask facts rebuild` recomputes them).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 02:30:03

"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outcome_facts',
    sa.Column('referral_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('instrument_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('better', sa.String(length=6), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('baseline_at', sa.DateTime(), nullable=True),
    sa.Column('baseline_score', sa.Float(), nullable=True),
    sa.Column('followup_at', sa.DateTime(), nullable=True),
    sa.Column('followup_score', sa.Float(), nullable=True),
    sa.Column('improved', sa.Boolean(), nullable=True),
    sa.Column('improved_at', sa.DateTime(), nullable=True),
    sa.Column('days_to_improvement', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_outcome_facts_referral_id_referrals')),
    sa.PrimaryKeyConstraint('referral_id', 'instrument_id', name=op.f('pk_outcome_facts'))
    )
    op.create_table('questionnaire_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.String(length=32), nullable=False),
    sa.Column('instrument_version', sa.Integer(), nullable=False),
    sa.Column('time_point', sa.String(length=16), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=False),
    sa.Column('mode', sa.String(length=24), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_role', sa.String(length=16), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('submission_token', sa.String(length=64), nullable=True),
    sa.CheckConstraint("(mode = 'patient_link') = (recorded_by IS NULL)",
                       name=op.f('ck_questionnaire_responses_author_matches_mode')),
    sa.CheckConstraint("mode IN ('in_person', 'telephone', 'telephone_interpreter', 'video', 'patient_link')",
                       name=op.f('ck_questionnaire_responses_mode')),
    sa.CheckConstraint("time_point IN ('first_contact', 'review', 'discharge')",
                       name=op.f('ck_questionnaire_responses_time_point')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'],
                            name=op.f('fk_questionnaire_responses_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_questionnaire_responses_recorded_by_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'],
                            name=op.f('fk_questionnaire_responses_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_responses')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_questionnaire_responses_submission_token'))
    )
    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.create_index('ix_questionnaire_responses_referral', ['referral_id', 'instrument_id', 'completed_at'],
                              unique=False)

    with op.batch_alter_table('referral_facts', schema=None) as batch_op:
        for name in ('urgent_contact_after_referral', 'urgent_contact_after_discharge'):
            batch_op.add_column(sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('referral_facts', schema=None) as batch_op:
        batch_op.drop_column('urgent_contact_after_discharge')
        batch_op.drop_column('urgent_contact_after_referral')

    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_questionnaire_responses_referral')

    op.drop_table('questionnaire_responses')
    op.drop_table('outcome_facts')
