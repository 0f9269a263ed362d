"""scripts/pip_audit.sh, the CI dependency audit: fails on fixable vulnerabilities, warns on the
rest, and says plainly when PyPI could not be asked. No test here reaches the network: the
probe points at a closed loopback port, and reports are pip-audit's JSON written by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reliability.harness import REPO

from support.faultserver import refused_port

SCRIPT = REPO / "scripts" / "pip_audit.sh"


def run(tmp_path: Path, report: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
    lock = tmp_path / "requirements.lock"
    lock.write_text("httpx==0.28.1\nidna==3.10\n", encoding="utf-8")
    env = {**os.environ, "PYTHON": sys.executable,
           "PIP_AUDIT_PROBE_URL": f"http://127.0.0.1:{refused_port()}/pypi/pip/json"}
    if report is not None:
        path = tmp_path / "report.json"
        path.write_text(json.dumps(report), encoding="utf-8")
        env["PIP_AUDIT_RESULT"] = str(path)
    return subprocess.run(["bash", str(SCRIPT), str(lock)], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def dep(name: str, version: str, *vulns: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "version": version, "vulns": list(vulns)}


def vuln(ident: str, *fixes: str) -> dict[str, Any]:
    return {"id": ident, "fix_versions": list(fixes), "aliases": [f"CVE-{ident[-4:]}"],
            "description": "…"}


def test_an_unreachable_pypi_is_said_plainly_and_does_not_fail_the_build(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "unreachable" in result.stdout
    assert "NOT audited" in result.stdout


def test_a_vulnerability_with_a_fix_fails_the_build(tmp_path: Path) -> None:
    result = run(tmp_path, {"dependencies": [dep("httpx", "0.28.1"),
                                             dep("idna", "3.10", vuln("PYSEC-2026-0001", "3.11"))],
                            "fixes": []})
    assert result.returncode == 1
    assert "idna 3.10: PYSEC-2026-0001, CVE-0001 (fixed in 3.11)" in result.stdout


def test_a_vulnerability_without_a_fix_is_a_warning(tmp_path: Path) -> None:
    result = run(tmp_path, {"dependencies": [dep("httpx", "0.28.1", vuln("GHSA-xxxx-0002")),
                                             dep("idna", "3.10")], "fixes": []})
    assert result.returncode == 0
    assert "warning: httpx 0.28.1: GHSA-xxxx-0002" in result.stdout
    assert "2 locked package(s) audited" in result.stdout


def test_packages_pypi_does_not_know_are_not_counted_as_audited(tmp_path: Path) -> None:
    skipped = {"name": "idna", "skip_reason": "Dependency not found on PyPI and could not be audited"}
    result = run(tmp_path, {"dependencies": [skipped], "fixes": []})
    assert result.returncode == 0
    assert "NOT audited" in result.stdout


@pytest.mark.parametrize("content", ["not json", ""])
def test_an_unreadable_report_is_an_error_not_a_pass(tmp_path: Path, content: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content, encoding="utf-8")
    lock = tmp_path / "requirements.lock"
    lock.write_text("idna==3.10\n", encoding="utf-8")
    result = subprocess.run(["bash", str(SCRIPT), str(lock)], capture_output=True, text=True,
                            env={**os.environ, "PYTHON": sys.executable, "PIP_AUDIT_RESULT": str(path)},
                            timeout=60, check=False)
    assert result.returncode == 2
