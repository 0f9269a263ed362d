"""Fixtures for the admin page: a seeded database (made once, copied per test), the app and clients."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from watcher.store import make_engine, upgrade
from watcher.web import create_app
from web.admin_seed import Seeded, seed
from web.admin_support import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    BASE_URL,
    TestClient,
    admin_settings,
    basic,
)


@dataclass(frozen=True)
class SeededFile:
    path: Path
    ids: Seeded


@pytest.fixture(scope="session")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> SeededFile:
    """The realistic database, built once through the pipeline (about a second)."""
    path = tmp_path_factory.mktemp("seeded") / "watcher.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    ids = seed(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return SeededFile(path=path, ids=ids)


@pytest.fixture
def seeded(seeded_file: SeededFile) -> Seeded:
    return seeded_file.ids


@pytest.fixture
def admin_engine(seeded_file: SeededFile, tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the seeded database, so tests may write."""
    path = tmp_path / "watcher.db"
    shutil.copyfile(seeded_file.path, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def app(admin_engine: Engine, tmp_path: Path) -> FastAPI:
    return create_app(admin_settings(admin_engine, tmp_path), admin_engine)


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    """A client with no credentials."""
    with TestClient(app, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client that sends HTTP Basic credentials with every request."""
    with TestClient(app, base_url=BASE_URL, headers=basic(ADMIN_USER, ADMIN_PASSWORD)) as client:
        yield client
