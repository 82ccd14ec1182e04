"""What each role should do next, gathered for the home page.

Each role's board is built by its own area (`home.py` beside its services) and shown by that area's
`templates/<area>/_home.html` partial; the company's board adds the adoption of its listed products.
"""

from sqlalchemy import func, select

from portal.accounts.models import Role, User
from portal.adoption.home import supervisor_board
from portal.applications.home import manufacturer_board
from portal.assessments.home import add_company_adoption, hospital_board
from portal.catalogue.batches import running_notices
from portal.catalogue.models import Catalogue
from portal.catalogue.services import catalogue_sizes
from portal.core.board import Board, count
from portal.core.fragments import FragmentMemo
from portal.directory.models import Company, Hospital
from portal.publishing.feeds import catalogue_updates
from portal.review.home import reviewer_board


def _admin_board(user: User) -> Board:
    board = Board(role="admin", partial="admin/_home.html")
    for label, model in (("用户", User), ("企业", Company), ("医疗机构", Hospital), ("目录", Catalogue)):
        board.stats.append((label, count(select(func.count(model.id))), ""))
    board.data["catalogues"] = catalogue_sizes(user)
    return board


PUBLIC_UPDATES = 5
# The same for every visitor: remembered until the next write or the next day (notices end at midnight).
PUBLIC_FRONT = FragmentMemo("catalogue/_home.html", size=4)


def _public_board(user) -> Board:
    """A visitor's front page: search, what is on public notice, the latest updates, the catalogues."""

    def context() -> dict:
        data = {
            "catalogues": catalogue_sizes(user),
            "notices": running_notices(),
            "updates": catalogue_updates(limit=PUBLIC_UPDATES, entries=False),
        }
        return {"board": Board(role="public", data=data)}

    return Board(role="public", html=PUBLIC_FRONT.for_data((), context))


def dashboard_for(user) -> Board:
    if not user.is_authenticated:
        return _public_board(user)
    builders = {
        Role.MANUFACTURER: _company_board,
        Role.REVIEWER: reviewer_board,
        Role.HOSPITAL: hospital_board,
        Role.ADMIN: _admin_board,
        Role.SUPERVISOR: supervisor_board,
    }
    return builders[user.role](user)


def _company_board(user: User) -> Board:
    return add_company_adoption(manufacturer_board(user), user)
