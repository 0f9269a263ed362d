"""The Prometheus text exposition format (version 0.0.4) of the watcher's counts (pure)."""

from __future__ import annotations

from watcher.store.admin import MetricsData
from watcher.store.auth import LoginMetrics

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def prometheus_text(data: MetricsData) -> str:
    """Checks, failures, changes, deliveries and last success per source."""
    lines: list[str] = []

    def family(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(f"{name}{labels} {value:g}" if isinstance(value, int)
                     else f"{name}{labels} {value:.3f}" for labels, value in samples)

    family("watcher_checks_total", "counter", "Checks recorded, by source and outcome.",
           [(_labels(source=s, status=st), n) for s, st, n in sorted(data.checks)])
    failures: dict[str, int] = {}
    for source, status, n in data.checks:
        if status in ("failed", "suspect"):
            failures[source] = failures.get(source, 0) + n
    family("watcher_check_failures_total", "counter",
           "Checks that failed or returned a suspect page, by source.",
           [(_labels(source=s), n) for s, n in sorted(failures.items())])
    family("watcher_changes_total", "counter", "Detected changes, by source and kind.",
           [(_labels(source=s, kind=k), n) for s, k, n in sorted(data.changes)])
    family("watcher_deliveries", "gauge", "Notification deliveries, by channel and status.",
           [(_labels(channel=c, status=st), n) for c, st, n in sorted(data.deliveries)])
    family("watcher_last_success_timestamp_seconds", "gauge",
           "Unix time of the last successful check, by source.",
           [(_labels(source=s), at.timestamp()) for s, at in sorted(data.last_success)])
    family("watcher_source_consecutive_failures", "gauge",
           "Failed or suspect checks in a row, by source.",
           [(_labels(source=s), n) for s, n in sorted(data.consecutive_failures)])
    return "\n".join(lines) + "\n"


def login_text(data: LoginMetrics) -> str:
    """The admin login's throttle: client addresses and user names locked or delayed now."""
    lines: list[str] = []
    for name, help_text, samples in (
        ("watcher_login_locked", "Client addresses and user names locked out of the admin login now.",
         data.locked),
        ("watcher_login_delayed", "Client addresses and user names made to wait before the next try.",
         data.delayed),
        ("watcher_login_failures", "Failed admin logins still counted toward a delay or a lock.",
         data.failures),
    ):
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} gauge")
        lines.extend(f"{name}{_labels(scope=scope)} {count}" for scope, count in samples)
    return "\n".join(lines) + "\n"
