"""Alembic environment: migrates to SQLModel.metadata (the models are the schema)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import watcher.store.models  # noqa: F401  (registers the tables)
from watcher.store.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        import os

        url = config.get_main_option("sqlalchemy.url") or os.environ.get(
            "WATCHER_DATABASE_URL", "sqlite:///./watcher.db"
        )
        engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            # SQLite cannot ALTER most things; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
