"""The `watcher` command: the global options, and the commands each stage brings.

This module only assembles: every command lives beside what it drives (cli/core.py for the
pipeline's own, notify/, web/, importer/ for theirs) and shares watcher.app_context.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from watcher import app_context
from watcher.errors import ConfigError, WatcherError

app = typer.Typer(
    help="Watch METI and IPA subsidy pages and report real changes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main_options(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="sources.toml to read (default: $WATCHER_CONFIG or ./sources.toml).")] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Global options."""
    from watcher.logs import setup_logging

    app_context.options.config_path = config
    app_context.options.log_level = log_level
    setup_logging(log_level)


def _register_commands() -> None:
    """Each module's register(app) adds its commands, in the order `--help` lists them."""
    from watcher.cli import core
    from watcher.importer import commands as importer_commands
    from watcher.notify import commands as notify_commands
    from watcher.web import commands as web_commands

    for module in (core, notify_commands, web_commands, importer_commands):
        module.register(app)


_register_commands()


def main() -> None:
    """Entry point: every WatcherError is one line on stderr (exit 2 for configuration)."""
    _without_httpx_cli()
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


def _without_httpx_cli() -> None:
    """Keep httpx from importing its own command-line client in this process.

    httpx's __init__ imports httpx._main (click, rich's consoles, progress bars and syntax
    highlighting, pygments: ~50 ms, on every `watcher check`) only to offer httpx.main(),
    which the watcher never calls. A None entry in sys.modules makes that one import fail,
    and httpx falls back to the stub it has for installations without its CLI extras.
    """
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
