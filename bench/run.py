"""Benchmark: `watcher check` cycles over N METI-like pages against two bare-client floors.

    python bench/run.py            N = 500 (the issue's targets are for this size)
    python bench/run.py --quick    N = 50, for a smoke run
    python bench/run.py --n 200 --transport httpx --json out.json
    python bench/run.py --mode process --urlwatch PATH    whole processes (bench/process.py)

A page server (bench/server.py, uvicorn) runs in its own process so that its CPU
is not counted. ``--mode process`` starts `watcher check` as a process per cycle, the way
cron does (see bench/process.py); the default in-process mode runs, in order:

1. floors: a bare httpx.AsyncClient GET of all N pages + sha256, and the same with
   a bare aiohttp client, each run --repeat times in a child process (so that their
   memory is not counted as the watcher's);
2. `watcher check` cycles in this process, through watcher.runner.run_check_pass
   on a fresh SQLite database: baseline, unchanged (304s), unchanged without
   validators (every page a full 200 with the same hash), changed (1 page in 10
   edited, validators on); the unchanged cycles are repeated too;
3. a parse probe: lxml parsing every page's table (the "plus parsing" of the
   baseline target), and the watcher's own `table` extractor on every page;
4. the floors again, so that a machine that got busier during the run shows up
   in both; medians of all floor runs are kept.

Wall time, CPU (user + sys), peak RSS (ru_maxrss after the step), database growth
and the changes detected are reported for each step, with each step's wall time as
a ratio to both floors measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import httpx
from bare import PROBES
from process import run_process_mode
from process_report import bytecode_note, machine, report_process
from steps import Step, forkserver_rss_mb, measured, peak_rss_mb, table, verdicts

from watcher.extract import Page, extract
from watcher.isolation import Extraction, ExtractionPool, InlineExtraction
from watcher.runner import pool_limits, run_check_pass
from watcher.settings import Settings
from watcher.sources import Config, parse_config
from watcher.store import make_engine, upgrade

HERE = Path(__file__).resolve().parent
T = TypeVar("T")


# --- the page server -------------------------------------------------------------------------


class Server:
    """bench/server.py in a subprocess, and the calls that steer it."""

    def __init__(self, n: int, seed: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "server.py"), "--n", str(n), "--seed", str(seed)],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the page server did not start (see its error above)")
        self.stats: dict[str, Any] = json.loads(line)
        self.base = f"http://127.0.0.1:{self.stats['port']}"
        self.urls = [self.base + path for path in self.stats.pop("paths")]

    def control(self, path: str) -> dict[str, Any]:
        reply = httpx.get(self.base + path, timeout=10)
        reply.raise_for_status()
        return dict(reply.json())

    def mode(self, *, version: int, validators: bool) -> None:
        self.control(f"/_bench/mode?version={version}&validators={int(validators)}")

    def counters(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.control("/_bench/counters").items()}

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- floors ----------------------------------------------------------------------------------


def probe_in_child(kind: str, urls: list[str], connections: int) -> tuple[int, float, float, float]:
    """(bytes, wall, CPU, peak RSS) of one floor probe, run in a fresh worker process."""
    fetched, wall, cpu = measured(lambda: asyncio.run(PROBES[kind](urls, connections)))
    return fetched, wall, cpu, peak_rss_mb()


@dataclass(slots=True)
class Floors:
    """Both floors, probed in a child process (so that their memory is not counted as ours)
    before and after the cycles; the median of every probe is kept."""

    server: Server
    connections: int
    repeat: int
    runs: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)

    def probe(self) -> None:
        self.server.mode(version=1, validators=False)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            for kind in PROBES:
                for _ in range(self.repeat):
                    fetched, wall, cpu, rss = pool.submit(
                        probe_in_child, kind, self.server.urls, self.connections).result()
                    assert fetched == self.server.stats["bytes_v1"], fetched
                    self.runs.setdefault(kind, []).append((wall, cpu, rss))
                print(f"  floor {kind}: {self.runs[kind][-1][0]:.2f} s", file=sys.stderr)
        self.server.counters()

    def steps(self) -> list[Step]:
        out = []
        for kind, runs in self.runs.items():
            out.append(Step(name=f"floor: bare {kind}", wall_s=statistics.median(r[0] for r in runs),
                            cpu_s=statistics.median(r[1] for r in runs),
                            rss_mb=max(r[2] for r in runs), pages=len(self.server.urls),
                            runs=[round(r[0], 3) for r in runs]))
        return out


# --- watcher check cycles --------------------------------------------------------------------


def bench_config(urls: list[str]) -> Config:
    """N table sources on the loopback server (one host, so per-host limits are raised)."""
    sources = [
        {"id": f"bench-{i:04d}", "name": f"ベンチマーク {i:04d}", "agency": "METI", "url": url,
         "extract": "table"}
        for i, url in enumerate(urls)
    ]
    return parse_config({"watcher": {"default_schedule": "every 6h"}, "sources": sources},
                        Path("bench-sources.toml"))


@dataclass(slots=True)
class Database:
    """The temporary SQLite database and its size."""

    path: Path
    url: str

    def size(self) -> int:
        """File size after a checkpoint (the WAL, truncated, counts too)."""
        import sqlite3

        with sqlite3.connect(self.path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        wal = self.path.with_name(self.path.name + "-wal")
        return self.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)

    def payload(self) -> tuple[int, int]:
        """(compressed body bytes, compressed document bytes) stored so far."""
        import sqlite3

        with sqlite3.connect(self.path) as conn:
            (blobs,) = conn.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM blobs").fetchone()
            (docs,) = conn.execute(
                "SELECT COALESCE(SUM(LENGTH(document)), 0) FROM snapshots").fetchone()
        return int(blobs), int(docs)


def cycle(name: str, server: Server, *, version: int, validators: bool, config: Config,
          settings: Settings, db: Database, engine: Any, extraction: Extraction,
          repeat: int = 1) -> Step:
    """One `watcher check` pass (or the median of ``repeat`` identical ones)."""
    server.mode(version=version, validators=validators)
    server.counters()
    runs: list[Step] = []
    for _ in range(repeat):
        before = db.size()
        outcomes, wall, cpu = measured(lambda: asyncio.run(
            run_check_pass(config, settings=settings, engine=engine, extraction=extraction)))
        rss = peak_rss_mb()
        served = server.counters()
        size = db.size()
        blobs, docs = db.payload()
        errors = [o for o in outcomes if o.status in ("failed", "error", "suspect")]
        if errors:
            first = errors[0]
            raise SystemExit(f"{name}: {len(errors)} checks went wrong, e.g. {first.source_id}: "
                             f"{first.status} {first.error}")
        runs.append(Step(name=name, wall_s=wall, cpu_s=cpu, rss_mb=rss, pages=len(outcomes),
                         db_bytes=size, db_delta=size - before, blob_bytes=blobs,
                         document_bytes=docs, changes=sum(o.changes for o in outcomes),
                         statuses=dict(Counter(o.status for o in outcomes)), served=served))
    step = runs[-1]
    if repeat > 1:
        step.wall_s = statistics.median(r.wall_s for r in runs)
        step.cpu_s = statistics.median(r.cpu_s for r in runs)
        step.db_delta = int(statistics.median(r.db_delta or 0 for r in runs))
        step.runs = [round(r.wall_s, 3) for r in runs]
    return step


# --- parse probe -----------------------------------------------------------------------------


async def _fetch_bodies(urls: list[str]) -> list[bytes]:
    async with aiohttp.ClientSession() as session:
        bodies = []
        for url in urls:
            async with session.get(url) as response:
                bodies.append(await response.read())
        return bodies


def parse_probes(server: Server, batch: int = 50) -> tuple[Step, Step]:
    """lxml parsing every page's table, and the watcher's table extractor, batch by batch."""
    import lxml.html

    def lxml_tables(body: bytes) -> int:
        root = lxml.html.fromstring(body)
        cells = [[cell.text_content().strip() for cell in row] for table in root.iter("table")
                 for row in table.iter("tr")]
        return len(cells)

    def watcher_tables(body: bytes, url: str) -> int:
        document = extract("table", Page(url=url, text=body.decode("utf-8"), body=body))
        return len(document.records)

    server.mode(version=1, validators=False)
    bare = [0.0, 0.0]
    ours = [0.0, 0.0]
    for start in range(0, len(server.urls), batch):
        urls = server.urls[start:start + batch]
        bodies = asyncio.run(_fetch_bodies(urls))
        _, wall, cpu = measured(lambda b=bodies: [lxml_tables(x) for x in b])
        bare[0] += wall
        bare[1] += cpu
        _, wall, cpu = measured(lambda b=bodies, u=urls: [watcher_tables(x, y) for x, y in zip(b, u, strict=True)])
        ours[0] += wall
        ours[1] += cpu
    n = len(server.urls)
    rss = peak_rss_mb()
    return (Step(name="parse: lxml, every table", wall_s=bare[0], cpu_s=bare[1], rss_mb=rss, pages=n),
            Step(name="parse: watcher `table` extractor", wall_s=ours[0], cpu_s=ours[1], rss_mb=rss, pages=n))


def in_process(server: Server, args: argparse.Namespace, n: int, repeat: int) -> dict[str, Any]:
    """Today's mode: the floors and the cycles in this process; prints the report."""
    load_before = os.getloadavg()[0]
    stats = server.stats
    floors = Floors(server=server, connections=args.connections, repeat=repeat)
    floors.probe()
    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="watcher-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        db = Database(path=path, url=f"sqlite:///{path}")
        overrides: dict[str, Any] = {
            "database_url": db.url, "max_connections": args.connections,
            # All pages are on one host: per-host politeness would serialise the bench.
            "per_host": args.connections, "min_host_delay_s": 0.0,
        }
        if args.transport:
            overrides["transport"] = args.transport
        settings = Settings(**overrides)
        engine = make_engine(db.url)
        upgrade(engine)
        config = bench_config(server.urls)
        pool = ExtractionPool(pool_limits(settings)) if args.extraction == "pool" else None
        extraction: Extraction = pool or InlineExtraction()
        startup = 0.0
        if pool is not None:  # started once, as `watcher run` does; its cost reported apart
            wall0 = time.perf_counter()
            pool.warm()
            for future in [pool.submit("text", Page(url="https://bench/", text="<p>起動</p>"))
                           for _ in range(pool.limits.workers)]:
                future.result()
            startup = time.perf_counter() - wall0
        # Unchanged passes can be repeated (and their medians kept); the others cannot.
        plan = (("baseline", 1, True, 1), ("unchanged (304)", 1, True, repeat),
                ("unchanged, no validators (200)", 1, False, repeat), ("changed", 2, True, 1))
        for name, version, validators, times in plan:
            steps.append(cycle(name, server, version=version, validators=validators,
                               config=config, settings=settings, db=db, engine=engine,
                               extraction=extraction, repeat=times))
            print(f"  {name}: {steps[-1].wall_s:.2f} s", file=sys.stderr)
        engine.dispose()
        if pool is not None:
            server_rss = forkserver_rss_mb()
            pool.close()
            pool_figures = (f"extraction pool: {pool.limits.workers} workers (started in "
                            f"{startup:.2f} s before the cycles), "
                            f"{pool.stats.workers_started} started, {pool.stats.documents} "
                            f"documents, peak worker RSS {pool.stats.peak_worker_rss_mb:.0f} MB, "
                            f"forkserver {server_rss:.0f} MB")
        else:
            pool_figures = "extraction inline (on the event loop)"
    steps.extend(parse_probes(server))
    floors.probe()
    steps[:0] = floors.steps()

    by_name = {s.name: s for s in steps}
    httpx_wall = by_name["floor: bare httpx"].wall_s
    aiohttp_wall = by_name["floor: bare aiohttp"].wall_s
    transport = settings.transport
    load = f"load average {load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after"
    print(f"\nIn-process cycles — N = {n} pages, {stats['bytes_v1'] / 1e6:.1f} MB, "
          f"{args.connections} connections, watcher transport: {transport}, medians of {repeat} "
          f"(floors: {2 * repeat}), {load}")
    print(f"{pool_figures}\n")
    print(table(steps, httpx_wall, aiohttp_wall))
    print()
    for ok, text in verdicts(by_name, stats):
        print(f"- {'✅' if ok else '❌'} {text}")
    return {"transport": transport, "load": load, "extraction": pool_figures,
            "steps": [asdict(s) for s in steps]}


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark `watcher check` against bare-client floors.")
    parser.add_argument("--mode", choices=("in-process", "process", "both"), default="in-process",
                        help="in-process cycles (default), whole processes as cron starts them "
                        "(bench/process.py), or both")
    parser.add_argument("--n", type=int, default=500, help="pages (default 500)")
    parser.add_argument("--quick", action="store_true", help="N = 50, one repetition")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3,
                        help="repetitions of each floor (before and after the cycles) and of each "
                        "unchanged cycle; medians are kept")
    parser.add_argument("--process-repeat", type=int, default=10,
                        help="rounds of the whole-process steps (default 10; medians are kept)")
    parser.add_argument("--urlwatch", type=Path, default=os.environ.get("URLWATCH") or None,
                        help="urlwatch 2.29's executable, in a venv of its own "
                        "(default $URLWATCH; without it the urlwatch steps are left out)")
    parser.add_argument("--compare-src", type=Path,
                        help="also run the watcher from this src/ directory (another checkout, "
                        "same venv) in the same rounds: old → new")
    parser.add_argument("--transport", choices=("aiohttp", "httpx"), default=None,
                        help="the watcher's HTTP transport (default: the settings' default)")
    parser.add_argument("--extraction", choices=("pool", "inline"), default="pool",
                        help="pages extracted in the watcher's worker pool (as `watcher run` "
                        "does: one pool for every cycle) or on the event loop (before issue 13)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    n = 50 if args.quick else args.n
    repeat = 1 if args.quick else args.repeat
    process_repeat = 2 if args.quick else args.process_repeat

    when = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"generating {n} pages and starting the page server…", file=sys.stderr)
    server = Server(n, args.seed)
    results: dict[str, Any] = {"date": when, "machine": machine(), "n": n, "stats": server.stats}
    try:
        print(f"{n} pages, {server.stats['bytes_v1'] / 1e6:.1f} MB; "
              f"{server.stats['expected_changes']} edited in version 2", file=sys.stderr)
        print(f"\n{when} — {machine()}")
        if args.mode in ("in-process", "both"):
            results["in_process"] = in_process(server, args, n, repeat)
        if args.mode in ("process", "both"):
            note = bytecode_note()
            load_before = os.getloadavg()[0]
            with tempfile.TemporaryDirectory(prefix="watcher-bench-process-") as tmp:
                steps, importtime = run_process_mode(
                    server, work=Path(tmp), repeat=process_repeat, connections=args.connections,
                    transport=args.transport, urlwatch=args.urlwatch, compare_src=args.compare_src)
            load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
            results["process"] = report_process(steps, importtime, n=n, repeat=process_repeat,
                                                load=load, note=note,
                                                compare_src=args.compare_src)
    finally:
        server.close()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
