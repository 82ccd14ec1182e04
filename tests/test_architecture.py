"""Rules of the architecture a test can hold: named system actors and the unit of work.

The layers themselves are checked by import-linter (`lint-imports`, run by `make lint` and so by CI).
"""

import pytest

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.catalogue.models import Catalogue, Scope
from portal.catalogue.services import save_catalogue
from portal.core.actors import COMMAND_LINE
from portal.core.errors import DomainError, PermissionDenied
from portal.core.unit import committed, run
from portal.extensions import db as _db


def test_an_actor_of_none_is_refused_not_allowed_everything(db):
    with pytest.raises(PermissionDenied):
        save_catalogue(None, None, code="T-NONE", name="无人创建的目录", scope=Scope.CITY)


def test_the_command_line_acts_as_a_named_system_actor(db, make_user):
    with pytest.raises(PermissionDenied):
        save_catalogue(make_user(Role.HOSPITAL), None, code="T-HOSP", name="医院创建的目录", scope=Scope.CITY)
    catalogue = save_catalogue(COMMAND_LINE, None, code="T-CLI", name="命令行创建的目录", scope=Scope.CITY)
    db.session.commit()
    event = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.object_type == "catalogue", AuditEvent.object_id == catalogue.id)
    )
    assert event.actor_id is None and event.subject == "system:command-line"


def test_the_unit_of_work_commits_once_or_rolls_everything_back(db, app):
    seen = []

    def receiver(sender):
        seen.append(sender)

    committed.connect(receiver)
    try:

        def refused():
            _db.session.add(Catalogue(code="T-ROLLED", name="回滚的目录", scope=Scope.CITY))
            _db.session.flush()
            raise DomainError("不行。", field="code")

        outcome = run(refused)
        assert not outcome.ok and outcome.status == 400 and outcome.error.field == "code"
        assert _db.session.scalar(_db.select(Catalogue).where(Catalogue.code == "T-ROLLED")) is None
        assert seen == []
        outcome = run(save_catalogue, COMMAND_LINE, None, code="T-KEPT", name="保留的目录", scope=Scope.CITY)
        assert outcome.ok and seen == [app]
        _db.session.remove()  # a fresh session sees only what was committed
        assert _db.session.scalar(_db.select(Catalogue.name).where(Catalogue.code == "T-KEPT")) == "保留的目录"
    finally:
        committed.disconnect(receiver)
