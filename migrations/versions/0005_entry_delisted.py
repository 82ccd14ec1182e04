"""entry: index for the latest delistings across catalogues

Revision ID: 0005_entry_delisted
Revises: 0004_adopt
Create Date: 2026-12-02 21:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005_entry_delisted'
down_revision = '0004_adopt'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_entry_status_catalogue_delisted', 'entry', ['status', 'catalogue_id', 'delisted_on'], unique=False)


def downgrade():
    op.drop_index('ix_entry_status_catalogue_delisted', table_name='entry')
