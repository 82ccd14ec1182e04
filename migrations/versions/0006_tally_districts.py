"""assessment tally: the hospital's district and name copied in, ordered indexes, per batch × district rows

Revision ID: 0006_tally_districts
Revises: 0005_entry_delisted
Create Date: 2026-12-03 09:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006_tally_districts'
down_revision = '0005_entry_delisted'
branch_labels = None
depends_on = None

# Correlated subqueries rather than UPDATE … FROM: the same statement runs on SQLite and PostgreSQL.
COPY_HOSPITAL = """
UPDATE assessment_tally SET
    district = (SELECT hospital.district FROM hospital WHERE hospital.id = assessment_tally.hospital_id),
    name = (SELECT hospital.name FROM hospital WHERE hospital.id = assessment_tally.hospital_id)
"""

BACKFILL_DISTRICTS = """
INSERT INTO assessment_district_tally (batch_id, district, hospitals, hospitals_open, hospitals_late,
                                       total, decided, on_time, late, open, closed, due_min, due_max)
SELECT batch_id, district, COUNT(*),
       SUM(CASE WHEN open > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN late > 0 THEN 1 ELSE 0 END),
       SUM(total), SUM(decided), SUM(on_time), SUM(late), SUM(open), SUM(closed),
       MIN(due_min), MAX(due_max)
FROM assessment_tally GROUP BY batch_id, district
"""

ORDERED = {
    'ix_assessment_tally_past_due': ['batch_id', 'open DESC', 'late DESC', 'district', 'name', 'hospital_id'],
    'ix_assessment_tally_ahead': ['batch_id', 'late DESC', 'district', 'name', 'hospital_id'],
    'ix_assessment_tally_district': ['batch_id', 'district', 'open DESC', 'late DESC', 'name', 'hospital_id'],
}
PARTIAL = {
    'ix_assessment_tally_late': (['batch_id', 'open DESC', 'late DESC', 'district', 'name', 'hospital_id'], 'late > 0'),
    'ix_assessment_tally_open': (['batch_id', 'district', 'name', 'hospital_id'], 'open > 0'),
}


def _columns(names):
    return [sa.text(name) if ' ' in name else name for name in names]


def upgrade():
    with op.batch_alter_table('assessment_tally') as batch_op:
        batch_op.add_column(sa.Column('district', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('name', sa.String(length=128), nullable=True))
    op.execute(COPY_HOSPITAL)
    with op.batch_alter_table('assessment_tally') as batch_op:
        batch_op.alter_column('district', existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column('name', existing_type=sa.String(length=128), nullable=False)
    for name, columns in ORDERED.items():
        op.create_index(name, 'assessment_tally', _columns(columns), unique=False)
    for name, (columns, where) in PARTIAL.items():
        op.create_index(name, 'assessment_tally', _columns(columns), unique=False,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    op.create_table('assessment_district_tally',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=16), nullable=False),
    sa.Column('hospitals', sa.Integer(), nullable=False),
    sa.Column('hospitals_open', sa.Integer(), nullable=False),
    sa.Column('hospitals_late', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('decided', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('due_min', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_max', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_assessment_district_tally_batch_id_batch'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('batch_id', 'district', name=op.f('pk_assessment_district_tally'))
    )
    op.execute(BACKFILL_DISTRICTS)


def downgrade():
    op.drop_table('assessment_district_tally')
    for name in [*ORDERED, *PARTIAL]:
        op.drop_index(name, table_name='assessment_tally')
    with op.batch_alter_table('assessment_tally') as batch_op:
        batch_op.drop_column('name')
        batch_op.drop_column('district')
