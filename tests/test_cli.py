"""The `watcher` command as a user runs it: exit codes, one-line errors, the JSON contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.pageserver import PageServer

REPO = Path(__file__).resolve().parent.parent


def watcher(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "WATCHER_MIN_HOST_DELAY_S": "0", **(env or {})}
    return subprocess.run([sys.executable, "-m", "watcher.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_check_on_the_shipped_sources_records_every_source_as_failed_offline(tmp_path: Path) -> None:
    env = {"WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    result = watcher("--config", str(REPO / "sources.toml"), "check", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "checked 10 source(s): 0 change(s), 10 failed" in result.stdout

    listed = watcher("--config", str(REPO / "sources.toml"), "sources", "--json", cwd=tmp_path, env=env)
    statuses = json.loads(listed.stdout)
    assert {s["last_status"] for s in statuses} == {"failed"}
    assert all(s["last_error"] for s in statuses)  # each with its reason
    assert all(s["next_due_at"] for s in statuses)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[[sources]]\nid = "Bad Id"\nname = "x"\nagency = "METI"\nurl = "https://www.meti.go.jp/"\nextract = "table"\n',
         "field 'id'"),
        ("[[sources]\n", "TOML syntax error"),
    ],
)
def test_bad_config_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, toml: str, expected: str) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(toml, encoding="utf-8")
    db = tmp_path / "w.db"
    result = watcher("--config", str(config), "check", cwd=tmp_path,
                     env={"WATCHER_DATABASE_URL": f"sqlite:///{db}"})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert not db.exists()


def test_changes_json_follows_the_contract(tmp_path: Path) -> None:
    page = ("<html><head><title>AI・半導体産業基盤強化フレーム</title></head><body><div id='__main_contents'>"
            "<h1>AI・半導体産業基盤強化フレーム</h1><p>2030年度までに10兆円以上の公的支援を行う。</p>"
            "<p>今後10年間で50兆円超の官民投資を誘発する。</p></div></body></html>")
    with PageServer() as server:
        server.serve("/frame.html", page)
        config = tmp_path / "sources.toml"
        config.write_text(
            '[[sources]]\nid = "meti-ai-semiconductor-framework"\nname = "METI — AI・半導体産業基盤強化フレーム"\n'
            f'agency = "METI"\nurl = "{server.url("/frame.html")}"\nextract = "text"\n', encoding="utf-8")
        env = {"WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
        assert watcher("--config", str(config), "check", cwd=tmp_path, env=env).returncode == 0
        server.serve("/frame.html", page.replace("</div>", "<p>Rapidusを選定した。</p></div>"))
        assert watcher("--config", str(config), "check", cwd=tmp_path, env=env).returncode == 0

    result = watcher("--config", str(config), "changes", "--json", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    (change,) = json.loads(result.stdout)
    assert {"id", "source", "kind", "entity", "amount_yen", "previous_amount_yen", "url",
            "detected_at", "summary"} <= set(change)
    assert change["kind"] == "text_changed"
    assert change["source"] == "meti-ai-semiconductor-framework"
    assert change["amount_yen"] is None
    assert change["entity"] is None
    assert change["detected_at"].endswith("+00:00")
    since_future = watcher("--config", str(config), "changes", "--json", "--since", "2999-01-01",
                           cwd=tmp_path, env=env)
    assert json.loads(since_future.stdout) == []
    bad_since = watcher("--config", str(config), "changes", "--since", "yesterday", cwd=tmp_path, env=env)
    assert bad_since.returncode == 2
    assert "--since" in bad_since.stderr


def test_every_command_has_help(tmp_path: Path) -> None:
    for command in ("check", "changes", "sources", "db"):
        result = watcher(command, "--help", cwd=tmp_path)
        assert result.returncode == 0
        assert "Usage" in result.stdout
