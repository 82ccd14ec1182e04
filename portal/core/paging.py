"""Pages of results shaped like Flask-SQLAlchemy's Pagination for the `pager` macro."""

from dataclasses import dataclass
from math import ceil

import sqlalchemy as sa

from portal.extensions import db


class PageNumbers:
    """What the `pager` macro reads, worked out from `page`, `per_page` and `total` (set by the subclass)."""

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


@dataclass
class RowsPage(PageNumbers):
    items: list
    page: int
    per_page: int
    total: int


def clamp(page: int, per_page: int, total: int) -> int:
    """`page` within 1 … the last page (a number past the end shows the last page)."""
    return min(max(page, 1), max(1, ceil(total / per_page)))


def paginate_rows(
    query: sa.Select, page: int, per_page: int, *, total: int | None = None, scalars: bool = False
) -> RowsPage:
    """One page of `query`'s rows (its first column's values with `scalars`); `total` may be passed when an
    aggregate already knows it."""
    if total is None:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    page = clamp(page, per_page, total)
    result = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    return RowsPage((result.scalars() if scalars else result).all(), page, per_page, total)
