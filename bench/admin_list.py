"""Benchmark: the admin page's change list over 10,000 changes (target: first page < 200 ms).

    python bench/admin_list.py                  10,000 changes on a fresh SQLite file
    python bench/admin_list.py --changes 50000  a bigger store
    python bench/admin_list.py --database-url postgresql+psycopg://…/bench   (an empty database)

The store is filled with Core bulk inserts (40 sources, 2,500 snapshots, N changes
over three years, a third acknowledged), then the app is served by uvicorn on a
loopback port and each URL is fetched over HTTP with Basic auth, like a browser
would: warm-up once, then --repeat times; median and p95 are reported. The same
queries' plans (SQLite EXPLAIN QUERY PLAN) show which index each filter uses.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from watcher.settings import Settings  # noqa: E402
from watcher.store import make_engine, upgrade  # noqa: E402
from watcher.store.admin import ChangeFilter, filter_clauses  # noqa: E402
from watcher.store.models import ChangeRow, Snapshot, SourceRow  # noqa: E402
from watcher.web import create_app  # noqa: E402

from support.browser import LiveServer  # noqa: E402

USER, PASSWORD = "bench", "bench-password"
KINDS = ["entry_added", "amount_changed", "entry_removed", "entry_changed", "link_added",
         "link_removed", "text_changed"]
COMPANIES = ["Japan Advanced Semiconductor Manufacturing株式会社", "キオクシア株式会社",
             "マイクロンメモリジャパン株式会社", "Rapidus株式会社", "さくらインターネット株式会社",
             "KDDI株式会社", "株式会社ハイレゾ", "GMOインターネットグループ株式会社"]
URLS = [
    "/changes",
    "/changes?page=50",
    "/changes?agency=IPA",
    "/changes?source=meti-source-07",
    "/changes?kind=amount_changed",
    "/changes?ack=no",
    "/changes?from=2024-01-01&to=2024-03-31",
    "/changes?q=マイクロン",
    "/changes?agency=METI&kind=entry_added&ack=no&q=Rapidus",
    "/api/changes",
]


def fill(engine: Engine, n_changes: int, seed: int = 6) -> None:
    """Sources, snapshots and changes in bulk (no pipeline: the list is what is measured)."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    span_s = 3 * 365 * 86400
    sources = [{"id": f"{'ipa' if i % 5 == 0 else 'meti'}-source-{i:02d}",
                "name": f"source {i}", "agency": "IPA" if i % 5 == 0 else "METI",
                "url": f"https://www.meti.go.jp/page{i}.html", "extract": "table",
                "schedule": "every 6h", "enabled": True, "config_json": "{}",
                "created_at": start, "consecutive_failures": 0, "unhealthy_notified": False,
                "suspect_count": 0} for i in range(40)]
    snapshots = [{"id": i + 1, "source_id": sources[i % 40]["id"],
                  "fetched_at": start + timedelta(seconds=span_s * i // 2500), "status": "ok",
                  "http_status": 200, "imported": False} for i in range(2500)]
    changes = []
    for i in range(n_changes):
        snap = snapshots[i * len(snapshots) // n_changes]
        kind = rng.choice(KINDS)
        company = rng.choice(COMPANIES)
        amount = rng.randrange(10, 8000) * 10**8
        previous = amount - rng.randrange(1, 500) * 10**8 if kind == "amount_changed" else None
        detected = snap["fetched_at"]
        changes.append({
            "source_id": snap["source_id"], "snapshot_id": snap["id"], "detected_at": detected,
            "kind": kind, "entity": f"{company} — 計画 {i}", "entity_key": f"t\x1fk{i % 900}",
            "table_name": "認定計画一覧", "amount_yen": amount, "previous_amount_yen": previous,
            "summary": f"{company} — 計画 {i}: 最大助成額 {amount // 10**8:,}億円",
            "details": "{}", "imported": False,
            "acknowledged_at": detected + timedelta(hours=3) if rng.random() < 0.33 else None,
        })
    with engine.begin() as conn:
        conn.execute(sa.insert(SourceRow.__table__), sources)  # type: ignore[attr-defined]
        conn.execute(sa.insert(Snapshot.__table__), snapshots)  # type: ignore[attr-defined]
        for chunk in range(0, len(changes), 2000):
            conn.execute(sa.insert(ChangeRow.__table__), changes[chunk:chunk + 2000])  # type: ignore[attr-defined]
        conn.exec_driver_sql("ANALYZE")  # planner statistics, as a long-running store has


def plans(engine: Engine) -> dict[str, list[str]]:
    """SQLite's plan for the page query of a few filters (which index serves each)."""
    if engine.dialect.name != "sqlite":
        return {}
    cases = {"none": ChangeFilter(), "source": ChangeFilter(source="meti-source-07"),
             "kind": ChangeFilter(kind="amount_changed"), "unacknowledged": ChangeFilter(acknowledged=False),
             "agency": ChangeFilter(agency="IPA")}
    result = {}
    with Session(engine) as session:
        for name, filters in cases.items():
            query = (sa.select(ChangeRow.id).where(*filter_clauses(filters))  # type: ignore[call-overload]
                     .order_by(ChangeRow.detected_at.desc(), ChangeRow.id.desc()).limit(50))  # type: ignore[attr-defined]
            sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
            rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            result[name] = [row[-1] for row in rows]
    return result


def measure(base_url: str, repeat: int) -> list[dict[str, object]]:
    rows = []
    with httpx.Client(base_url=base_url, auth=(USER, PASSWORD), timeout=30) as client:
        for url in URLS:
            client.get(url).raise_for_status()  # warm-up: templates compiled, caches filled
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            times.sort()
            rows.append({"url": url, "median_ms": round(statistics.median(times), 1),
                         "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
                         "bytes": len(response.content)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        # Indexes the models declare, even before a migration adds them (no-op once it has).
        for index in ChangeRow.__table__.indexes:  # type: ignore[attr-defined]
            index.create(engine, checkfirst=True)
        started = time.perf_counter()
        fill(engine, args.changes)
        fill_s = time.perf_counter() - started
        settings = Settings(database_url=url, admin_user=USER, admin_password=PASSWORD,
                            session_secret="bench-secret-" + "x" * 20)
        with LiveServer(create_app(settings, engine)) as server:
            results = measure(server.base_url, args.repeat)
        query_plans = plans(engine)
        engine.dispose()

    print(f"{args.changes:,} changes on {engine.dialect.name} (filled in {fill_s:.1f} s), "
          f"{args.repeat} requests per URL over HTTP (uvicorn, Basic auth)\n")
    print("| URL | median ms | p95 ms | bytes |\n|---|---:|---:|---:|")
    for row in results:
        print(f"| `{row['url']}` | {row['median_ms']} | {row['p95_ms']} | {row['bytes']:,} |")
    if query_plans:
        print("\nSQLite query plans (page query):")
        for name, steps in query_plans.items():
            print(f"  {name}: {' / '.join(steps)}")
    if args.json:
        args.json.write_text(json.dumps({"changes": args.changes, "results": results,
                                         "plans": query_plans}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
