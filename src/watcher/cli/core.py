"""The core commands: check, changes, sources, run, accept, health and `db upgrade`."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watcher.app_context import config_path as context_config_path
from watcher.app_context import (
    load_sources,
    open_engine,
    parse_since,
    plain_text,
    read_settings,
    safe_text,
)

# Heavy imports (the store, rich, the pipeline, asyncio) wait until a command runs:
# `watcher --help` and a cron `watcher check` pay only for what they use.
if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.engine import Engine

    from watcher.pipeline import CheckOutcome
    from watcher.settings import Settings
    from watcher.sources import Config

_PROBLEMS = ("failed", "error", "suspect")


def register(app: typer.Typer) -> None:
    """Add the core commands to the `watcher` app."""
    for command in (check, changes, sources, run, accept, health):
        app.command()(command)
    db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
    db_app.command("upgrade")(db_upgrade)
    app.add_typer(db_app, name="db")


def check(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source id (repeatable).")] = None,
    no_notify: Annotated[bool, typer.Option("--no-notify", help="Queue alerts but do not send them now (`watcher notify` does).")] = False,
) -> None:
    """Run one pass now: fetch, store, compare with the last good snapshot, record changes."""
    import asyncio

    from watcher.runner import run_check_pass

    settings = read_settings()
    config = load_sources(settings)
    for sid in source or ():
        config.source(sid)
    engine = open_engine(settings)
    outcomes = asyncio.run(run_check_pass(config, settings=settings, engine=engine,
                                          source_ids=tuple(source or ()), show_progress=sys.stderr.isatty()))
    report_check(outcomes, terminal=_terminal())
    if not no_notify:
        from watcher.notify.commands import notify_after_check

        notify_after_check(settings, engine, config)


def report_check(outcomes: Sequence[CheckOutcome], *, terminal: bool) -> None:
    """One line per source that failed or is suspect, then the summary, on stdout.

    On a terminal rich colours the source ids; for cron, pipes and files the same text is
    written plainly, without importing rich (tests/test_cli_output.py holds them equal).
    """
    failed = sum(1 for o in outcomes if o.status in ("failed", "error"))
    suspect = sum(1 for o in outcomes if o.status == "suspect")
    changes = sum(o.changes for o in outcomes)
    summary = (f"checked {len(outcomes)} source(s): {changes} change(s), {failed} failed, "
               f"{suspect} suspect")
    problems = [o for o in outcomes if o.status in _PROBLEMS]
    if not terminal:
        for o in problems:
            sys.stdout.write(_expand_tabs(f"{o.source_id}: {o.status}: {plain_text(o.error)}") + "\n")
        sys.stdout.write(summary + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    out = Console()
    for o in problems:
        out.print(Text.assemble((o.source_id, "yellow"), f": {o.status}: ", safe_text(o.error)),
                  highlight=False, soft_wrap=True)
    out.print(summary, highlight=False)


def _terminal() -> bool:
    """Whether rich may style stdout: a terminal, or a variable that makes rich treat it as one."""
    return sys.stdout.isatty() or any(os.environ.get(v) for v in (
        "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"))


def _expand_tabs(text: str) -> str:
    """Tabs to stops every 8 terminal cells (a full-width character takes two), as rich does."""
    if "\t" not in text:
        return text
    import unicodedata

    out: list[str] = []
    column = 0
    for char in text:
        if char == "\t":
            out.append(" " * (8 - column % 8))
            column += 8 - column % 8
            continue
        out.append(char)
        if char == "\n":
            column = 0
        elif not unicodedata.combining(char):
            column += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return "".join(out)


def changes(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array, oldest first.")] = False,
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source id (repeatable).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only changes detected at or after this ISO 8601 time.")] = None,
) -> None:
    """List detected changes."""
    from rich.console import Console
    from rich.table import Table
    from sqlmodel import Session

    from watcher.store import list_changes

    settings = read_settings()
    moment = parse_since(since)
    engine = open_engine(settings)
    with Session(engine) as session:
        rows = list_changes(session=session, source_ids=tuple(source or ()), since=moment)
    if as_json:
        sys.stdout.write(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2) + "\n")
        return
    from watcher.labels import kind_label

    # A group's members (a replaced list's rows) stand behind its one line; --json has them.
    members = sum(1 for r in rows if r.group_id is not None)
    shown = [r for r in rows if r.group_id is None]
    table = Table(title=f"{len(shown)} change(s)")
    for column in ("id", "detected (JST)", "source", "kind", "summary"):
        table.add_column(column)
    from zoneinfo import ZoneInfo

    jst = ZoneInfo("Asia/Tokyo")
    for r in shown:
        table.add_row(str(r.id), r.detected_at.astimezone(jst).strftime("%Y-%m-%d %H:%M"),
                      safe_text(r.source), kind_label(r.kind, r.nature), safe_text(r.summary))
    console = Console()
    console.print(table)
    if members:
        console.print(f"{members} more change(s) are recorded under the alerts above "
                      "(the rows of replaced lists): `watcher changes --json` lists them "
                      "with their group_id.", highlight=False)


def sources(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each source with its last check, last status, last error and next due time."""
    from rich.console import Console
    from rich.table import Table
    from sqlmodel import Session

    from watcher.store import list_source_statuses, sync_sources
    from watcher.store.models import utcnow

    settings = read_settings()
    config = load_sources(settings)
    engine = open_engine(settings)
    with Session(engine) as session, session.begin():
        sync_sources(session=session, config=config, now=utcnow())
    with Session(engine) as session:
        rows = list_source_statuses(session=session)
    if as_json:
        sys.stdout.write(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2) + "\n")
        return
    from zoneinfo import ZoneInfo

    jst = ZoneInfo("Asia/Tokyo")

    def when(value: datetime | None) -> str:
        return value.astimezone(jst).strftime("%Y-%m-%d %H:%M") if value else "—"

    table = Table(title=f"{len(rows)} source(s)")
    for column in ("id", "agency", "extract", "last check (JST)", "status", "last error", "next due (JST)"):
        table.add_column(column)
    for r in rows:
        status = r.last_status or "never checked"
        if not r.enabled:
            status += " (disabled)"
        table.add_row(safe_text(r.id), safe_text(r.agency), r.extract, when(r.last_check_at), status,
                      safe_text(r.last_error), when(r.next_due_at))
    Console().print(table)


def run(
    once: Annotated[bool, typer.Option("--once", help="Run every due job once and exit.")] = False,
    tick: Annotated[float, typer.Option("--tick", help="Seconds between looks for due sources.")] = 5.0,
    grace: Annotated[float, typer.Option("--grace", help="Seconds allowed to finish in-flight checks on SIGTERM.")] = 20.0,
    lease: Annotated[float, typer.Option("--lease", help="Seconds a claimed source stays reserved for this worker.")] = 300.0,
    dispatch_every: Annotated[float, typer.Option("--dispatch-every", help="Seconds between outbox dispatches.")] = 30.0,
) -> None:
    """Run the scheduled worker: check sources when due, dispatch alerts, send the daily digest."""
    import asyncio

    from rich.console import Console

    from watcher.scheduler import Worker, WorkerOptions
    from watcher.sources import load_config

    settings = read_settings()
    config_path = context_config_path(settings)
    config = load_config(config_path)
    engine = open_engine(settings)
    worker = Worker(config_path=config_path, config=config, settings=settings, engine=engine,
                    options=WorkerOptions(tick_s=tick, grace_s=grace, lease_s=lease,
                                          dispatch_every_s=dispatch_every),
                    **_notify_jobs(settings, engine, config))
    if once:
        claimed = asyncio.run(worker.run_once())
        Console().print(f"ran once: {len(claimed)} due source(s) checked", highlight=False)
        return
    asyncio.run(worker.run())


def _notify_jobs(settings: Settings, engine: Engine, config: Config) -> dict[str, Any]:
    """The outbox dispatch and digest jobs of `watcher run` (see watcher.notify)."""
    from watcher.notify.jobs import scheduler_jobs

    return scheduler_jobs(engine, settings, tz=config.timezone)


def accept(
    source: Annotated[str, typer.Argument(help="The source whose newest suspect snapshot becomes the new truth.")],
) -> None:
    """Accept a source's newest suspect snapshot (e.g. a list that really shrank) and record its changes."""
    from rich.console import Console

    from watcher.pipeline import accept_suspect, utc_now
    from watcher.runner import pipeline_options

    settings = read_settings()
    config = load_sources(settings)
    engine = open_engine(settings)
    outcome = accept_suspect(config.source(source), engine=engine,
                             options=pipeline_options(config, settings), now=utc_now())
    Console().print(f"{source}: accepted; {outcome.changes} change(s) recorded", highlight=False)


def health(
    max_age: Annotated[float | None, typer.Option("--max-age", help="Seconds; default twice the shortest schedule.")] = None,
) -> None:
    """Exit 1 when no check has completed for longer than twice the shortest schedule (for container health checks)."""
    from sqlmodel import Session

    from watcher.store.models import utcnow as utc_now  # not the pipeline's: no HTTP stack
    from watcher.store.schedule import last_completed_check

    settings = read_settings()
    config = load_sources(settings)
    engine = open_engine(settings)
    enabled = [s for s in config.sources if s.enabled]
    if max_age is None:
        shortest = min((s.schedule.nominal_seconds for s in enabled),
                       default=config.default_schedule.nominal_seconds)
        max_age = 2.0 * shortest
    with Session(engine) as session:
        last = last_completed_check(session=session)
    if last is None:
        sys.stdout.write("unhealthy: no check has completed yet\n")
        raise typer.Exit(1)
    age = (utc_now() - last).total_seconds()
    if age > max_age:
        sys.stdout.write(f"unhealthy: last check {age:.0f} s ago (limit {max_age:.0f} s)\n")
        raise typer.Exit(1)
    sys.stdout.write(f"ok: last check {age:.0f} s ago (limit {max_age:.0f} s)\n")


def db_upgrade() -> None:
    """Apply database migrations (SQLite is also upgraded automatically by `check`)."""
    from rich.console import Console

    from watcher.store import make_engine, redact_url, upgrade

    settings = read_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    Console().print(f"database {redact_url(settings.database_url)} is up to date", highlight=False)


