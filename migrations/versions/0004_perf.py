"""assessment tally: per batch × hospital counts that compliance pages read

Revision ID: 0004_perf
Revises: 0003
Create Date: 2026-12-02 17:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004_perf'
down_revision = '0003'
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO assessment_tally (batch_id, hospital_id, total, decided, on_time, late, open, closed, due_min, due_max)
SELECT batch_id, hospital_id, COUNT(*),
       SUM(CASE WHEN state = 'decided' THEN 1 ELSE 0 END),
       SUM(CASE WHEN state = 'decided' AND NOT is_late THEN 1 ELSE 0 END),
       SUM(CASE WHEN state = 'decided' AND is_late THEN 1 ELSE 0 END),
       SUM(CASE WHEN state IN ('pending', 'in_review') THEN 1 ELSE 0 END),
       SUM(CASE WHEN state = 'closed' THEN 1 ELSE 0 END),
       MIN(due_at), MAX(due_at)
FROM assessment GROUP BY batch_id, hospital_id
"""


def upgrade():
    op.create_table('assessment_tally',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('decided', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('due_min', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_max', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_assessment_tally_batch_id_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospital.id'], name=op.f('fk_assessment_tally_hospital_id_hospital'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('batch_id', 'hospital_id', name=op.f('pk_assessment_tally'))
    )
    op.create_index('ix_assessment_tally_hospital', 'assessment_tally', ['hospital_id'], unique=False)
    op.execute(BACKFILL)


def downgrade():
    op.drop_index('ix_assessment_tally_hospital', table_name='assessment_tally')
    op.drop_table('assessment_tally')
