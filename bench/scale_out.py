"""Scale-out benchmark: S sources on PostgreSQL, checked by 1, 2 and 4 `watcher run` workers.

    python bench/scale_out.py                       5,000 sources, workers 1, 2, 4
    python bench/scale_out.py --sources 1000 --workers 1,2 --time-limit 60
    python bench/scale_out.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

A page server (bench/server.py) serves P distinct METI-like pages; source i watches page
i mod P with a query string of its own (?s=i), so S sources are S distinct URLs without S
pages in memory. For each worker count, on a fresh PostgreSQL schema:

1. **baseline**: every source is new, so each check fetches a 60–120 KB page, extracts it in
   the worker's extraction pool and stores it;
2. **unchanged**: every source is made due again; each check is a 304;

each bounded by --time-limit. Real `watcher run` processes do the work (`--tick` as given,
politeness off: one host), and the bench counts snapshots in the database every 0.2 s:
sources checked per second is the count over the time from the first to the last snapshot.

Then a **claim probe** measures what claiming costs by itself: C processes (1, 2, 4) claim
all S due sources 50 at a time (`claim_due_sources`, FOR UPDATE SKIP LOCKED, the worker's
own query with its list of source ids), and the claim overhead per source is the time spent
in claim transactions divided by the sources claimed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from run import Server, machine  # bench/run.py: the page server and the machine line
from sqlmodel import Session

from watcher.sources import load_config
from watcher.store import make_engine, sync_sources, upgrade
from watcher.store.models import utcnow
from watcher.store.schedule import claim_due_sources

DEFAULT_URL = os.environ.get("WATCHER_TEST_POSTGRES_URL",
                             "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_schema(base_url: str) -> Iterator[str]:
    """A database URL whose connections use a new, empty schema (dropped afterwards)."""
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def sources_toml(urls: list[str], count: int) -> str:
    lines = ['[watcher]\ndefault_schedule = "every 6h"\n']
    for i in range(count):
        lines.append(f'[[sources]]\nid = "bench-{i:05d}"\nname = "ベンチマーク {i:05d}"\n'
                     f'agency = "METI"\nurl = "{urls[i % len(urls)]}?s={i}"\nextract = "table"\n')
    return "\n".join(lines)


def prepare(url: str, config_path: Path) -> sa.Engine:
    engine = make_engine(url)
    upgrade(engine)
    config = load_config(config_path)
    with Session(engine) as session, session.begin():
        sync_sources(session=session, config=config, now=utcnow())
    return engine


def snapshots(engine: sa.Engine) -> int:
    """Checks recorded so far; a failed one (the page server gone) stops the bench."""
    with engine.connect() as conn:
        rows = dict(conn.exec_driver_sql("SELECT status, count(*) FROM snapshots GROUP BY status").all())
    bad = {k: v for k, v in rows.items() if k not in ("ok", "not_modified", "unchanged")}
    if bad:
        raise SystemExit(f"checks went wrong: {bad}")
    return int(sum(rows.values()))


@dataclass(slots=True)
class Phase:
    name: str
    workers: int
    checked: int
    first_s: float
    last_s: float
    timed_out: bool

    @property
    def per_second(self) -> float:
        span = self.last_s - self.first_s
        return self.checked / span if span > 0 else 0.0


def watch(engine: sa.Engine, *, start_count: int, target: int, limit_s: float, name: str,
          workers: int) -> Phase:
    """Count snapshots until ``target`` more exist or the time limit passes."""
    started = time.monotonic()
    first = last = None
    done = 0
    while time.monotonic() - started < limit_s:
        done = snapshots(engine) - start_count
        now = time.monotonic() - started
        if done and first is None:
            first = now
        if done:
            last = now
        if done >= target:
            break
        time.sleep(0.2)
    return Phase(name=name, workers=workers, checked=done, first_s=first or 0.0,
                 last_s=last or 0.0, timed_out=done < target)


def start_workers(count: int, *, url: str, config: Path, tick: float, log_dir: Path,
                  ) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "WATCHER_DATABASE_URL": url, "WATCHER_MIN_HOST_DELAY_S": "0",
           "WATCHER_PER_HOST": "10", "WATCHER_MAX_CONNECTIONS": "10"}
    procs = []
    for i in range(count):
        log = (log_dir / f"worker-{count}-{i}.log").open("wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "watcher.cli", "--config", str(config), "--log-level", "WARNING",
             "run", "--tick", str(tick), "--dispatch-every", "3600"],
            env={**env, "WATCHER_WORKER_ID": f"bench-{count}-{i}"}, stdout=log, stderr=log))
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_workers(count: int, *, base_url: str, config: Path, sources: int, tick: float,
                limit_s: float, log_dir: Path) -> list[Phase]:
    with fresh_schema(base_url) as url:
        engine = prepare(url, config)
        procs = start_workers(count, url=url, config=config, tick=tick, log_dir=log_dir)
        try:
            baseline = watch(engine, start_count=0, target=sources, limit_s=limit_s,
                             name="baseline (every page new)", workers=count)
            print(f"  {count} worker(s), baseline: {baseline.checked} in "
                  f"{baseline.last_s - baseline.first_s:.1f} s", file=sys.stderr)
            # Every source checked so far due again (each check now a 304); a source the
            # baseline did not reach in time is left out of this phase.
            before = snapshots(engine)
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "UPDATE sources SET next_due_at = CASE WHEN last_check_at IS NULL THEN "
                    "now() + interval '1 day' ELSE now() END")
                checked = int(conn.exec_driver_sql(
                    "SELECT count(*) FROM sources WHERE last_check_at IS NOT NULL").scalar() or 0)
            unchanged = watch(engine, start_count=before, target=checked, limit_s=limit_s,
                              name="unchanged (304)", workers=count)
            print(f"  {count} worker(s), unchanged: {unchanged.checked} in "
                  f"{unchanged.last_s - unchanged.first_s:.1f} s", file=sys.stderr)
        finally:
            stop_workers(procs)
            engine.dispose()
    return [baseline, unchanged]


def claimer(url: str, ids: list[str] | None, batch: int) -> tuple[int, float, int]:
    """Claim due sources ``batch`` at a time until none is left: (claimed, seconds, transactions)."""
    engine = make_engine(url)
    worker = f"probe-{os.getpid()}"
    claimed, spent, transactions = 0, 0.0, 0
    while True:
        started = time.perf_counter()
        with Session(engine) as session, session.begin():
            got = claim_due_sources(session=session, worker_id=worker, now=utcnow(),
                                    lease_s=300.0, limit=batch, source_ids=ids)
        spent += time.perf_counter() - started
        transactions += 1
        if not got:
            break
        claimed += len(got)
    engine.dispose()
    return claimed, spent, transactions


def claim_probe(processes: int, *, base_url: str, config: Path, batch: int = 50,
                with_ids: bool = False) -> tuple[int, float, float]:
    """(sources claimed, wall seconds, claim seconds per source) with ``processes`` claimers,
    claiming as `watcher run` does (among the store's enabled sources) or, ``with_ids``, as it
    did before issue 13 (by the list of every source id)."""
    with fresh_schema(base_url) as url:
        engine = prepare(url, config)
        with engine.connect() as conn:
            ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM sources ORDER BY id")]
        engine.dispose()
        context = multiprocessing.get_context("spawn")
        started = time.perf_counter()
        with context.Pool(processes) as pool:
            results = pool.starmap(claimer, [(url, ids if with_ids else None, batch)] * processes)
        wall = time.perf_counter() - started
    claimed = sum(r[0] for r in results)
    spent = sum(r[1] for r in results)
    return claimed, wall, spent / claimed if claimed else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=500, help="distinct pages served")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--tick", type=float, default=1.0,
                        help="`watcher run --tick`: seconds between claims (default 1)")
    parser.add_argument("--time-limit", type=float, default=180.0, help="per phase, seconds")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--claims-only", action="store_true", help="only the claim probe")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    load_before = os.getloadavg()[0]
    # SIGTERM (a time-boxed run) still stops the workers and drops the schemas.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    server = Server(args.pages, 2025)
    phases: list[Phase] = []
    probes: list[tuple[int, bool, int, float, float]] = []
    try:
        server.mode(version=1, validators=True)
        with tempfile.TemporaryDirectory(prefix="watcher-scale-") as tmp:
            config = Path(tmp) / "sources.toml"
            config.write_text(sources_toml(server.urls, args.sources), encoding="utf-8")
            for count in [] if args.claims_only else counts:
                phases += run_workers(count, base_url=args.database_url, config=config,
                                      sources=args.sources, tick=args.tick,
                                      limit_s=args.time_limit, log_dir=Path(tmp))
            for with_ids in (False, True):
                for processes in counts:
                    claimed, wall, per = claim_probe(processes, base_url=args.database_url,
                                                     config=config, with_ids=with_ids)
                    probes.append((processes, with_ids, claimed, wall, per))
            errors = [line for log in Path(tmp).glob("worker-*.log")
                      for line in log.read_text(errors="replace").splitlines()
                      if '"level": "error"' in line or "Traceback" in line]
    finally:
        server.close()
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    print(f"\n{when} — {machine()}; PostgreSQL on loopback; {args.sources} sources over "
          f"{args.pages} distinct pages; `watcher run --tick {args.tick}`, default extraction "
          f"pool; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print("| workers | phase | checked | seconds (first → last) | sources/s | per worker/s |")
    print("|---:|---|---:|---:|---:|---:|")
    for p in phases:
        note = " (time limit)" if p.timed_out else ""
        print(f"| {p.workers} | {p.name} | {p.checked}{note} | {p.last_s - p.first_s:.1f} | "
              f"{p.per_second:.1f} | {p.per_second / p.workers:.1f} |")
    print("\n| claim | claimers | claimed | wall s | claim ms per source |")
    print("|---|---:|---:|---:|---:|")
    for processes, with_ids, claimed, wall, per in probes:
        how = "by every id (before)" if with_ids else "among enabled sources"
        print(f"| {how} | {processes} | {claimed} | {wall:.2f} | {per * 1000:.2f} |")
    if errors:
        print(f"\n{len(errors)} error line(s) in the workers' logs, e.g. {errors[0][:300]}")
    rates = [p.per_second for p in phases if p.name.startswith("baseline") and p.workers == 1]
    if rates:
        per_6h = statistics.median(rates) * 6 * 3600
        print(f"\none worker, baseline rate × 6 h = {per_6h:,.0f} checks per 6 h")


if __name__ == "__main__":
    main()
