"""The page header's parts that belong to the logged-in user: their role's links with the count of unread
notices, and who they are. The same on every page until the next write, so they are remembered per user
(core.fragments) and base.html asks for them; the logout form's CSRF token stays outside them."""

from flask_login import current_user
from markupsafe import Markup

from portal.core.fragments import FragmentMemo
from portal.notifications.services import unread_count

USER_LINKS = FragmentMemo("nav/_links.html", size=1024)
USER_WHO = FragmentMemo("nav/_who.html", size=1024)


def user_links() -> Markup:
    user = current_user
    return USER_LINKS.for_data((user.id,), lambda: {"role": user.role.value, "unread": unread_count(user)})


def user_who() -> Markup:
    user = current_user
    return USER_WHO.for_data(
        (user.id,), lambda: {"name": user.display_name, "role": user.role.label, "scope": user.scope_label}
    )
