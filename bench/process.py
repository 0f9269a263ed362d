"""Whole-process mode: `watcher check` started once per cycle, the way cron starts it.

    python bench/run.py --mode process [--urlwatch PATH] [--compare-src DIR]

Every step is a fresh process whose wall time (start to exit) and CPU (user + sys of that
child, from wait4) are measured: interpreter start, imports, settings,
sources.toml, the schema check, the pass and the exit. Against the same page server:

- ``watcher --help``;
- ``watcher check`` of one unchanged source (a 304), on a database that checked it once;
- N sources: the bare-httpx and bare-aiohttp scripts (bench/bare.py: import the client,
  fetch and hash every page), ``watcher check`` unchanged (N 304s) and changed (version 2
  of the site, 1 page in 10 edited, the database restored before each run), and urlwatch
  2.29 (its own venv, ``--urlwatch``) unchanged and changed the same way (cache restored).

Steps that are compared run interleaved (one of each per round), so that a machine that gets
busier slows all of them alike; medians of ``--process-repeat`` rounds (default 10) are kept.
``--compare-src DIR`` runs a second watcher from another checkout's ``src/`` (PYTHONPATH, same
venv) in the same rounds: the old → new comparison of bench/README.md.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

HERE = Path(__file__).resolve().parent
SUMMARY = re.compile(r"checked (\d+) source\(s\): (\d+) change\(s\), (\d+) failed, (\d+) suspect")


class PageServer(Protocol):
    """What bench/run.py's Server offers (the page server in its own process)."""

    urls: list[str]
    stats: dict[str, Any]

    def mode(self, *, version: int, validators: bool) -> None: ...

    def counters(self) -> dict[str, int]: ...


@dataclass(slots=True)
class Run:
    """One process: wall and CPU seconds, and what it printed."""

    wall_s: float
    cpu_s: float
    stdout: str
    stderr: str = ""
    served: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class ProcessStep:
    """The runs of one step, and their medians."""

    name: str
    group: str
    runs: list[Run] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def cpu_s(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    def row(self) -> dict[str, Any]:
        return {"name": self.name, "group": self.group, "wall_s": self.wall_s, "cpu_s": self.cpu_s,
                "runs": [round(r.wall_s, 3) for r in self.runs],
                "cpu_runs": [round(r.cpu_s, 3) for r in self.runs]}


def run_process(cmd: list[str], *, env: dict[str, str], cwd: Path) -> Run:
    """Start ``cmd``, wait for it with wait4 (its own CPU); a failure stops the bench."""
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = err.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")
    return Run(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
               stdout=out.read_text(encoding="utf-8", errors="replace"),
               stderr=err.read_text(encoding="utf-8", errors="replace"))


# --- the watcher, as cron runs it ----------------------------------------------------------


def write_sources(path: Path, urls: list[str]) -> None:
    """A sources.toml of ``extract = "table"`` sources, one per URL (ids as in-process)."""
    lines = ['[watcher]\ndefault_schedule = "every 6h"\n']
    for i, url in enumerate(urls):
        lines.append(f'[[sources]]\nid = "bench-{i:04d}"\nname = "ベンチマーク {i:04d}"\n'
                     f'agency = "METI"\nurl = "{url}"\nextract = "table"\n')
    path.write_text("\n".join(lines), encoding="utf-8")


@dataclass(slots=True)
class Watcher:
    """One watcher under test: this checkout's, or another ``src/`` on PYTHONPATH."""

    label: str
    work: Path
    src: Path | None
    connections: int
    transport: str | None

    def env(self, config: Path, db: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
        env.update({
            "WATCHER_CONFIG": str(config), "WATCHER_DATABASE_URL": f"sqlite:///{db}",
            # One host serves every page: per-host politeness would serialise the pass.
            "WATCHER_MAX_CONNECTIONS": str(self.connections),
            "WATCHER_PER_HOST": str(self.connections), "WATCHER_MIN_HOST_DELAY_S": "0",
        })
        if self.transport:
            env["WATCHER_TRANSPORT"] = self.transport
        if self.src is not None:
            env["PYTHONPATH"] = str(self.src)
        return env

    def run(self, *args: str, config: Path, db: Path, python: tuple[str, ...] = ()) -> Run:
        """`watcher ARGS` through the venv's console script (``python`` options before it)."""
        script = str(Path(sys.executable).with_name("watcher"))
        command = [sys.executable, *python, script] if python else [script]
        return run_process([*command, *args], env=self.env(config, db), cwd=self.work)


def checked(run: Run, *, sources: int, changes: int) -> Run:
    """The run, after making sure its summary line says what the step expects."""
    found = SUMMARY.search(run.stdout)
    if found is None:
        raise SystemExit(f"no summary line in `watcher check` output:\n{run.stdout[-2000:]}")
    got = tuple(int(x) for x in found.groups())
    if got != (sources, changes, 0, 0):
        raise SystemExit(f"`watcher check` said {found.group(0)!r}; expected {sources} sources, "
                         f"{changes} changes, none failed or suspect")
    return run


def copy_db(db: Path, to: Path) -> None:
    """The SQLite file (and its WAL, if a process left one) copied beside ``to``."""
    for suffix in ("", "-wal", "-shm"):
        src, dst = Path(f"{db}{suffix}"), Path(f"{to}{suffix}")
        if src.exists():
            shutil.copyfile(src, dst)
        elif dst.exists():
            dst.unlink()


# --- urlwatch 2.29 -------------------------------------------------------------------------


@dataclass(slots=True)
class Urlwatch:
    """urlwatch from its own venv, with its job list, config and cache in ``work``."""

    executable: Path
    work: Path

    def setup(self, urls: list[str]) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        jobs = [f"name: bench-{i:04d}\nurl: {url}\n" for i, url in enumerate(urls)]
        (self.work / "urls.yaml").write_text("---\n".join(jobs), encoding="utf-8")
        (self.work / "urlwatch.yaml").write_text(
            "display:\n  new: true\n  error: true\n  unchanged: false\n"
            "report:\n  stdout:\n    enabled: true\n    color: false\n", encoding="utf-8")

    @property
    def cache(self) -> Path:
        return self.work / "cache.db"

    def run(self) -> Run:
        env = {**os.environ, "HOME": str(self.work)}
        return run_process(
            [str(self.executable), "--urls", str(self.work / "urls.yaml"),
             "--config", str(self.work / "urlwatch.yaml"), "--hooks", str(self.work / "hooks.py"),
             "--cache", str(self.cache)], env=env, cwd=self.work)


# --- the rounds ----------------------------------------------------------------------------


def rounds(steps: dict[str, tuple[ProcessStep, Callable[[], Run]]], repeat: int,
           server: PageServer) -> None:
    """``repeat`` rounds of every step in turn, each run with what the server answered."""
    for i in range(repeat):
        for step, action in steps.values():
            server.counters()
            run = action()
            run.served = server.counters()
            step.runs.append(run)
        print(f"  round {i + 1}/{repeat}: " + ", ".join(
            f"{name} {step.runs[-1].wall_s:.2f} s" for name, (step, _) in steps.items()),
            file=sys.stderr)


def run_process_mode(server: PageServer, *, work: Path, repeat: int, connections: int,
                     transport: str | None, urlwatch: Path | None,
                     compare_src: Path | None) -> tuple[list[ProcessStep], dict[str, str]]:
    """Every whole-process step (see the module docstring), in order, and for each watcher
    the ``-X importtime`` output of one more unchanged one-source check."""
    urls, n = server.urls, len(server.urls)
    expected = int(server.stats["expected_changes"])
    watchers = [Watcher("watcher", work / "new", None, connections, transport)]
    if compare_src is not None:
        watchers.append(Watcher(f"watcher @ {compare_src}", work / "old", compare_src.resolve(),
                                connections, transport))
    one, many = work / "one.toml", work / "many.toml"
    write_sources(one, urls[:1])
    write_sources(many, urls)
    (work / "urls.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
    for w in watchers:
        w.work.mkdir(parents=True, exist_ok=True)
    out: list[ProcessStep] = []

    def step(name: str, group: str) -> ProcessStep:
        out.append(ProcessStep(name=name, group=group))
        return out[-1]

    server.mode(version=1, validators=True)
    # Start-up: --help, and one source that answers 304.
    start: dict[str, tuple[ProcessStep, Callable[[], Run]]] = {}
    for w in watchers:
        db1 = w.work / "one.db"
        checked(w.run("check", config=one, db=db1), sources=1, changes=0)
        start[f"{w.label} --help"] = (step(f"{w.label} --help", "start-up"),
                                      lambda w=w, d=db1: w.run("--help", config=one, db=d))
        start[f"{w.label} check (1, 304)"] = (
            step(f"{w.label} check: 1 source, unchanged (304)", "start-up"),
            lambda w=w, d=db1: checked(w.run("check", config=one, db=d), sources=1, changes=0))
    print("start-up (--help, one unchanged source):", file=sys.stderr)
    rounds(start, repeat, server)
    importtime = {w.label: checked(w.run("check", config=one, db=w.work / "one.db",
                                         python=("-X", "importtime")), sources=1, changes=0).stderr
                  for w in watchers}

    # N sources: baselines, then unchanged rounds beside the bare scripts and urlwatch.
    for w in watchers:
        base = step(f"{w.label} check: {n} new (baseline)", f"N = {n}")
        base.runs.append(checked(w.run("check", config=many, db=w.work / "many.db"),
                                 sources=n, changes=0))
        print(f"  {w.label} baseline: {base.runs[0].wall_s:.2f} s", file=sys.stderr)
    uw = Urlwatch(urlwatch, work / "urlwatch") if urlwatch is not None else None
    if uw is not None:
        uw.setup(urls)
        step(f"urlwatch 2.29: {n} new (baseline)", f"N = {n}").runs.append(
            urlwatch_reported(uw.run(), changed=0, new=n))
    unchanged: dict[str, tuple[ProcessStep, Callable[[], Run]]] = {}
    for client in ("httpx", "aiohttp"):
        unchanged[f"bare {client}"] = (
            step(f"bare {client} script: {n} pages (200)", f"N = {n}"),
            lambda c=client: run_process(
                [sys.executable, str(HERE / "bare.py"), c, str(work / "urls.txt"),
                 "--connections", str(connections)], env=dict(os.environ), cwd=work))
    for w in watchers:
        unchanged[w.label] = (step(f"{w.label} check: {n} unchanged (304)", f"N = {n}"),
                              lambda w=w: checked(w.run("check", config=many, db=w.work / "many.db"),
                                                  sources=n, changes=0))
    if uw is not None:
        unchanged["urlwatch"] = (step(f"urlwatch 2.29: {n} unchanged (304)", f"N = {n}"),
                                 lambda uw=uw: urlwatch_reported(uw.run(), changed=0))
    print(f"N = {n}, unchanged:", file=sys.stderr)
    rounds(unchanged, repeat, server)

    # Changed: version 2 of the site; each run starts from the unchanged state again.
    for w in watchers:
        copy_db(w.work / "many.db", w.work / "unchanged.db")
    if uw is not None:
        shutil.copyfile(uw.cache, uw.work / "unchanged-cache.db")
    server.mode(version=2, validators=True)
    changed: dict[str, tuple[ProcessStep, Callable[[], Run]]] = {}
    for w in watchers:
        def watcher_changed(w: Watcher = w) -> Run:
            copy_db(w.work / "unchanged.db", w.work / "many.db")
            return checked(w.run("check", config=many, db=w.work / "many.db"), sources=n,
                           changes=expected)
        changed[w.label] = (step(f"{w.label} check: {n}, {expected} changed", f"N = {n}"),
                            watcher_changed)
    if uw is not None:
        def urlwatch_changed(uw: Urlwatch = uw) -> Run:
            shutil.copyfile(uw.work / "unchanged-cache.db", uw.cache)
            return urlwatch_reported(uw.run(), changed=expected)
        changed["urlwatch"] = (step(f"urlwatch 2.29: {n}, {expected} changed", f"N = {n}"),
                               urlwatch_changed)
    print(f"N = {n}, changed:", file=sys.stderr)
    rounds(changed, repeat, server)
    server.mode(version=1, validators=True)
    return out, importtime


def urlwatch_reported(run: Run, *, changed: int, new: int = 0) -> Run:
    """The run, after making sure urlwatch's report lists what the step expects."""
    found = {kind: len(re.findall(rf"^\d+\. {kind}: ", run.stdout, re.MULTILINE))
             for kind in ("NEW", "CHANGED", "ERROR")}
    if found != {"NEW": new, "CHANGED": changed, "ERROR": 0}:
        raise SystemExit(f"urlwatch reported {found}; expected {new} new, {changed} changed")
    return run
