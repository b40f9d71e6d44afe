"""Outreach follow-up: the concern a positive safeguarding screen raised when a minimum record was linked, and the
lost-contact sweep's judgement of each planned follow-up, with an index on the follow-ups it has yet to judge.
Schema only: new nullable columns (no record has been judged or has raised a concern before this revision).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 05:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

FOLLOW_UP_UNJUDGED = "follow_up_on IS NOT NULL AND referral_id IS NOT NULL AND follow_up_checked_at IS NULL"


def upgrade():
    with op.batch_alter_table('outreach_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safeguarding_concern_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('follow_up_checked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('contact_lost', sa.Boolean(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outreach_records_safeguarding_concern_id_safeguarding_concerns'),
                                    'safeguarding_concerns', ['safeguarding_concern_id'], ['id'])
        batch_op.create_check_constraint('follow_up_judged', '(follow_up_checked_at IS NULL) = (contact_lost IS NULL)')
        batch_op.create_index('ix_outreach_records_follow_up_due', ['follow_up_on'], unique=False,
                              sqlite_where=sa.text(FOLLOW_UP_UNJUDGED), postgresql_where=sa.text(FOLLOW_UP_UNJUDGED))


def downgrade():
    with op.batch_alter_table('outreach_records', schema=None) as batch_op:
        batch_op.drop_index('ix_outreach_records_follow_up_due', sqlite_where=sa.text(FOLLOW_UP_UNJUDGED),
                            postgresql_where=sa.text(FOLLOW_UP_UNJUDGED))
        batch_op.drop_constraint(batch_op.f('ck_outreach_records_follow_up_judged'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_outreach_records_safeguarding_concern_id_safeguarding_concerns'),
                                 type_='foreignkey')
        batch_op.drop_column('contact_lost')
        batch_op.drop_column('follow_up_checked_at')
        batch_op.drop_column('safeguarding_concern_id')
