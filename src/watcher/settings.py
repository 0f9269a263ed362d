"""Environment settings (WATCHER_ prefix). Built by get_settings(), never at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything that comes from the environment, secrets included (never from sources.toml)."""

    model_config = SettingsConfigDict(env_prefix="WATCHER_", extra="ignore")

    database_url: str = "sqlite:///./watcher.db"
    config: Path = Path("./sources.toml")
    # zstd level of stored bodies and documents (9: chosen by measurement, bench/README.md).
    blob_compression_level: int = Field(default=9, ge=1, le=22)
    # Extraction runs in worker processes (watcher.isolation): how many, and their limits.
    extract_workers: int | None = Field(default=None, ge=1)  # None: the number of cores
    extract_timeout_s: float = Field(default=20.0, gt=0)
    extract_memory_mb: int = Field(default=512, ge=64)
    extract_max_tasks: int = Field(default=100, ge=1)
    # Fetch politeness
    max_connections: int = 10
    per_host: int = 2
    min_host_delay_s: float = 1.0
    # HTTP machinery under the httpx API: aiohttp costs a fraction of httpcore's CPU
    # per request (bench/README.md); "httpx" keeps httpx's own transport.
    transport: Literal["aiohttp", "httpx"] = "aiohttp"
    # Suspect handling: a shrink-type suspect identical N times in a row is accepted.
    accept_suspect_after: int = 3
    # Notifications (issue 4)
    slack_webhook_url: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_channel: str | None = None
    slack_base_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    smtp_url: SecretStr | None = None
    smtp_from: str = "subsidy-watcher@localhost"
    digest_to: str | None = None
    digest_time: str = "08:00"
    digest_empty: bool = False
    digest_dir: Path = Path("./digests")
    unhealthy_after: int = 3
    # How long a claimed delivery stays reserved for its sender (a crashed sender's
    # deliveries are sent again after it; see docs/NOTIFICATIONS.md).
    delivery_lease_s: float = Field(default=300.0, gt=0)
    # Admin page (issue 6)
    admin_user: str = "admin"
    admin_password: SecretStr | None = None
    session_secret: SecretStr | None = None
    # Sessions are kept in the database: ended by logout, a password change or
    # "sign out everywhere", after this long unused, and this long after login at most.
    session_idle_s: float = Field(default=2 * 3600.0, gt=0)
    session_max_age_s: float = Field(default=12 * 3600.0, gt=0)
    # Login throttling, per client address and per user name, shared by the form and
    # HTTP Basic: after N failures each attempt waits 1, 2, 4 … s; after M, a lock.
    login_delay_after: int = Field(default=5, ge=1)
    login_lock_after: int = Field(default=10, ge=1)
    login_lock_s: float = Field(default=900.0, gt=0)
    login_forget_s: float = Field(default=3600.0, gt=0)
    enable_docs: bool = False
    worker_id: str | None = None


def get_settings(**overrides: object) -> Settings:
    """Read the environment now (tests pass overrides instead of patching os.environ)."""
    return Settings(**overrides)  # type: ignore[arg-type]
