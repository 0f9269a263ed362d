"""Engine and schema management: SQLite (WAL, foreign keys) or PostgreSQL, migrated by Alembic.

Every command checks the schema at start-up, so the check is one query of ``alembic_version``
against HEAD_REVISION, the newest migration this package ships (a test holds the constant to
alembic/versions/, so the two cannot drift). Alembic (~0.1 s to import) loads only to upgrade.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from watcher.errors import StoreError

log = logging.getLogger(__name__)

# The newest revision in alembic/versions/: a new migration changes it in the same commit
# (tests/store/test_migrations.py fails until it does).
HEAD_REVISION = "0003"
_VERSION_QUERY = sa.text("SELECT version_num FROM alembic_version")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            # pysqlite's own transaction handling defers BEGIN; take it over so a
            # check's transaction is one real BEGIN … COMMIT. IMMEDIATE takes the write
            # lock up front: a transaction that reads first and then writes while another
            # process (a worker, `watcher notify`, the admin page) holds the lock gets
            # SQLITE_BUSY at once in WAL mode, without waiting for busy_timeout.
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        else:
            engine = sa.create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise StoreError(f"cannot use database URL {redact_url(url)}: {exc}") from None
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # 2 KB pages for a new file (an existing one keeps its size): a large value wastes the
    # unused tail of its last overflow page, and each check stores two (body and document).
    # Stored bytes after the bench's baseline: 25.1% of the raw pages at 4 KB, 23.9% at 2 KB.
    cur.execute("PRAGMA page_size=2048")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def redact_url(url: str) -> str:
    """A database URL with its password hidden (URLs are logged; secrets never are)."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return "<unparsable URL>"


def alembic_dir() -> Path:
    """The project's top-level alembic/ directory (the migration scripts)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "alembic"
        if (candidate / "env.py").exists():
            return candidate
    cwd_candidate = Path.cwd() / "alembic"
    if (cwd_candidate / "env.py").exists():
        return cwd_candidate
    raise StoreError("cannot find the alembic/ migrations directory next to the package")


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(alembic_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The head of the migration scripts in alembic/versions/ (reads them with Alembic)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(alembic_dir()))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    return head or ""


def current_revision(engine: Engine) -> str | None:
    """The database's revision (None when it was never migrated): one query, no Alembic.

    Several rows (a database migrated along two branches) come back joined: never a head.
    """
    with engine.connect() as conn:
        try:
            revisions = sorted(str(r) for r in conn.execute(_VERSION_QUERY).scalars())
        except DBAPIError:
            # Most likely a database never migrated; anything else is raised as it was.
            conn.rollback()
            if sa.inspect(conn).has_table("alembic_version"):
                raise
            return None
    return ", ".join(revisions) or None


def upgrade(engine: Engine) -> None:
    """Apply every pending migration."""
    from alembic import command

    try:
        command.upgrade(_alembic_config(engine), "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"migration failed on {redact_url(str(engine.url))}: {exc}") from None


def ensure_schema(engine: Engine, *, auto_upgrade: bool) -> None:
    """Make sure the schema is current: upgrade SQLite automatically, else say what to run."""
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open database {redact_url(str(engine.url))}: {_first_line(exc)}") from None
    if current == HEAD_REVISION:
        return
    if auto_upgrade or engine.dialect.name == "sqlite":
        log.info("database schema is at revision %s, this watcher needs %s: upgrading it "
                 "(loading Alembic)", current or "none (a new database)", HEAD_REVISION)
        upgrade(engine)
        return
    raise StoreError(
        f"database {redact_url(str(engine.url))} is at revision {current or 'none'}, "
        f"not the current schema ({HEAD_REVISION}): run `watcher db upgrade`"
    )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
