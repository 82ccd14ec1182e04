"""login throttle: attempts counted per bucket in one atomic upsert

Revision ID: 0004_sec
Revises: 0004_match
Create Date: 2026-12-02 17:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004_sec'
down_revision = '0004_match'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle')),
    )


def downgrade():
    op.drop_table('login_throttle')
