"""The public entry page, whose content is remembered by the values it shows (catalogue.views.ENTRY_BODIES)."""

from portal.accounts.models import Role
from portal.catalogue.models import Entry
from portal.catalogue.services import delist_entry
from portal.core import timeutil
from portal.demo.seed import seed_demo


def test_entry_page_shows_the_entry_as_it_is_now(client, db, make_user):
    """The page's content is remembered by the values it shows: after a delisting the same page shows the
    notice and no longer offers the certificate (the product has no other listed entry)."""
    seed_demo(out=lambda *a: None)
    db.session.commit()
    entry = db.session.scalar(db.select(Entry).order_by(Entry.id))
    before = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "下载注册证（PDF）" in before and "调出目录" not in before
    reviewer = make_user(Role.REVIEWER, catalogues=[entry.catalogue])
    delist_entry(reviewer, entry, reason="注册证已注销", delisted_on=timeutil.today_shanghai())
    db.session.commit()
    after = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "调出目录" in after and "注册证已注销" in after and "下载注册证（PDF）" not in after
