"""`watcher import-warc` as a user runs it: archives from the demo, from wget, and bad files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner, Result

from watcher.cli import app, main
from watcher.demo.fixtures import SOURCES_TOML, build_demo_warc, demo_config, fixture_captures
from watcher.importer.warc import read_warc
from watcher.store import list_changes, make_engine

from support.pageserver import PageServer

REPO = Path(__file__).resolve().parents[2]
IPA = REPO / "src/watcher/demo_data/pages/ipa-news"


def watcher(*args: str, cwd: Path, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WATCHER_DATABASE_URL": f"sqlite:///{db}"}
    env.pop("WATCHER_SLACK_WEBHOOK_URL", None)
    return subprocess.run([sys.executable, "-m", "watcher.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def cli(*args: str, db: Path) -> Result:
    """`watcher ARGS` in this process (each subprocess costs seconds of start-up)."""
    env: dict[str, str | None] = {"WATCHER_DATABASE_URL": f"sqlite:///{db}", "WATCHER_SLACK_WEBHOOK_URL": None}
    return CliRunner().invoke(app, list(args), env=env)


def test_the_demo_archive_imports_against_the_shipped_sources_once(tmp_path: Path) -> None:
    warc = tmp_path / "history.warc.gz"
    build_demo_warc(warc, fixture_captures(demo_config()))
    db = tmp_path / "w.db"
    config = str(REPO / "sources.toml")  # the real sources match the archive by URL

    first = cli("--config", config, "import-warc", str(warc), db=db)
    again = cli("--config", config, "import-warc", str(warc), "--quiet", db=db)

    assert first.exit_code == 0, first.output
    assert "imported 21 capture(s): 32 historical change(s); 21 ok; 0 already imported" in first.stdout
    assert "2022-07-29 09:00 JST  meti-semiconductor-plans: 1 change(s)" in first.stderr
    assert again.exit_code == 0, again.output
    assert again.stdout == "imported 0 capture(s): 0 historical change(s); 21 already imported\n"


def test_a_file_that_is_not_a_warc_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html></html>", encoding="utf-8")
    db = tmp_path / "w.db"
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setattr(sys, "argv", ["watcher", "--config", str(SOURCES_TOML), "import-warc", str(page)])

    with pytest.raises(SystemExit) as exit_:
        main()

    assert exit_.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {page}: not a readable WARC file (")
    assert not db.exists()  # every file is read before the database is opened


@pytest.mark.skipif(shutil.which("wget") is None, reason="wget is not installed")
def test_a_wget_crawl_of_a_local_copy_imports_with_source(tmp_path: Path, page_server: PageServer) -> None:
    url = page_server.url("/news/index.html")
    page_server.serve("/assets/css/style.css?v=20251101", "body{}", content_type="text/css")
    # Never off the loopback host: no proxy, no other domains (the page links to real ones).
    wget = ["wget", "--quiet", "--no-proxy", "--tries=1", "--timeout=10", "--domains=127.0.0.1"]
    page_server.serve("/news/index.html", (IPA / "2025-11-14.html").read_bytes())
    subprocess.run([*wget, f"--warc-file={tmp_path / 'before'}", "--directory-prefix",
                    str(tmp_path / "before"), url], check=True, timeout=60)
    page_server.serve("/news/index.html", (IPA / "2025-11-25.html").read_bytes())
    # With its stylesheet, as the README suggests; the missing logo and script are 404s.
    subprocess.run([*wget, "--page-requisites", f"--warc-file={tmp_path / 'after'}",
                    "--directory-prefix", str(tmp_path / "after"), url], check=False, timeout=60)
    archived = [c.url for c in read_warc(tmp_path / "after.warc.gz")]
    assert archived == [url, page_server.url("/assets/css/style.css?v=20251101")]
    db = tmp_path / "w.db"

    result = watcher("--config", str(SOURCES_TOML), "import-warc", str(tmp_path / "before.warc.gz"),
                     str(tmp_path / "after.warc.gz"), "--source", "ipa-news", cwd=tmp_path, db=db)

    assert result.returncode == 0, result.stderr
    assert "imported 2 capture(s): 1 historical change(s)" in result.stdout
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        [change] = list_changes(session=session)
    engine.dispose()
    assert (change.source, change.kind, change.imported) == ("ipa-news", "link_added", True)
    assert change.entity == "Rapidus株式会社への出資(1,000億円)について"
    assert change.url == page_server.url("/news/2025/press20251121.html")
