"""A token that changes with every committed write, so pages can be remembered until the data changes.

Every transaction that inserts, updates or deletes anything also stores a fresh random token in the one row of
`data_version`, just before its COMMIT and on the same connection, so the token and the data become visible
together. The hook sits on the engine, not the ORM session: flushes, Core statements, the tally's connection
writes, commands and imports are all caught, and the token is written after everything else the transaction
locks (no lock-order cycle with other rows). A request reads the token first, then its data: what it reads is
at least as new as the token, so a page remembered under a token can only be older than the data when the
token has changed.

A random token rather than a counter: a counter starts again when the table is emptied (the test suite does,
between tests) and would name different data with a number already remembered. No row (a database just
emptied) means no token, and callers remember nothing. Data changed behind the application's back (SQL typed
by hand) is not seen: run `UPDATE data_version SET token = token + 1` with it.
"""

import secrets

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE")
_WROTE = "portal.data_version.wrote"
# Execution option of a connection whose writes need no token: migrations, which run before the table exists
# and whose servers restart (a restart forgets every remembered page).
UNWATCHED = "portal_data_version_unwatched"
_PRESENT = "portal.data_version.present"
_TABLE_EXISTS = {
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'data_version'",
    "postgresql": "SELECT to_regclass('data_version') IS NOT NULL",
}
_READ = "SELECT token FROM data_version WHERE id = 1"
# The token is an integer of our own making: written into the SQL, so one text serves every driver.
_BUMP = "INSERT INTO data_version (id, token) VALUES (1, {}) ON CONFLICT (id) DO UPDATE SET token = excluded.token"


class DataVersion(db.Model):
    """One row (id 1): the token of the latest committed write."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[int] = mapped_column(sa.BigInteger)


def _is_write(statement: str, context) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True  # also DML behind a WITH
    return statement.lstrip()[:7].upper().startswith(_WRITES)  # text(), driver SQL


def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:
    watched = not conn.get_execution_options().get(UNWATCHED)
    if watched and not conn.info.get(_WROTE) and _is_write(statement, context):
        conn.info[_WROTE] = True


def _bump_before_commit(conn) -> None:
    if conn.info.pop(_WROTE, False):
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            if _has_table(conn, cursor):
                cursor.execute(_BUMP.format(secrets.randbits(62)))
        finally:
            cursor.close()
        if has_app_context():
            g.pop("data_version", None)  # read before this write: the request's next look reads the new one


def _has_table(conn, cursor) -> bool:
    """Asked on the driver's cursor (the connection is committing). Once seen, the table is taken to stay
    (servers stop for a downgrade below it); a database not yet migrated to it, like one a test steps through
    the migrations, is asked again at each commit until it has it."""
    if not conn.info.get(_PRESENT):
        cursor.execute(_TABLE_EXISTS[conn.dialect.name])
        conn.info[_PRESENT] = bool(cursor.fetchone()[0])
    return conn.info[_PRESENT]


def _forget_write(conn) -> None:
    conn.info.pop(_WROTE, None)


def install(engine: Engine) -> None:
    """Watch this engine's writes (called from the app factory, once per engine)."""
    if not event.contains(engine, "after_cursor_execute", _note_write):
        event.listen(engine, "after_cursor_execute", _note_write)
        event.listen(engine, "commit", _bump_before_commit)
        event.listen(engine, "rollback", _forget_write)


def current() -> int | None:
    """The token as this request read it, read again after a write it committed (None: no write recorded
    yet, remember nothing). Plain SQL on the session's connection: a compiled statement cost twice as much,
    on every page."""
    if "data_version" not in g:
        g.data_version = db.session.connection().exec_driver_sql(_READ).scalar()
    return g.data_version
