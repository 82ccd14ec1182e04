"""A role's home page board: figures, next steps and the data of the area's partial template.

Each area builds its board in its `home.py`; `portal.home` picks the one for the user (it imports the areas,
never the reverse).
"""

from dataclasses import dataclass, field

from markupsafe import Markup

from portal.extensions import db


@dataclass
class Board:
    role: str
    partial: str | None = None  # the area's template for the rest of the page
    stats: list = field(default_factory=list)  # (label, value, css hint)
    actions: list = field(default_factory=list)  # (label, url) next steps
    data: dict = field(default_factory=dict)  # whatever the area's partial needs
    html: Markup | None = None  # the rest of the page already rendered (instead of partial and data)


def count(query) -> int:
    return db.session.scalar(query) or 0
