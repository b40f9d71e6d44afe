"""Outcomes: questionnaire_responses keeps each completed questionnaire; outcome_facts each referral's baseline,
follow-up and improvement on each instrument; referral_facts says whether an urgent contact came within 30 days of
receipt or discharge, worked out here from the urgent contacts recorded under 0019 (none were answered before this
revision, so outcome_facts starts empty).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 02:30:03

"""
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# Frozen copy of domain.outcome_projection.urgent_within_30_days as of this revision: an urgent contact on the UK
# day of receipt (or discharge) or up to 30 days after it.
LONDON = ZoneInfo("Europe/London")
URGENT_WITHIN = timedelta(days=30)
FLAGS = ("urgent_contact_after_referral", "urgent_contact_after_discharge")

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
    _fill_urgent_flags()


def _within(moment, contacts) -> bool:
    if moment is None:
        return False
    day = moment.replace(tzinfo=UTC).astimezone(LONDON).date()  # stored as naive UTC
    return any(day <= contact <= day + URGENT_WITHIN for contact in contacts)


def _fill_urgent_flags():
    connection = op.get_bind()
    urgent = sa.table("urgent_contacts", sa.column("referral_id", sa.Integer), sa.column("occurred_on", sa.Date))
    contacts = {}
    for referral_id, occurred_on in connection.execute(sa.select(urgent.c.referral_id, urgent.c.occurred_on)):
        contacts.setdefault(referral_id, []).append(occurred_on)
    if not contacts:
        return
    facts = sa.table("referral_facts", sa.column("referral_id", sa.Integer), sa.column("received_at", sa.DateTime),
                     sa.column("discharged_at", sa.DateTime), *(sa.column(name, sa.Boolean) for name in FLAGS))
    rows = connection.execute(sa.select(facts.c.referral_id, facts.c.received_at, facts.c.discharged_at)
                              .where(facts.c.referral_id.in_(list(contacts)))).all()
    for referral_id, received_at, discharged_at in rows:
        flags = dict(zip(FLAGS, (_within(received_at, contacts[referral_id]),
                                 _within(discharged_at, contacts[referral_id])), strict=True))
        if any(flags.values()):
            connection.execute(facts.update().where(facts.c.referral_id == referral_id).values(**flags))


def downgrade():
    with op.batch_alter_table('referral_facts', schema=None) as batch_op:
        batch_op.drop_column('urgent_contact_after_discharge')
        batch_op.drop_column('urgent_contact_after_referral')

    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_questionnaire_responses_referral')

    op.drop_table('questionnaire_responses')
    op.drop_table('outcome_facts')
