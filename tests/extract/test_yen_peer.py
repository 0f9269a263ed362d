"""The yen parser against 689 cases from 17 public Japanese-number test suites.

The cases live outside the repository, in ``shared/peer-yen/`` next to the checkout
(or wherever ``WATCHER_PEER_YEN_DIR`` points): ``cases.json`` (each case with its suite,
repository, commit and line, the ``probe`` fed to the parser and how to compare) and
``judgments.json`` (a verdict for every group of disagreements). They are read here, at
test time, and never copied into the repository; without them the test is skipped.

Every in-scope case must agree, except those judged 'peer convention' (the peer's own
style, on forms outside the parser's scope) or 'by design' (a documented refusal of
yen.py). Cases judged 'project wrong' must agree: they were the parser's bugs.

How a case is compared (its ``compare`` field): ``exact`` — parse_yen(probe) equals the
expected integer; ``round`` — equals it rounded half up; ``abs`` — its magnitude does;
``none`` — parse_yen gives None; ``contains`` — some amount of find_yen_amounts has the
value; ``at:N`` — the N-th amount of find_yen_amounts has it.
"""

from __future__ import annotations

import json
import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from watcher.extract.yen import find_yen_amounts, parse_yen

ROOT = Path(__file__).resolve().parents[2]
EXCUSED = {"peer convention", "by design"}


def _peer_dir() -> Path | None:
    configured = os.environ.get("WATCHER_PEER_YEN_DIR")
    # else shared/ beside the checkout, or beside the worktrees' folder (wt/<name>/../../shared)
    candidates = (
        [Path(configured)]
        if configured
        else [parent / "shared" / "peer-yen" for parent in ROOT.parents[:2]]
    )
    return next((c for c in candidates if (c / "cases.json").is_file()), None)


def _cases() -> list[Any]:
    folder = _peer_dir()
    if folder is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason="shared/peer-yen not present"))]
    cases = json.loads((folder / "cases.json").read_text(encoding="utf-8"))["cases"]
    judgments = json.loads((folder / "judgments.json").read_text(encoding="utf-8"))
    verdicts = {case_id: group["verdict"] for group in judgments["groups"] for case_id in group["ids"]}
    return [
        pytest.param(case, id=case["id"])
        for case in cases
        if case["scope"] == "in" and verdicts.get(case["id"]) not in EXCUSED
    ]


def agrees(case: dict[str, Any]) -> bool:
    """Whether the parser gives what the peer's test expects, as the case says to compare."""
    probe, compare = case["probe"], case["compare"]
    if compare == "none":
        return parse_yen(probe) is None
    expected = Decimal(case["expected"])
    if compare == "exact":
        return parse_yen(probe) == int(expected)
    if compare == "round":
        return parse_yen(probe) == int(expected.to_integral_value(rounding=ROUND_HALF_UP))
    if compare == "abs":
        value = parse_yen(probe)
        return value is not None and abs(value) == int(expected)
    amounts = [a.yen for a in find_yen_amounts(probe)]
    if compare == "contains":
        return int(expected) in amounts
    if compare.startswith("at:"):
        index = int(compare.removeprefix("at:"))
        return len(amounts) > index and amounts[index] == int(expected)
    raise ValueError(f"unknown comparison {compare!r} in case {case['id']}")


@pytest.mark.parametrize("case", _cases())
def test_the_parser_agrees_with_every_peer_case_in_scope(case: dict[str, Any]) -> None:
    assert agrees(case), (
        f"{case['id']} ({case['repo']} {case['path']}:{case['line']}): "
        f"{case['probe']!r} gives {parse_yen(case['probe'])}, "
        f"expected {case['expected']} ({case['compare']})"
    )
