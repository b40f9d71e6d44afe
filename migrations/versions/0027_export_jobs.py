"""FHIR bulk export: export_jobs keeps each $export request, its state and progress; events gain an index on
(occurred_at, seq), so an instant (an export's _since) is found in the log without scanning it. Schema only: a new
table, no rows before this revision, and an index.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 05:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('request_url', sa.Text(), nullable=False),
    sa.Column('types', sa.Text(), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('transaction_time', sa.DateTime(), nullable=True),
    sa.Column('head_seq', sa.Integer(), nullable=True),
    sa.Column('progress', sa.Text(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'cancelled', 'expired')",
                       name=op.f('ck_export_jobs_state')),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_export_jobs_client_id_api_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs')),
    sa.UniqueConstraint('job_id', name=op.f('uq_export_jobs_job_id'))
    )
    op.create_index('ix_export_jobs_state_client', 'export_jobs', ['state', 'client_id'])
    op.create_index('ix_events_occurred_seq', 'events', ['occurred_at', 'seq'])


def downgrade():
    op.drop_index('ix_events_occurred_seq', table_name='events')
    op.drop_index('ix_export_jobs_state_client', table_name='export_jobs')
    op.drop_table('export_jobs')
