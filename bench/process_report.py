"""The whole-process mode's report: the table, the issue's targets, the machine and bytecode.

bench/run.py prints ``report_process()`` after bench/process.py has run the steps.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
from pathlib import Path
from typing import Any

from process import ProcessStep


def table(steps: list[ProcessStep]) -> str:
    """Markdown: one row per step, medians with the spread of the runs.

    (No peak RSS: a child started by fork/vfork reports the bench's own as its high-water mark.)
    """
    lines = ["| whole process | runs | wall s (median) | min – max | CPU s (median) |",
             "|---|---:|---:|---:|---:|"]
    for s in steps:
        walls = [r.wall_s for r in s.runs]
        lines.append(f"| {s.name} | {len(s.runs)} | {s.wall_s:.3f} | {min(walls):.3f} – "
                     f"{max(walls):.3f} | {s.cpu_s:.3f} |")
    return "\n".join(lines)


def paired_ratio(a: ProcessStep, b: ProcessStep) -> float:
    """The median over rounds of a's wall time over b's in the same round."""
    return statistics.median(x.wall_s / y.wall_s for x, y in zip(a.runs, b.runs, strict=True))


def verdicts(steps: list[ProcessStep], *, label: str = "watcher") -> list[tuple[bool, str]]:
    """The issue's whole-process targets for one watcher (reported, never asserted)."""

    def first(prefix: str, suffix: str = "", *, but: str = "1 source") -> ProcessStep | None:
        return next((s for s in steps if s.name.startswith(prefix) and s.name.endswith(suffix)
                     and (but not in s.name or but in prefix)), None)

    out: list[tuple[bool, str]] = []
    help_ = first(f"{label} --help")
    if help_ is not None:
        out.append((help_.wall_s < 0.2, f"`watcher --help`: {help_.wall_s:.3f} s (target < 0.2 s)"))
    one = first(f"{label} check: 1 source")
    if one is not None:
        out.append((one.wall_s < 0.5, f"`watcher check`, one unchanged source (304): "
                    f"{one.wall_s:.3f} s (target < 0.5 s)"))
    bare, mine = first("bare httpx script"), first(f"{label} check: ", " unchanged (304)")
    if bare is not None and mine is not None:
        ratio = mine.wall_s / bare.wall_s
        out.append((ratio <= 0.6, f"{mine.name}: {mine.wall_s:.2f} s = {ratio:.2f}× the bare-httpx "
                    f"script's {bare.wall_s:.2f} s (paired per round {paired_ratio(mine, bare):.2f}×; "
                    "target ≤ 0.6×)"))
    changed, theirs = first(f"{label} check: ", " changed"), first("urlwatch", " changed")
    if changed is not None and theirs is not None:
        out.append((changed.wall_s < theirs.wall_s,
                    f"{changed.name}: {changed.wall_s:.2f} s vs urlwatch's {theirs.wall_s:.2f} s "
                    f"(paired per round {paired_ratio(changed, theirs):.2f}×; target: faster)"))
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def bytecode_note() -> str:
    """Whether the venv's and the watcher's modules have bytecode (else every start compiles).

    uv does not compile what it installs unless asked (``--compile-bytecode``, as `make
    install` does), and with PYTHONDONTWRITEBYTECODE set nothing is cached at run time: each
    process then compiles every module it imports (about 1.2 s more for `watcher check`).
    """
    import importlib.util

    missing = []
    for name in ("sqlalchemy", "pydantic", "httpx", "aiohttp", "watcher.pipeline"):
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        if origin and not Path(importlib.util.cache_from_source(origin)).exists():
            missing.append(name)
    if not missing:
        return "bytecode present for the venv and the watcher (as pip, or `make install`, leaves it)"
    return (f"⚠ no bytecode for {', '.join(missing)}: every process compiles them (run "
            "`make bench-process`, which compiles first)")


def report_process(steps: list[ProcessStep], importtime: dict[str, str], *, n: int, repeat: int,
                   load: str, note: str, compare_src: Path | None) -> dict[str, Any]:
    """Print the whole-process table, the targets and where the one-source check's imports
    go; the rows for --json."""
    print(f"\nWhole processes — N = {n}, medians of {repeat} rounds, {load}; {note}\n")
    print(table(steps))
    print()
    labels = ["watcher"] + ([f"watcher @ {compare_src}"] if compare_src is not None else [])
    for label in labels:
        if len(labels) > 1:
            print(f"{label}:")
        for ok, text in verdicts(steps, label=label):
            print(f"- {'✅' if ok else '❌'} {text}")
    for label, stderr in importtime.items():
        print(f"\n`{label} check` of one unchanged source, under -X importtime: "
              + import_breakdown(stderr))
    return {"load": load, "bytecode": note, "steps": [s.row() for s in steps],
            "importtime": {label: import_breakdown(e) for label, e in importtime.items()}}


def import_breakdown(stderr: str, *, top: int = 15) -> str:
    """``-X importtime`` output summed by top-level package: where a start spends its imports.

    Self times (a module without its own imports) add up to the whole import time; under
    -X importtime they run ~1.3× slower than without it, so read them as shares.
    """
    rows = re.findall(r"^import time:\s+(\d+) \|\s+\d+ \| +(\S+)$", stderr, re.MULTILINE)
    by_package: dict[str, int] = {}
    for self_us, module in rows:
        package = module.split(".")[0]
        by_package[package] = by_package.get(package, 0) + int(self_us)
    total = sum(by_package.values()) or 1
    lines = [f"imports: {len(rows)} modules, {total / 1000:.0f} ms under -X importtime", "",
             "| package | ms | share |", "|---|---:|---:|"]
    for package, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"| {package} | {us / 1000:.1f} | {us / total:.0%} |")
    return "\n".join(lines)
