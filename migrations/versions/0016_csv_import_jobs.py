"""Web CSV import: staged uploads, their row errors and progress.

An upload is staged as one import_jobs row and one import_rows row per line, checked by the import's rules; the
import then works through the valid rows in chunks, each chunk committing its referrals with the job's progress.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('header', sa.Text(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=True),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('valid_rows', sa.Integer(), nullable=False),
    sa.Column('invalid_rows', sa.Integer(), nullable=False),
    sa.Column('present_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('imported_rows', sa.Integer(), nullable=False),
    sa.Column('refused_rows', sa.Integer(), nullable=False),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('previewed', 'importing', 'imported')", name=op.f('ck_import_jobs_state')),
    sa.CheckConstraint("mode IS NULL OR mode IN ('all_or_nothing', 'valid_rows')", name=op.f('ck_import_jobs_mode')),
    sa.CheckConstraint("(state = 'previewed') = (mode IS NULL)", name=op.f('ck_import_jobs_mode_once_confirmed')),
    sa.CheckConstraint("mode <> 'all_or_nothing' OR invalid_rows = 0",
                       name=op.f('ck_import_jobs_all_or_nothing_all_valid')),
    sa.CheckConstraint('processed_rows <= valid_rows', name=op.f('ck_import_jobs_progress')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_import_jobs_uploaded_by_users')),
    sa.ForeignKeyConstraint(['confirmed_by'], ['users.id'], name=op.f('fk_import_jobs_confirmed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs'))
    )
    op.create_table('import_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('errors', sa.Text(), nullable=True),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('valid', 'present', 'invalid', 'refused', 'imported')",
                       name=op.f('ck_import_rows_status')),
    sa.CheckConstraint("(status = 'imported') = (referral_id IS NOT NULL)",
                       name=op.f('ck_import_rows_imported_has_referral')),
    sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], name=op.f('fk_import_rows_job_id_import_jobs')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_import_rows_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rows')),
    sa.UniqueConstraint('job_id', 'line', name='uq_import_rows_job_line')
    )
    op.create_index('ix_import_rows_job_status_line', 'import_rows', ['job_id', 'status', 'line'])


def downgrade():
    op.drop_index('ix_import_rows_job_status_line', table_name='import_rows')
    op.drop_table('import_rows')
    op.drop_table('import_jobs')
