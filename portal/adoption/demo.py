"""Demo adoption data: the demo hospitals equip what they admitted and report its use, through the services."""

from datetime import timedelta

import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.adoption import services
from portal.adoption.models import Equipping, ProcurementRoute
from portal.adoption.months import recent_months
from portal.assessments.models import Assessment, Outcome
from portal.core import timeutil
from portal.extensions import db
from portal.workflow import AssessmentState

ROUTES = (ProcurementRoute.TENDER, ProcurementRoute.ONLINE, ProcurementRoute.NEGOTIATED)
MONTHLY_USES = (18, 26, 9, 31)


def seed_adoption(now=None) -> int:
    """Equip each admitted demo assessment a few days after its decision and report every month since; returns
    how many were equipped (0 on a second run: only assessments without equipping are touched)."""
    today = timeutil.today_shanghai(now)
    users = {u.hospital_id: u for u in db.session.scalars(sa.select(User).where(User.role == Role.HOSPITAL))}
    admitted = db.session.scalars(
        sa.select(Assessment)
        .where(
            Assessment.state == AssessmentState.DECIDED,
            Assessment.outcome == Outcome.ADMITTED,
            ~sa.exists(sa.select(1).where(Equipping.assessment_id == Assessment.id)),
        )
        .order_by(Assessment.id)
    ).all()
    done = 0
    for n, assessment in enumerate(admitted):
        user = users.get(assessment.hospital_id)
        if user is None:
            continue
        equipped_on = min(timeutil.today_shanghai(assessment.decided_at) + timedelta(days=3), today)
        services.record_equipped(user, assessment, equipped_on, ROUTES[n % len(ROUTES)], "演示数据", now=now)
        months = recent_months(today, 12)
        for k, month in enumerate(m for m in months if m >= f"{equipped_on:%Y-%m}"):
            services.report_usage(user, assessment, month, MONTHLY_USES[(n + k) % len(MONTHLY_USES)], now=now)
        done += 1
    return done
