"""`watcher demo`: the product end to end on the bundled 2022–2025 timeline, offline.

    fixtures ──▶ demo WARC ──import-warc──▶ ./demo/demo.db ◀── live check (loopback)
                                               │
                 timeline table · Slack messages · digest .eml/.html · admin page
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session

from watcher.demo.fixtures import (
    SOURCES_TOML,
    build_demo_warc,
    demo_config,
    fixture_captures,
    split_newest,
)
from watcher.demo.live import live_check
from watcher.demo.show import FirstCapture, slack_panel, timeline_rows, timeline_table
from watcher.errors import ConfigError, NotifyError
from watcher.importer.core import ImportReport, import_warc_files
from watcher.notify.render import Links, SlackMessage, local_time, render_changes
from watcher.pipeline import CheckOutcome, PipelineOptions
from watcher.sources import Config
from watcher.store import list_changes, load_document, make_engine, upgrade
from watcher.store.changes import StoredChange
from watcher.store.imports import SnapshotLine, snapshot_lines

log = logging.getLogger(__name__)

WARC_NAME = "demo-history-2022-2025.warc.gz"
DB_NAME = "demo.db"
ADMIN_USER = "demo"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoOptions:
    """Where the demo writes, whether it serves the admin page, and where Slack is (if anywhere)."""

    directory: Path = Path("demo")
    serve: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    slack_webhook_url: str | None = None
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(9))

    @property
    def public_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoResult:
    """What the demo produced (the tests read it; the terminal shows it)."""

    warc: Path
    database: Path
    eml: Path
    digest_html: Path
    imported: ImportReport
    live: tuple[CheckOutcome, ...]
    slack_messages: int
    slack_sent: int
    engine: Engine


def run_demo(options: DemoOptions, *, console: Console,
             clock: Callable[[], datetime] = utc_now) -> DemoResult:
    """Build the WARC, import it into a fresh database, run the live check, print and write the rest."""
    started = time.perf_counter()
    directory = options.directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / DB_NAME
    for leftover in (database, database.with_name(DB_NAME + "-wal"),
                     database.with_name(DB_NAME + "-shm")):
        leftover.unlink(missing_ok=True)  # a fresh database each run: the demo is a replay

    config = demo_config()
    history, newest = split_newest(fixture_captures(config))
    warc = directory / WARC_NAME
    count = build_demo_warc(warc, history)
    console.print(f"[bold]1.[/] wrote {count} archived captures (2022–2025) of "
                  f"{len(config.sources)} METI/IPA pages to {_shown(warc)}")

    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    pipeline = PipelineOptions(timezone=config.timezone,
                               alert_channels=("slack",) if options.slack_webhook_url else ())
    report = import_warc_files([warc], config=config, engine=engine, options=pipeline,
                               now=clock())
    console.print(f"[bold]2.[/] `watcher import-warc {_shown(warc)}`: {report.summary()}",
                  highlight=False)

    newest_day = newest[0].day.isoformat()
    outcomes = asyncio.run(live_check([(f.source_id, f.capture) for f in newest], config,
                                      engine=engine, options=pipeline, clock=clock))
    live_changes = sum(o.changes for o in outcomes)
    console.print(f"[bold]3.[/] live check: served the {newest_day} versions of "
                  f"{', '.join(o.source_id for o in outcomes)} on 127.0.0.1 and ran `watcher check` "
                  f"against them: {live_changes} new change(s) "
                  f"({', '.join(f'{o.source_id}: {o.status}' for o in outcomes)})", highlight=False)
    for outcome in outcomes:
        if outcome.status not in ("ok", "unchanged"):
            log.warning("live check of %s: %s: %s", outcome.source_id, outcome.status, outcome.error)

    with Session(engine) as session:
        snapshots = snapshot_lines(session=session)
        changes = list_changes(session=session)
        firsts = _first_captures(session, snapshots)
    console.print()
    console.print(timeline_table(
        timeline_rows(snapshots, changes, firsts), tz=config.timezone,
        title=f"Timeline: {len(changes)} change(s) detected "
              f"({report.changes} imported from history, {live_changes} live)"))

    links = Links(public_url=options.public_url)
    messages = _slack_messages(changes, links=links, config=config)
    console.print()
    where = ("sending them to WATCHER_SLACK_WEBHOOK_URL" if options.slack_webhook_url else
             "set WATCHER_SLACK_WEBHOOK_URL to send them")
    console.print(f"[bold]4.[/] the Slack messages it would have sent ({len(messages)}; imported "
                  f"history is never alerted by `watcher run`; {where}):")
    for message, group, live in messages:
        first = group[0]
        note = ("live: alert queued in the outbox" if options.slack_webhook_url else
                "live: the alert `watcher run` would send") if live else "imported history"
        console.print(slack_panel(message, title=f"Slack · {local_time(first.detected_at, config.timezone)}",
                                  note=note))
    sent = 0
    if options.slack_webhook_url:
        sent = _send_to_slack(options.slack_webhook_url, messages, engine=engine, links=links,
                              config=config, console=console)

    eml, page = _write_digest(engine, directory, links=links, config=config, now=clock())
    console.print(f"[bold]5.[/] digest email: {_shown(eml)} (open {_shown(page)} in a browser)")
    console.print(f"   database: {_shown(database)}  ·  explore it with "
                  f"`WATCHER_DATABASE_URL=sqlite:///{_shown(database)} watcher changes`",
                  highlight=False)
    console.print(f"   demo finished in {time.perf_counter() - started:.1f} s", highlight=False)
    return DemoResult(warc=warc, database=database, eml=eml, digest_html=page, imported=report,
                      live=tuple(outcomes), slack_messages=len(messages), slack_sent=sent,
                      engine=engine)


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is under it (shorter on screen)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _first_captures(session: Session, snapshots: Sequence[SnapshotLine]) -> list[FirstCapture]:
    firsts: list[FirstCapture] = []
    seen: set[str] = set()
    for snap in snapshots:
        if snap.status != "ok" or snap.source_id in seen:
            continue
        seen.add(snap.source_id)
        document = load_document(session=session, snapshot_id=snap.id)
        if document is not None:
            firsts.append(FirstCapture(snapshot=snap, document=document))
    return firsts


def _slack_messages(
    changes: list[StoredChange], *, links: Links, config: Config,
) -> list[tuple[SlackMessage, tuple[StoredChange, ...], bool]]:
    """One message per check with changes, as the outbox would group them (by snapshot)."""
    groups: dict[int, list[StoredChange]] = {}
    for change in changes:
        groups.setdefault(change.snapshot_id, []).append(change)
    return [(render_changes(group, links=links, tz=config.timezone), tuple(group),
             not group[0].imported)
            for group in groups.values()]


def _send_to_slack(
    url: str, messages: list[tuple[SlackMessage, tuple[StoredChange, ...], bool]], *,
    engine: Engine, links: Links, config: Config, console: Console,
) -> int:
    """History straight through the webhook (it never enters the outbox); live alerts via the outbox."""
    from watcher.notify.channels import SlackChannel
    from watcher.notify.outbox import dispatch
    from watcher.notify.slack import WebhookSender

    sender = WebhookSender(url)
    sent = 0
    for message, _group, live in messages:
        if live:
            continue
        try:
            sender.send(message)
        except NotifyError as exc:
            console.print(f"   Slack: {exc}", highlight=False, markup=False)
            return sent
        sent += 1
    report = dispatch(engine, {"slack": SlackChannel(sender, links=links, tz=config.timezone)})
    sent += report.messages_sent
    console.print(f"   sent to Slack: {sent} message(s) ({report.summary()} for the live alerts)",
                  highlight=False)
    return sent


def _write_digest(engine: Engine, directory: Path, *, links: Links, config: Config,
                  now: datetime) -> tuple[Path, Path]:
    """Today's digest (the live changes; imports never enter a digest) as .eml and .html."""
    from watcher.notify.digest import build_email, load_content, render_html
    from watcher.notify.email import EmlWriter

    day = now.astimezone(config.timezone).date()
    with Session(engine) as session:
        content = load_content(session, digest_date=day, since=None, until=now,
                               tz=config.timezone)
    message = build_email(content, links=links, sender="subsidy-watcher@localhost",
                          recipients=[], digest_id=None, now=now)
    name = f"digest-{day.isoformat()}"
    EmlWriter(directory).send(message, name=name)
    page = directory / f"{name}.html"
    page.write_text(render_html(content, links), encoding="utf-8")
    return directory / f"{name}.eml", page


def serve_admin(engine: Engine, options: DemoOptions, *, console: Console) -> None:
    """The admin page over the demo database until Ctrl-C."""
    import uvicorn
    from pydantic import SecretStr

    from watcher.settings import get_settings
    from watcher.web.app import create_app

    try:
        settings = get_settings(
            database_url=str(engine.url), config=SOURCES_TOML, admin_user=ADMIN_USER,
            admin_password=SecretStr(options.admin_password),
            session_secret=SecretStr(secrets.token_urlsafe(32)), public_url=options.public_url,
        )
    except Exception as exc:  # pydantic's ValidationError from a bad WATCHER_* variable
        raise ConfigError(f"environment settings: {str(exc).splitlines()[0]}") from None
    _check_port(options.host, options.port)
    app = create_app(settings, engine)
    console.print()
    console.print(f"[bold]6.[/] admin page: [link={options.public_url}/]{options.public_url}/[/link]"
                  f"  login [bold]{ADMIN_USER}[/] / [bold]{options.admin_password}[/]"
                  "  (Ctrl-C stops it)")
    uvicorn.run(app, host=options.host, port=options.port, log_config=None, access_log=False,
                server_header=False)


def _check_port(host: str, port: int) -> None:
    """Fail in one line when the port is taken (uvicorn would log and exit instead)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot serve the admin page on {host}:{port}: "
                              f"{exc.strerror or exc} (choose another with --port)") from None
