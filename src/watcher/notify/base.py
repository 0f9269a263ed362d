"""What the dispatcher and the channels agree on: a prepared message and how a send fails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from watcher.errors import NotifyError
from watcher.store.outbox import Claim


class SendError(NotifyError):
    """A send failed: retried later unless ``permanent``; ``retry_after_s`` is the remote's wish."""

    def __init__(self, message: str, *, permanent: bool = False,
                 retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True, kw_only=True)
class Outgoing:
    """A rendered message, ready to send outside any database transaction."""

    description: str
    send: Callable[[], None]


class Channel(Protocol):
    """A way out (Slack, email): turns a claim into a message to send."""

    name: str

    def prepare(self, session: Session, claim: Claim, now: datetime) -> Outgoing:
        """Load what the claim carries and render it (raises SendError if it cannot)."""
        ...
