"""search: the built-in synonym table (核磁, 内镜, CT …) belongs to every deployment, not only the demo

Revision ID: 0004_search
Revises: 0004_ui
Create Date: 2026-12-02 17:50:00

"""
from alembic import op
import sqlalchemy as sa

from portal.core.types import UTCDateTime, now_default
from portal.search.analysis import fold
from portal.search.synonyms import BUILTIN

revision = '0004_search'
down_revision = '0004_ui'
branch_labels = None
depends_on = None

synonym = sa.table(
    'synonym',
    sa.column('term', sa.String),
    sa.column('expansions', sa.JSON),
    sa.column('created_at', UTCDateTime()),
)


def _key(term):
    return fold(term).strip()


def upgrade():
    """Add the built-in terms that are missing; a term an admin (or the demo seed) already has is kept."""
    bind = op.get_bind()
    existing = {_key(term) for (term,) in bind.execute(sa.select(synonym.c.term))}
    now = now_default()
    rows = [
        {'term': term, 'expansions': list(expansions), 'created_at': now}
        for term, expansions in BUILTIN.items()
        if _key(term) not in existing
    ]
    if rows:
        op.bulk_insert(synonym, rows)


def downgrade():
    """Remove the built-in terms nobody changed."""
    bind = op.get_bind()
    for term, expansions in bind.execute(sa.select(synonym.c.term, synonym.c.expansions)).all():
        if BUILTIN.get(term) == expansions:
            bind.execute(synonym.delete().where(synonym.c.term == term))
