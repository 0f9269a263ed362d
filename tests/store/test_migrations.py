"""The Alembic migrations and the SQLModel models describe the same schema, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import watcher.store.models  # noqa: F401
from watcher.store.db import current_revision, head_revision


def test_migrations_and_models_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_upgrade_leaves_the_database_at_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
