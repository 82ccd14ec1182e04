"""Telling hospitals that a catalogue update gave them new assessments (DESIGN §4: in the portal and by mail).

Written in the publishing transaction through the notifications outbox, so the notice exists exactly when the
assessments do and the mail is sent after the commit.
"""

from collections import Counter

import sqlalchemy as sa

from portal.core import timeutil
from portal.extensions import db

CHUNK = 500


def tell_hospitals(batch, published_on, new_per_hospital: Counter) -> int:
    """One notification per hospital user with new assessments of `batch`; returns users told."""
    from portal.accounts.models import Role, User
    from portal.notifications.services import notify

    catalogue = batch.catalogue
    due = timeutil.to_shanghai(timeutil.due_at(published_on, catalogue.deadline_days))
    hospital_ids = sorted(new_per_hospital)
    told = 0
    for start in range(0, len(hospital_ids), CHUNK):
        users = db.session.scalars(
            sa.select(User)
            .where(User.role == Role.HOSPITAL, User.active, User.hospital_id.in_(hospital_ids[start : start + CHUNK]))
            .order_by(User.hospital_id, User.id)
        ).all()
        for user in users:
            n = new_per_hospital[user.hospital_id]
            notify(
                [user],
                f"新的入院评估任务：{catalogue.name}{batch.name}（{n} 项）",
                f"{catalogue.name}{batch.name}已于 {published_on:%Y-%m-%d} 发布，本院有 {n} 个新列入目录的产品"
                f"需要在 {due:%Y-%m-%d} 前完成入院评估。",
                f"/assessments?batch={batch.id}",
            )
        told += len(users)
    return told
