"""Factories for adoption tests: admitted assessments reached through the assessment and adoption services."""

from datetime import date, timedelta

from openpyxl import Workbook

from portal.adoption import services
from portal.adoption.months import month_of
from portal.assessments.services import decide
from portal.core import timeutil
from portal.extensions import db
from tests.factories_assessments import assessments_of, build_two_hospitals


def days_ago(n: int) -> date:
    return timeutil.today_shanghai() - timedelta(days=n)


def this_month() -> str:
    return month_of(timeutil.today_shanghai())


def month_before(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year - 1}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"


def build_adoption(make_catalogue, make_hospital, make_user) -> dict:
    """Two hospitals of a city catalogue whose 4-entry batch was published 70 days ago; hospital A admitted its
    first entry (equipped 60 days ago), declined the second and left the rest open (overdue)."""
    world = build_two_hospitals(make_catalogue, make_hospital, make_user)
    from tests.factories_assessments import publish

    batch = publish(world["catalogue"], entries=4, days_ago=70, name="第一批")
    a = assessments_of(world["a"], batch)
    user = world["user_a"]
    decide(user, a[0], "admitted")
    decide(user, a[1], "declined", "院内同类设备尚在使用年限内")
    db.session.commit()
    services.record_equipped(user, a[0], days_ago(60), "tender")
    db.session.commit()
    world.update(old=batch, admitted=a[0], declined=a[1], open=a[2:], b_items=assessments_of(world["b"], batch))
    return world


def write_xlsx(path, header, rows) -> str:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return str(path)
