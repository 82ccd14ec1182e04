"""Links leaving the site (calendar feed, mail) follow the serving address unless PORTAL_BASE_URL is set."""

import re

from portal.core import links
from portal.notifications import services
from portal.notifications.models import OutboxMail
from tests.conftest import PASSWORD
from tests.factories_assessments import build_two_hospitals

SERVED = "http://127.0.0.1:8080"  # PORT=8080 make run


def _feed(client, two, base_url):
    client.post("/login", data={"email": two["user_a"].email, "password": PASSWORD}, base_url=base_url)
    html = client.post("/assessments/calendar", base_url=base_url).get_data(as_text=True)
    url = re.search(r'value="(http[^"]+\.ics)"', html).group(1)
    client.post("/logout", base_url=base_url)
    body = client.get(url.removeprefix(base_url), base_url=base_url).get_data(as_text=True)
    return url, body.replace("\r\n ", "")


def test_calendar_links_follow_the_serving_address(app, db, client, make_catalogue, make_hospital, make_user):
    two = build_two_hospitals(make_catalogue, make_hospital, make_user)
    url, body = _feed(client, two, SERVED)
    assert url.startswith(f"{SERVED}/calendar/")
    assert f"URL:{SERVED}/assessments?batch={two['batch'].id}" in body
    assert ":8000" not in body


def test_configured_base_url_wins(app, db, client, make_catalogue, make_hospital, make_user):
    app.config["PORTAL_BASE_URL"] = "https://xinyou.example.cn/"
    two = build_two_hospitals(make_catalogue, make_hospital, make_user)
    _url, body = _feed(client, two, SERVED)
    assert f"URL:https://xinyou.example.cn/assessments?batch={two['batch'].id}" in body


def test_mail_links_in_a_request_and_from_commands(app, db, make_user):
    app.config["PORTAL_MAIL_SERVER"] = "mail.example.cn:2525"
    user = make_user()
    with app.test_request_context("/", base_url=SERVED):
        services.notify([user], "通知", "", "/assessments")
    services.notify([user], "通知", "", "/notifications")  # a command: no request
    db.session.commit()
    bodies = db.session.scalars(db.select(OutboxMail.body).order_by(OutboxMail.id)).all()
    assert bodies == [f"{SERVED}/assessments", f"{links.FALLBACK_BASE_URL}/notifications"]
