"""The `watcher` command."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.errors import ConfigError, WatcherError
from watcher.logs import setup_logging
from watcher.settings import Settings, get_settings
from watcher.sources import Config, load_config

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

app = typer.Typer(
    help="Watch METI and IPA subsidy pages and report real changes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(db_app, name="db")

err = Console(stderr=True)


class State:
    config_path: Path | None = None
    log_level: str = "INFO"


state = State()


@app.callback()
def main_options(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="sources.toml to read (default: $WATCHER_CONFIG or ./sources.toml).")] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Global options."""
    state.config_path = config
    state.log_level = log_level
    setup_logging(log_level)


def _settings() -> Settings:
    try:
        return get_settings()
    except Exception as exc:  # pydantic's ValidationError: report it in one line
        raise ConfigError(f"environment settings: {str(exc).splitlines()[0]} ({_first_field_error(exc)})") from None


def _first_field_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"WATCHER_{str(first['loc'][0]).upper()}: {first['msg']}"
    return str(exc)


def _config(settings: Settings) -> Config:
    return load_config(state.config_path or settings.config)


def _engine(settings: Settings) -> Engine:
    from watcher.store import ensure_schema, make_engine

    engine = make_engine(settings.database_url)
    ensure_schema(engine, auto_upgrade=False)
    return engine


def _text(value: str | None) -> Text:
    """Text from a page or a remote server, printed as written: never read as rich markup
    (a "[/b]" in a cell would crash the command) and without control characters."""
    return Text(_CONTROL.sub("", value or ""))


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--since: '{value}' is not an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo("Asia/Tokyo"))
    return moment


@app.command()
def check(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source id (repeatable).")] = None,
    no_notify: Annotated[bool, typer.Option("--no-notify", help="Queue alerts but do not send them now (`watcher notify` does).")] = False,
) -> None:
    """Run one pass now: fetch, store, compare with the last good snapshot, record changes."""
    from watcher.runner import run_check_pass

    settings = _settings()
    config = _config(settings)
    for sid in source or ():
        config.source(sid)
    engine = _engine(settings)
    outcomes = asyncio.run(run_check_pass(config, settings=settings, engine=engine,
                                          source_ids=tuple(source or ()), show_progress=sys.stderr.isatty()))
    failed = [o for o in outcomes if o.status in ("failed", "error")]
    suspect = [o for o in outcomes if o.status == "suspect"]
    changes = sum(o.changes for o in outcomes)
    out = Console()
    for o in outcomes:
        if o.status in ("failed", "error", "suspect"):
            out.print(Text.assemble((o.source_id, "yellow"), f": {o.status}: ", _text(o.error)),
                      highlight=False, soft_wrap=True)
    out.print(f"checked {len(outcomes)} source(s): {changes} change(s), {len(failed)} failed, "
              f"{len(suspect)} suspect", highlight=False)
    if not no_notify:
        from watcher.notify.commands import notify_after_check

        notify_after_check(settings, engine, config)


@app.command()
def changes(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array, oldest first.")] = False,
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source id (repeatable).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only changes detected at or after this ISO 8601 time.")] = None,
) -> None:
    """List detected changes."""
    from watcher.store import list_changes

    settings = _settings()
    moment = _parse_since(since)
    engine = _engine(settings)
    with Session(engine) as session:
        rows = list_changes(session=session, source_ids=tuple(source or ()), since=moment)
    if as_json:
        sys.stdout.write(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"{len(rows)} change(s)")
    for column in ("id", "detected (JST)", "source", "kind", "summary"):
        table.add_column(column)
    from zoneinfo import ZoneInfo

    jst = ZoneInfo("Asia/Tokyo")
    for r in rows:
        table.add_row(str(r.id), r.detected_at.astimezone(jst).strftime("%Y-%m-%d %H:%M"),
                      _text(r.source), r.kind, _text(r.summary))
    Console().print(table)


@app.command()
def sources(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each source with its last check, last status, last error and next due time."""
    from watcher.store import list_source_statuses, sync_sources
    from watcher.store.models import utcnow

    settings = _settings()
    config = _config(settings)
    engine = _engine(settings)
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
        table.add_row(_text(r.id), _text(r.agency), r.extract, when(r.last_check_at), status,
                      _text(r.last_error), when(r.next_due_at))
    Console().print(table)


@app.command()
def run(
    once: Annotated[bool, typer.Option("--once", help="Run every due job once and exit.")] = False,
    tick: Annotated[float, typer.Option("--tick", help="Seconds between looks for due sources.")] = 5.0,
    grace: Annotated[float, typer.Option("--grace", help="Seconds allowed to finish in-flight checks on SIGTERM.")] = 20.0,
    lease: Annotated[float, typer.Option("--lease", help="Seconds a claimed source stays reserved for this worker.")] = 300.0,
    dispatch_every: Annotated[float, typer.Option("--dispatch-every", help="Seconds between outbox dispatches.")] = 30.0,
) -> None:
    """Run the scheduled worker: check sources when due, dispatch alerts, send the daily digest."""
    from watcher.scheduler import Worker, WorkerOptions

    settings = _settings()
    config_path = state.config_path or settings.config
    config = load_config(config_path)
    engine = _engine(settings)
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


@app.command()
def accept(
    source: Annotated[str, typer.Argument(help="The source whose newest suspect snapshot becomes the new truth.")],
) -> None:
    """Accept a source's newest suspect snapshot (e.g. a list that really shrank) and record its changes."""
    from watcher.pipeline import accept_suspect, utc_now
    from watcher.runner import pipeline_options

    settings = _settings()
    config = _config(settings)
    engine = _engine(settings)
    outcome = accept_suspect(config.source(source), engine=engine,
                             options=pipeline_options(config, settings), now=utc_now())
    Console().print(f"{source}: accepted; {outcome.changes} change(s) recorded", highlight=False)


@app.command()
def health(
    max_age: Annotated[float | None, typer.Option("--max-age", help="Seconds; default twice the shortest schedule.")] = None,
) -> None:
    """Exit 1 when no check has completed for longer than twice the shortest schedule (for container health checks)."""
    from watcher.pipeline import utc_now
    from watcher.store.schedule import last_completed_check

    settings = _settings()
    config = _config(settings)
    engine = _engine(settings)
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


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (SQLite is also upgraded automatically by `check`)."""
    from watcher.store import make_engine, redact_url, upgrade

    settings = _settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    Console().print(f"database {redact_url(settings.database_url)} is up to date", highlight=False)


def _register_commands() -> None:
    """Commands that live beside the stage they drive (each module has register(app))."""
    # One line per module, e.g.: from watcher.notify.commands import register; register(app)
    from watcher.notify.commands import register as register_notify
    register_notify(app)
    from watcher.web.commands import register as register_web
    register_web(app)
    from watcher.importer.commands import register as register_import; register_import(app)  # noqa: E702, I001


_register_commands()


def main() -> None:
    """Entry point: every WatcherError is one line on stderr (exit 2 for configuration)."""
    try:
        app()
    except ConfigError as exc:
        sys.stderr.write(f"error: {_one_line(exc)}\n")
        sys.exit(2)
    except WatcherError as exc:
        sys.stderr.write(f"error: {_one_line(exc)}\n")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    # Run the importable module rather than this __main__ copy, so the command modules
    # that import watcher.cli share its state (the --config option).
    from watcher.cli import main as _main

    _main()
