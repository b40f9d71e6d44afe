"""Crisis and urgent contacts: urgent_contacts records each emergency or crisis contact staff learn of, and
whether it followed a delay on the pathway; safeguarding concerns say the same of themselves (those raised before
this revision: not known).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 00:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

DELAY_ANSWERS = "followed_delay IN ('yes', 'no', 'not_known')"
DETAIL_ONLY_IF_DELAY = "followed_delay = 'yes' OR delay_detail IS NULL"


def upgrade():
    op.create_table('urgent_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=24), nullable=False),
    sa.Column('followed_delay', sa.String(length=9), nullable=False),
    sa.Column('delay_detail', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_role', sa.String(length=16), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('submission_token', sa.String(length=64), nullable=True),
    sa.CheckConstraint(DETAIL_ONLY_IF_DELAY, name=op.f('ck_urgent_contacts_delay_detail_only_if_delay')),
    sa.CheckConstraint(DELAY_ANSWERS, name=op.f('ck_urgent_contacts_followed_delay')),
    sa.CheckConstraint("kind IN ('ed_attendance', 'crisis_team', 'urgent_gp', 'admission')",
                       name=op.f('ck_urgent_contacts_kind')),
    sa.CheckConstraint("source IN ('patient', 'carer', 'gp_letter', 'ed_discharge_summary', 'crisis_team', 'other')",
                       name=op.f('ck_urgent_contacts_source')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_urgent_contacts_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_urgent_contacts_recorded_by_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_urgent_contacts_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_urgent_contacts')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_urgent_contacts_submission_token'))
    )
    with op.batch_alter_table('urgent_contacts', schema=None) as batch_op:
        batch_op.create_index('ix_urgent_contacts_patient_occurred', ['patient_id', 'occurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_urgent_contacts_referral_id'), ['referral_id'], unique=False)

    with op.batch_alter_table('safeguarding_concerns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followed_delay', sa.String(length=9), server_default='not_known',
                                      nullable=False))
        batch_op.add_column(sa.Column('delay_detail', sa.Text(), nullable=True))
        batch_op.create_check_constraint('followed_delay', DELAY_ANSWERS)
        batch_op.create_check_constraint('delay_detail_only_if_delay', DETAIL_ONLY_IF_DELAY)


def downgrade():
    with op.batch_alter_table('safeguarding_concerns', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_safeguarding_concerns_delay_detail_only_if_delay'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_safeguarding_concerns_followed_delay'), type_='check')
        batch_op.drop_column('delay_detail')
        batch_op.drop_column('followed_delay')

    with op.batch_alter_table('urgent_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_urgent_contacts_referral_id'))
        batch_op.drop_index('ix_urgent_contacts_patient_occurred')

    op.drop_table('urgent_contacts')
