"""Partnership review meetings with outreach partners: the meetings with the figures they reviewed, the partners
present and the actions agreed. Schema only: new tables, no rows before this revision.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 05:17:17

"""
import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partnership_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('learning', sa.Text(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('submission_token', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_partnership_reviews_period_in_order')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_partnership_reviews_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership_reviews')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_partnership_reviews_submission_token'))
    )
    with op.batch_alter_table('partnership_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_partnership_reviews_held_on', ['held_on', 'id'], unique=False)

    op.create_table('partnership_review_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lead_name', sa.String(length=120), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('added_by', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('done_by', sa.Integer(), nullable=True),
    sa.Column('submission_token', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('(done_on IS NULL) = (done_by IS NULL)',
                       name=op.f('ck_partnership_review_actions_done_with_who')),
    sa.ForeignKeyConstraint(['added_by'], ['users.id'], name=op.f('fk_partnership_review_actions_added_by_users')),
    sa.ForeignKeyConstraint(['done_by'], ['users.id'], name=op.f('fk_partnership_review_actions_done_by_users')),
    sa.ForeignKeyConstraint(['review_id'], ['partnership_reviews.id'],
                            name=op.f('fk_partnership_review_actions_review_id_partnership_reviews')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership_review_actions')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_partnership_review_actions_submission_token'))
    )
    with op.batch_alter_table('partnership_review_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partnership_review_actions_review_id'), ['review_id'], unique=False)

    op.create_table('partnership_review_partners',
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'],
                            name=op.f('fk_partnership_review_partners_partner_id_partners')),
    sa.ForeignKeyConstraint(['review_id'], ['partnership_reviews.id'],
                            name=op.f('fk_partnership_review_partners_review_id_partnership_reviews')),
    sa.PrimaryKeyConstraint('review_id', 'partner_id', name=op.f('pk_partnership_review_partners'))
    )
    with op.batch_alter_table('partnership_review_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partnership_review_partners_partner_id'), ['partner_id'], unique=False)



def downgrade():
    with op.batch_alter_table('partnership_review_partners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partnership_review_partners_partner_id'))

    op.drop_table('partnership_review_partners')
    with op.batch_alter_table('partnership_review_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partnership_review_actions_review_id'))

    op.drop_table('partnership_review_actions')
    with op.batch_alter_table('partnership_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_partnership_reviews_held_on')

    op.drop_table('partnership_reviews')
