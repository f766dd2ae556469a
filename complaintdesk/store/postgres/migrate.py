"""Schema upgrades of a PostgreSQL database with Alembic (``migrations/``).

``upgrade`` takes the database to this release's head in one transaction (DDL is
transactional in PostgreSQL: a failed upgrade leaves the database as it was),
holding the writers' lock so no console writes meanwhile. A database whose
revision this release does not know (made by a newer release) is refused, and a
database with tables but no revision is not complaintdesk's.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text as sql
from sqlalchemy.engine import Connection

from complaintdesk.domain.errors import StoreError
from complaintdesk.store.postgres.ddl import WRITE_LOCK

SCRIPTS = Path(__file__).with_name("migrations")


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """This release's newest revision."""
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current(connection: Connection) -> str | None:
    """The database's revision (None: no complaintdesk schema yet)."""
    return MigrationContext.configure(connection).get_current_revision()


def pending(connection: Connection, where: str) -> list[str]:
    """The revisions an upgrade would apply.

    Raises:
        StoreError: the database is newer than this release, or not complaintdesk's.
    """
    script = ScriptDirectory.from_config(_config())
    revision = current(connection)
    if revision is None:
        tables = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").scalar()
        if tables:
            raise StoreError(f"{where} 不是 complaintdesk 数据库（其中已有其他表）："
                             "请换一个空数据库，或用 --db 指定正确的数据库")
        return [r.revision for r in reversed(list(script.walk_revisions()))]
    try:
        steps = list(script.iterate_revisions(head(), revision))
    except Exception:  # alembic: the revision is unknown to this release
        raise StoreError(f"数据库 {where} 来自更新的 complaintdesk 版本（结构版本 {revision}，"
                         f"本程序支持到 {head()}）：请升级 complaintdesk 后再打开") from None
    return [r.revision for r in reversed(steps)]


def upgrade(engine, where: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Bring the database to this release's head; returns the revisions applied."""
    from alembic import command

    with engine.connect() as connection:
        with connection.begin():
            connection.execute(sql("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": WRITE_LOCK})
            steps = pending(connection, where)
            if steps:
                command.upgrade(_config(connection), "head")
    return steps
