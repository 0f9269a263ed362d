"""What each way of starting `watcher` imports (checked in sys.modules, not timed).

Cron, CI jobs and containers start `watcher check` once per pass, so every module on its
path is paid on every run: the admin app, the PDF stack, spreadsheet readers, Alembic,
translation catalogues and the notification channels load only when a command or a
source's kind needs them (bench/README.md has the seconds).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.pageserver import PageServer

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"

# Never on the check path of an HTML source, nor behind `watcher --help`.
HEAVY = ("fastapi", "starlette", "uvicorn", "jinja2", "alembic", "mako", "pdfplumber", "pdfminer",
         "openpyxl", "babel", "slack_sdk", "smtplib", "apscheduler")
# `import watcher.cli` and `--help` stop before the store, the settings and HTTP.
STORE_AND_HTTP = ("sqlalchemy", "sqlmodel", "pydantic_settings", "pydantic", "httpx", "aiohttp",
                  "lxml", "asyncio")
# A check whose output is not a terminal prints plain text (rich, click and pygments are
# for terminals: httpx's own command-line client would bring them in otherwise).
TERMINAL_ONLY = ("rich", "click", "pygments", "markdown_it")

_RUN_CLI = """
import atexit, json, sys
out, args = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write(json.dumps(
    sorted(name for name, module in sys.modules.items() if module is not None))))
sys.argv = ["watcher", *args]
from watcher.cli import main
main()
"""


def loaded(names: list[str], roots: tuple[str, ...]) -> list[str]:
    """The packages among ``roots`` that one of ``names`` belongs to."""
    return sorted({root for root in roots for name in names
                   if name == root or name.startswith(root + ".")})


def watcher_modules(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
                    exit_code: int = 0) -> tuple[list[str], str]:
    """sys.modules at the exit of `watcher ARGS` run as a process (the console script's main())."""
    out = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, str(out), *args], cwd=tmp_path,
        env={**os.environ, "WATCHER_MIN_HOST_DELAY_S": "0", **(env or {})},
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    assert result.returncode == exit_code, result.stderr
    return json.loads(out.read_text(encoding="utf-8")), result.stdout


def test_importing_the_cli_loads_neither_the_store_nor_http() -> None:
    code = "import json, sys, watcher.cli; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    names = json.loads(result.stdout)
    assert loaded(names, HEAVY + STORE_AND_HTTP + TERMINAL_ONLY) == []


def test_help_loads_typer_and_rich_only(tmp_path: Path) -> None:
    names, stdout = watcher_modules(tmp_path, "--help")
    assert "check" in stdout
    assert loaded(names, HEAVY + STORE_AND_HTTP) == []


@pytest.fixture
def semiconductor_page(tmp_path: Path) -> tuple[PageServer, Path]:
    page = (PAGES / "meti-semiconductor-plans" / "change-ten-rows.html").read_bytes()
    server = PageServer()
    server.serve("/policy/mono_info_service/joho/laws/semiconductor.html", page)
    config = tmp_path / "sources.toml"
    config.write_text(
        '[[sources]]\nid = "meti-semiconductor-plans"\n'
        'name = "METI — 特定半導体生産施設整備等計画の認定"\nagency = "METI"\n'
        f'url = "{server.url("/policy/mono_info_service/joho/laws/semiconductor.html")}"\n'
        'extract = "table"\n', encoding="utf-8")
    return server, config


def test_an_unchanged_check_loads_only_the_check_path(
    tmp_path: Path, semiconductor_page: tuple[PageServer, Path],
) -> None:
    server, config = semiconductor_page
    env = {"WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    with server:
        first, first_out = watcher_modules(tmp_path, "--config", str(config), "check", env=env)
        again, again_out = watcher_modules(tmp_path, "--config", str(config), "check", env=env)
    assert "checked 1 source(s): 0 change(s), 0 failed, 0 suspect" in first_out
    assert "checked 1 source(s): 0 change(s), 0 failed, 0 suspect" in again_out
    ((_, first_headers), (_, again_headers)) = server.requests
    assert "if-none-match" not in {h.lower() for h in first_headers}
    assert "if-none-match" in {h.lower() for h in again_headers}  # answered 304

    # The first run creates the database (Alembic upgrades it); the table is read in an
    # extraction worker process, so the command's own process never loads lxml.
    assert loaded(first, ("alembic", "lxml")) == ["alembic"]
    assert loaded(first, HEAVY) == ["alembic", "mako"]
    # The second gets a 304: one query of the schema's version, no Alembic, no parsing.
    assert loaded(again, HEAVY + TERMINAL_ONLY + ("lxml", "charset_normalizer")) == []
    assert loaded(again, ("sqlalchemy", "httpx", "aiohttp")) == ["aiohttp", "httpx", "sqlalchemy"]


def test_the_container_health_check_loads_no_http_stack(tmp_path: Path) -> None:
    # Docker runs `watcher health` every five minutes: the store, and nothing to fetch with.
    env = {"WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    config = tmp_path / "sources.toml"
    config.write_text('[[sources]]\nid = "ipa-ai-safety"\nname = "IPA — AIセーフティ"\n'
                      'agency = "IPA"\nurl = "https://www.ipa.go.jp/"\nextract = "text"\n',
                      encoding="utf-8")
    watcher_modules(tmp_path, "db", "upgrade", env=env)
    names, stdout = watcher_modules(tmp_path, "--config", str(config), "health", env=env,
                                    exit_code=1)
    assert stdout == "unhealthy: no check has completed yet\n"
    assert loaded(names, (*HEAVY, "httpx", "aiohttp", "lxml")) == []
