"""The load test's worker: one long-lived process that runs check cycles the way `watcher run`
does (one pass over every source, then the outbox), and reports each cycle as a JSON line.

Run by test_load.py as a child process, so its memory is measured alone:

    python load_driver.py CONFIG DB_URL SLACK_URL SMTP_URL

For each line "cycle" on stdin it checks every source once, dispatches the outbox
and prints {"cycle", "seconds", "statuses", "changes", "sent", "rss_mb", "peak_mb"};
"digest" queues and sends today's digest email; "quit" ends it. The peak is the
cycle's own: the kernel's high-water mark is reset before each cycle.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from datetime import time as clock_time
from pathlib import Path


def memory_mb() -> tuple[float, float]:
    """(current RSS, peak RSS since the last reset) in MB, from /proc/self/status."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux: "5" to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        pass


def main() -> None:
    config_path, db_url, slack_url, smtp_url = sys.argv[1:5]
    from watcher.notify.channels import build_channels
    from watcher.notify.digest import queue_digest
    from watcher.notify.outbox import dispatch, utc_now
    from watcher.notify.render import JST
    from watcher.runner import run_check_pass
    from watcher.settings import Settings
    from watcher.sources import load_config
    from watcher.store import make_engine, upgrade

    settings = Settings(database_url=db_url, slack_webhook_url=slack_url,  # type: ignore[arg-type]
                        smtp_url=smtp_url, digest_to="analyst@example.jp", per_host=20,
                        max_connections=20, min_host_delay_s=0.0,
                        public_url="http://watcher.test", digest_dir=Path(config_path).parent)
    config = load_config(Path(config_path))
    engine = make_engine(db_url)
    upgrade(engine)
    channels = build_channels(settings, tz=JST)
    cycle = 0
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        if command == "digest":
            now = utc_now()
            queue_digest(engine, digest_date=now.astimezone(JST).date(), at=clock_time(23, 59),
                         tz=JST, now=now)
            report = dispatch(engine, channels)
            print(json.dumps({"digest": report.messages_sent, "errors": report.errors}), flush=True)
            continue
        reset_peak()
        started = time.monotonic()
        outcomes = asyncio.run(run_check_pass(config, settings=settings, engine=engine))
        report = dispatch(engine, {"slack": channels["slack"]})
        rss, peak = memory_mb()
        print(json.dumps({
            "cycle": cycle, "seconds": round(time.monotonic() - started, 2),
            "statuses": dict(Counter(o.status for o in outcomes)),
            "errors": sorted({o.error or "" for o in outcomes if o.status in ("failed", "error")})[:5],
            "changes": sum(o.changes for o in outcomes), "sent": report.messages_sent,
            "send_errors": report.errors[:5], "rss_mb": round(rss, 1), "peak_mb": round(peak, 1),
        }), flush=True)
        cycle += 1


if __name__ == "__main__":
    main()
