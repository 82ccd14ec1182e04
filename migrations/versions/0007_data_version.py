"""data_version: the token of the latest committed write (portal.core.dataversion)

Revision ID: 0007_data_version
Revises: 0006_tally_districts
Create Date: 2026-12-03 07:00:00

"""
import secrets

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_data_version'
down_revision = '0006_tally_districts'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'data_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('token', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version')),
    )
    op.bulk_insert(table, [{'id': 1, 'token': secrets.randbits(62)}])


def downgrade():
    op.drop_table('data_version')
