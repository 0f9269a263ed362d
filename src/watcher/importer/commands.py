"""`watcher import-warc`, `watcher import-wayback` and `watcher demo` (registered by watcher.cli)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watcher.errors import ConfigError

# The store, pipeline and httpx are imported when a command runs, not by `watcher --help`.
if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from watcher.importer.core import ImportItem, ImportReport
    from watcher.isolation import ExtractionPool
    from watcher.pipeline import CheckOutcome
    from watcher.settings import Settings
    from watcher.sources import Config


def register(app: typer.Typer) -> None:
    """Add the history import commands and the offline demo to the `watcher` app."""
    app.command("import-warc")(import_warc)
    app.command("import-wayback")(import_wayback)
    app.command("demo")(demo)


def _config(settings: Settings) -> Config:
    from watcher.app_context import load_sources

    return load_sources(settings)


def _progress(console: Console) -> Callable[[ImportItem, CheckOutcome | None, str], None]:
    from watcher.notify.render import local_time

    def done(item: ImportItem, outcome: CheckOutcome | None, what: str) -> None:
        when = local_time(item.capture.captured_at)
        if outcome is None:
            console.print(f"  {when}  {item.source.id}: {what}", highlight=False, style="dim")
            return
        detail = f"{outcome.changes} change(s)" if outcome.status == "ok" else (
            f"{outcome.status}" + (f": {outcome.error}" if outcome.error else ""))
        console.print(f"  {when}  {item.source.id}: {detail}", highlight=False, markup=False)

    return done


def import_warc(
    files: Annotated[list[Path], typer.Argument(help="WARC files (.warc or .warc.gz), e.g. from the Internet Archive or `wget --warc-file`.")],
    source: Annotated[str | None, typer.Option("--source", "-s", help="Give the captures to this source id instead of matching by URL (for crawls of a copy, e.g. on localhost).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="With --source: the address whose captures to use when the files hold several.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the summary line.")] = False,
) -> None:
    """Import archived captures as history: snapshots and changes dated at each capture, never alerted."""
    from rich.console import Console

    from watcher.app_context import open_engine, read_settings
    from watcher.importer.core import import_archives, read_archives
    from watcher.runner import extraction_pool, pipeline_options
    from watcher.store.models import utcnow

    if url is not None and source is None:
        raise ConfigError("--url needs --source (the source the captures belong to)")
    settings = read_settings()
    config = _config(settings)
    # Every file is read before the database is opened: a wrong file writes nothing.
    archives = read_archives(files, config=config, source_id=source, url=url)
    engine = open_engine(settings)
    out = Console(stderr=True)
    with extraction_pool(settings) as pool:  # archived pages are read within the same limits
        report = import_archives(archives, config=config, engine=engine,
                                 options=pipeline_options(config, settings, pool), now=utcnow(),
                                 on_done=None if quiet else _progress(out))
    sys.stdout.write(report.summary() + "\n")
    if report.unmatched_urls and not quiet:
        shown = ", ".join(report.unmatched_urls[:5])
        out.print(f"no source watches: {shown}" + (" …" if len(report.unmatched_urls) > 5 else "")
                  + " (map a crawl of a copy with --source ID)", highlight=False, markup=False)


def import_wayback(
    url: Annotated[str, typer.Argument(help="The page's address, as the Wayback Machine knows it.")],
    since: Annotated[str, typer.Option("--from", help="First year or date (2022, 2022-06, 2022-06-20).")] = "1996",
    until: Annotated[str, typer.Option("--to", help="Last year or date, inclusive.")] = "2100",
    source: Annotated[str | None, typer.Option("--source", "-s", help="The source id (default: the source whose URL this is).")] = None,
    delay: Annotated[float, typer.Option("--delay", help="Seconds between requests to the archive (be polite).")] = 1.5,
    limit: Annotated[int, typer.Option("--limit", help="At most this many captures.")] = 500,
) -> None:
    """Import a page's history from the Wayback Machine (CDX API), politely, one capture at a time."""
    import asyncio

    import httpx
    from rich.console import Console
    from sqlmodel import Session

    from watcher.app_context import open_engine, read_settings
    from watcher.importer.core import url_key
    from watcher.runner import extraction_pool, pipeline_options
    from watcher.store import sync_sources
    from watcher.store.models import utcnow
    from watcher.wayback import WaybackClient, WaybackPolicy, check_timestamp, import_from_wayback

    first, last = check_timestamp(since, "--from"), check_timestamp(until, "--to")
    if delay < 0 or limit < 1:
        raise ConfigError("--delay must not be negative and --limit must be at least 1")
    settings = read_settings()
    config = _config(settings)
    if source is not None:
        chosen = config.source(source)
    else:
        matches = [s for s in config.sources if url_key(s.url) == url_key(url)]
        if not matches:
            raise ConfigError(f"no source in {config.path} has the URL {url}: name one with --source")
        chosen = matches[0]
    engine = open_engine(settings)
    with Session(engine) as session, session.begin():
        sync_sources(session=session, config=config, now=utcnow())
    out = Console(stderr=True)

    async def run(pool: ExtractionPool) -> ImportReport:
        headers = {"User-Agent": config.user_agent}
        async with httpx.AsyncClient(headers=headers, timeout=60.0, follow_redirects=True) as client:
            wayback = WaybackClient(client, policy=WaybackPolicy(min_interval_s=delay, limit=limit))
            return await import_from_wayback(
                wayback, url, source=chosen, engine=engine,
                options=pipeline_options(config, settings, pool), since=first, until=last,
                on_done=_progress(out),
            )

    with extraction_pool(settings) as pool:
        report = asyncio.run(run(pool))
    sys.stdout.write(report.summary() + "\n")


def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after writing the digest; do not start the admin page.")] = False,
    directory: Annotated[Path, typer.Option("--dir", help="Where the demo writes its database, WARC and digest.")] = Path("demo"),
    port: Annotated[int, typer.Option("--port", help="Port of the admin page.")] = 8000,
) -> None:
    """Replay 2022–2025 offline: import the bundled METI/IPA history, run one live check, show everything."""
    import logging

    from rich.console import Console

    from watcher import app_context
    from watcher.demo.run import DemoOptions, run_demo, serve_admin

    if app_context.options.log_level.upper() == "INFO":
        # The demo tells its own story on stdout; the per-check log lines would only repeat it.
        logging.getLogger("watcher").setLevel(logging.WARNING)

    # The demo needs no configuration: only a Slack webhook, if one is set, is used.
    webhook = os.environ.get("WATCHER_SLACK_WEBHOOK_URL") or None
    # Wide enough, when not on a terminal, that no amount is broken across lines.
    console = Console(width=None if sys.stdout.isatty() else 200)
    options = DemoOptions(directory=directory, serve=not no_serve, port=port,
                          slack_webhook_url=webhook)
    result = run_demo(options, console=console)
    if options.serve:
        try:
            serve_admin(result.engine, options, console=console)
        finally:
            result.engine.dispose()
