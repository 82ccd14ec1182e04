"""scale-out: per-index cursors on the search log, attachment bytes in the database

Revision ID: 0004_scale
Revises: 0004_search
Create Date: 2026-12-02 18:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004_scale'
down_revision = '0004_search'
branch_labels = None
depends_on = None


def _index_change_autoincrement(on):
    # Cursors point into index_change by id: on SQLite ids must not be reused after pruning (AUTOINCREMENT).
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('index_change', recreate='always', table_kwargs={'sqlite_autoincrement': on}):
            pass


def upgrade():
    _index_change_autoincrement(True)
    op.create_table(
        'search_index_cursor',
        sa.Column('index_id', sa.String(length=32), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=300), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('index_id', name=op.f('pk_search_index_cursor')),
    )
    op.create_table(
        'attachment_chunk',
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['attachment_id'], ['attachment.id'],
            name=op.f('fk_attachment_chunk_attachment_id_attachment'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('attachment_id', 'seq', name=op.f('pk_attachment_chunk')),
    )


def downgrade():
    _index_change_autoincrement(False)
    op.drop_table('attachment_chunk')
    op.drop_table('search_index_cursor')
