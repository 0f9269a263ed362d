"""`watcher check` prints the same text for cron as on a terminal, where rich colours it.

For a pipe or a file the command writes its lines without importing rich (start-up time);
these cases hold that plain text to what rich itself prints when it is not on a terminal.
"""

from __future__ import annotations

import pytest

from watcher.cli.core import report_check
from watcher.pipeline import CheckOutcome


def outcome(source_id: str, status: str, error: str | None = None, changes: int = 0) -> CheckOutcome:
    return CheckOutcome(source_id=source_id, status=status, changes=changes, error=error,
                        duration_s=0.1, bytes=0, snapshot_id=None)


PASSES = {
    "all quiet": [outcome("meti-semiconductor-plans", "not_modified"),
                  outcome("ipa-ai-safety", "unchanged")],
    "changes and a maintenance page": [
        outcome("meti-semiconductor-plans", "ok", changes=3),
        outcome("meti-cloud-program", "suspect",
                "maintenance page: 「ただいまメンテナンス中です」 (令和７年４月１日 ０：００～６：００)"),
        outcome("ipa-ai-safety", "failed", "HTTP 503 Service Unavailable after 3 attempts"),
    ],
    "text a server wrote": [
        outcome("meti-gx-budget", "failed", "[/b] [bold]予算[/bold] 1,000億円\tを計上"),
        outcome("meti-rapidus", "error", "line one\n\tline two with a tab\x07 and a bell\x1b[31m"),
        outcome("meti-long", "failed", "接続できません：" + "経済産業省ウェブサイト" * 12),
        outcome("meti-empty", "failed", None),
        outcome("meti-kana", "failed", "ﾒﾝﾃﾅﾝｽ\t中\tCafe\u0301\t㈱ＡＢＣ\tend"),
    ],
    "nothing checked": [],
}


@pytest.mark.parametrize("outcomes", PASSES.values(), ids=PASSES.keys())
def test_plain_output_is_what_rich_prints_off_a_terminal(
    outcomes: list[CheckOutcome], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    report_check(outcomes, terminal=True)  # rich, writing to a captured (non-terminal) stdout
    with_rich = capsys.readouterr().out
    report_check(outcomes, terminal=False)
    plain = capsys.readouterr().out
    assert plain == with_rich
    assert plain.splitlines()[-1].startswith(f"checked {len(outcomes)} source(s): ")


def test_the_summary_counts_changes_failures_and_suspects(capsys: pytest.CaptureFixture[str]) -> None:
    report_check(PASSES["changes and a maintenance page"], terminal=False)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "meti-cloud-program: suspect: maintenance page: 「ただいまメンテナンス中です」 "
        "(令和７年４月１日 ０：００～６：００)",
        "ipa-ai-safety: failed: HTTP 503 Service Unavailable after 3 attempts",
        "checked 3 source(s): 3 change(s), 1 failed, 1 suspect",
    ]
