"""The Alembic migrations and the SQLModel models describe the same schema, on every backend;
the start-up check knows the migrations' head without reading them."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import watcher.store.models  # noqa: F401
from watcher.errors import StoreError
from watcher.store.db import (
    HEAD_REVISION,
    current_revision,
    ensure_schema,
    head_revision,
    make_engine,
)


def test_migrations_and_models_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_upgrade_leaves_the_database_at_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()


def test_the_package_knows_the_newest_migration() -> None:
    # The start-up check compares the database with HEAD_REVISION instead of reading
    # alembic/versions/ on every command: a new migration must move the constant too.
    assert HEAD_REVISION == head_revision(), (
        f"alembic/versions/ ends at {head_revision()!r}: set HEAD_REVISION in "
        "src/watcher/store/db.py to it")


def test_the_version_query_reads_what_alembic_reads(engine: Engine) -> None:
    with engine.connect() as conn:
        alembic_says = MigrationContext.configure(conn).get_current_revision()
    assert current_revision(engine) == alembic_says == HEAD_REVISION


def test_a_database_never_migrated_has_no_revision(db_url: str) -> None:
    fresh = make_engine(db_url)
    try:
        assert current_revision(fresh) is None
        with fresh.connect() as conn:  # the failed query left nothing behind
            assert not sa.inspect(conn).has_table("alembic_version")
    finally:
        fresh.dispose()


def test_a_new_sqlite_database_is_upgraded_with_a_plain_message(
    db_url: str, caplog: pytest.LogCaptureFixture,
) -> None:
    fresh = make_engine(db_url)
    try:
        if fresh.dialect.name != "sqlite":
            with pytest.raises(StoreError, match=r"at revision none, .*run `watcher db upgrade`"):
                ensure_schema(fresh, auto_upgrade=False)
            return
        with caplog.at_level(logging.INFO, logger="watcher.store.db"):
            ensure_schema(fresh, auto_upgrade=False)
        (line,) = [r.getMessage() for r in caplog.records if r.name == "watcher.store.db"]
        assert line == (f"database schema is at revision none (a new database), this watcher "
                        f"needs {HEAD_REVISION}: upgrading it (loading Alembic)")
        assert current_revision(fresh) == HEAD_REVISION
    finally:
        fresh.dispose()


def test_a_database_at_head_is_left_alone(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="watcher.store.db"):
        ensure_schema(engine, auto_upgrade=False)
    assert [r for r in caplog.records if r.name == "watcher.store.db"] == []


def test_a_postgres_database_behind_the_package_names_the_command(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite is upgraded automatically")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(StoreError, match=r"at revision 0000, not the current schema \(.*\): "
                       r"run `watcher db upgrade`"):
        ensure_schema(engine, auto_upgrade=False)
