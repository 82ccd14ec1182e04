"""Pages of result rows (several columns), shaped like Flask-SQLAlchemy's Pagination for the `pager` macro."""

from dataclasses import dataclass
from math import ceil

import sqlalchemy as sa

from portal.extensions import db


@dataclass
class RowsPage:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page)) if self.per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate_rows(query: sa.Select, page: int, per_page: int, *, total: int | None = None) -> RowsPage:
    """One page of `query`'s rows; `total` may be passed when an aggregate already knows it."""
    if total is None:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    page = min(max(page, 1), max(1, ceil(total / per_page)))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return RowsPage(rows, page, per_page, total)
