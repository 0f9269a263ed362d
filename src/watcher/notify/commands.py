"""`watcher notify`, `watcher digest` and `watcher deliveries` (registered by watcher.cli; context from watcher.app_context)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watcher.errors import ConfigError

# The heavy imports (slack-sdk, Jinja2, the store) wait until a command runs, so that
# `watcher --help` and the other commands do not pay for them.
if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy.engine import Engine

    from watcher.settings import Settings
    from watcher.sources import Config

deliveries_app = typer.Typer(help="The outbox: queued, sent, failed and dead deliveries.",
                             no_args_is_help=False)


def register(app: typer.Typer) -> None:
    """Add the notification commands to the `watcher` app."""
    app.command("notify")(notify)
    app.command("digest")(digest)
    app.add_typer(deliveries_app, name="deliveries")


def _context() -> tuple[Settings, Engine, ZoneInfo]:
    from watcher.app_context import open_engine, read_settings, timezone

    settings = read_settings()
    return settings, open_engine(settings), timezone(settings)


def notify_after_check(settings: Settings, engine: Engine, config: Config) -> None:
    """What `watcher check` runs after its pass (unless --no-notify)."""
    from watcher.notify.jobs import notify_once

    report = notify_once(engine, settings, tz=config.timezone)
    if report.messages_sent or report.failed or report.dead:
        from rich.console import Console

        Console().print(f"notifications: {report.summary()}", highlight=False)


def notify() -> None:
    """Send queued alerts (and the daily digest when it is due) once."""
    from rich.console import Console

    from watcher.notify.jobs import notify_once

    settings, engine, tz = _context()
    report = notify_once(engine, settings, tz=tz)
    Console().print(report.summary(), highlight=False)
    if report.failed or report.dead:
        for error in report.errors:
            Console(stderr=True).print(f"  {error}", highlight=False, markup=False)


def digest(
    on: Annotated[str | None, typer.Option("--date", help="The digest's date, YYYY-MM-DD (default: the latest due).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the digest; record and send nothing.")] = False,
    to_file: Annotated[Path | None, typer.Option("--to-file", help="Write DIR/digest-<date>.eml instead of sending.")] = None,
) -> None:
    """Build the daily digest email and send it (once per date), or preview it."""
    from rich.console import Console
    from sqlmodel import Session

    from watcher.notify.channels import build_channels
    from watcher.notify.digest import (
        build_email,
        digest_window,
        due_digest_date,
        load_content,
        parse_digest_time,
        queue_digest,
        recipients,
    )
    from watcher.notify.email import EmlWriter
    from watcher.notify.outbox import dispatch, utc_now
    from watcher.notify.render import Links
    from watcher.store.outbox import digest_delivery, find_digest

    settings, engine, tz = _context()
    at = parse_digest_time(settings.digest_time)
    now = utc_now()
    try:
        digest_date = date.fromisoformat(on) if on else due_digest_date(now, at, tz)
    except ValueError:
        raise ConfigError(f"--date: '{on}' is not a date like 2025-11-21") from None
    links = Links(public_url=settings.public_url)
    out = Console()
    if dry_run or to_file is not None:
        with Session(engine) as session:
            existing = find_digest(session=session, digest_date=digest_date.isoformat())
            if existing is not None and existing.until is not None:
                since, until = existing.since, existing.until
            else:
                since, until = digest_window(session, digest_date=digest_date, at=at, tz=tz,
                                             now=now)
            content = load_content(session, digest_date=digest_date, since=since, until=until,
                                   tz=tz)
        message = build_email(content, links=links, sender=settings.smtp_from,
                              recipients=recipients(settings.digest_to),
                              digest_id=existing.id if existing else None, now=now)
        if to_file is not None:
            EmlWriter(to_file).send(message, name=f"digest-{digest_date.isoformat()}")
            out.print(f"wrote {to_file / f'digest-{digest_date.isoformat()}.eml'}", highlight=False)
        if dry_run:
            text = message.get_body(("plain",))
            sys.stdout.write(f"Subject: {message['Subject']}\nTo: {message['To']}\n\n")
            sys.stdout.write(text.get_content() if text is not None else "")
        return
    channels = build_channels(settings, tz=tz)
    email = channels.get("email")
    if email is None:
        raise ConfigError("WATCHER_DIGEST_TO is required to send the digest by SMTP")
    result = queue_digest(engine, digest_date=digest_date, at=at, tz=tz, now=now,
                          send_empty=settings.digest_empty)
    if result.digest is None:
        out.print(f"the digest for {digest_date} was just recorded by another worker",
                  highlight=False)
        return
    if not result.created:
        with Session(engine) as session:
            delivery = digest_delivery(session=session, digest_id=result.digest.id)
        state = f"delivery #{delivery.id}: {delivery.status}" if delivery else "nothing was sent"
        out.print(f"the digest for {digest_date} already exists ({result.digest.change_count} "
                  f"change(s), {state})", highlight=False)
    elif not result.queued:
        out.print(f"no changes for {digest_date}: nothing to send "
                  "(WATCHER_DIGEST_EMPTY=true sends empty digests)", highlight=False)
        return
    report = dispatch(engine, {"email": email})
    out.print(f"digest {digest_date}: {report.summary()}", highlight=False)
    for error in report.errors:
        Console(stderr=True).print(f"  {error}", highlight=False, markup=False)


@deliveries_app.callback(invoke_without_command=True)
def deliveries(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Include sent deliveries.")] = False,
    status: Annotated[list[str] | None, typer.Option("--status", help="Only this status (repeatable): pending, sending, sent, failed, dead.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the outbox: what is queued, failed or dead (and sent, with --all)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.console import Console
    from rich.table import Table
    from sqlmodel import Session

    from watcher.notify.render import local_time
    from watcher.store.outbox import STATUSES, list_deliveries

    for s in status or ():
        if s not in STATUSES:
            raise ConfigError(f"--status: '{s}' is not one of {', '.join(STATUSES)}")
    statuses = tuple(status or ()) or (() if show_all else ("pending", "sending", "failed", "dead"))
    _, engine, tz = _context()
    with Session(engine) as session:
        rows = list_deliveries(session=session, statuses=statuses, limit=limit)
    if as_json:
        sys.stdout.write(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2) + "\n")
        return

    def when(value: datetime | None) -> str:
        return local_time(value, tz) if value else "—"

    table = Table(title=f"{len(rows)} delivery(ies)")
    for column in ("id", "channel", "status", "tries", "carries", "queued", "next / sent", "last error"):
        table.add_column(column)
    for r in rows:
        upcoming = when(r.sent_at) if r.status == "sent" else (
            when(r.next_attempt_at) if r.status in ("pending", "failed") else "—")
        table.add_row(str(r.id), r.channel, r.status, str(r.attempts),
                      r.subject + (f" [{r.source_id}]" if r.source_id else ""),
                      when(r.created_at), upcoming, r.last_error or "")
    Console().print(table)


@deliveries_app.command("retry")
def retry(
    ids: Annotated[list[int] | None, typer.Option("--id", help="This delivery (repeatable; dead or failed).")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Every dead delivery.")] = False,
) -> None:
    """Queue dead (or failed) deliveries again; the next `watcher notify` sends them."""
    from rich.console import Console
    from sqlmodel import Session

    from watcher.notify.outbox import utc_now
    from watcher.store.outbox import retry_deliveries

    if not ids and not dead:
        raise ConfigError("deliveries retry: give --id N (repeatable) or --dead")
    _, engine, _ = _context()
    with Session(engine) as session, session.begin():
        queued = retry_deliveries(session=session, now=utc_now(), delivery_ids=tuple(ids or ()),
                                  dead=dead)
    out = Console()
    if not queued:
        out.print("nothing to retry (only dead or failed deliveries can be retried)", highlight=False)
        return
    out.print(f"queued again: {len(queued)} delivery(ies) ({', '.join(map(str, queued))}); "
              "`watcher notify` sends them now", highlight=False)
