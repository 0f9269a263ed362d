"""Notifications: render (pure) + senders (Slack, SMTP, .eml) + the outbox dispatcher.

    store.record_check ──queues──▶ deliveries ──dispatch()──▶ Slack / SMTP / .eml

`notify_once()` is what `watcher notify` and `watcher check` call; `scheduler_jobs()`
gives `watcher run` its dispatch and digest jobs. Names are imported on first use, so
the CLI does not load slack-sdk and Jinja2 for commands that never notify.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.notify.base import Channel, Outgoing, SendError
    from watcher.notify.channels import EmailChannel, SlackChannel, build_channels
    from watcher.notify.digest import QueuedDigest, queue_digest, queue_due_digest
    from watcher.notify.jobs import notify_once, scheduler_jobs
    from watcher.notify.outbox import DispatchReport, RetryPolicy, dispatch
    from watcher.notify.render import Links, SlackMessage, render_changes, render_health

_EXPORTS = {
    "Channel": "base", "Outgoing": "base", "SendError": "base",
    "EmailChannel": "channels", "SlackChannel": "channels", "build_channels": "channels",
    "QueuedDigest": "digest", "queue_digest": "digest", "queue_due_digest": "digest",
    "notify_once": "jobs", "scheduler_jobs": "jobs",
    "DispatchReport": "outbox", "RetryPolicy": "outbox", "dispatch": "outbox",
    "Links": "render", "SlackMessage": "render", "render_changes": "render",
    "render_health": "render",
}

__all__ = [
    "Channel",
    "DispatchReport",
    "EmailChannel",
    "Links",
    "Outgoing",
    "QueuedDigest",
    "RetryPolicy",
    "SendError",
    "SlackChannel",
    "SlackMessage",
    "build_channels",
    "dispatch",
    "notify_once",
    "queue_digest",
    "queue_due_digest",
    "render_changes",
    "render_health",
    "scheduler_jobs",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'watcher.notify' has no attribute {name!r}")
    return getattr(importlib.import_module(f"watcher.notify.{module}"), name)
