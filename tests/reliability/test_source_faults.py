"""Government sites misbehave: every fault gives a failed or suspect snapshot with a reason,
no change, the last good snapshot kept, and no spurious change when the site heals.

Each case runs the same story through the real pipeline (real sockets, both HTTP
transports, a real SQLite store):

    good page (baseline) → fault (once, or several times) → healed → revised page
    expect:    ok, 0        failed/suspect, 0, reason        0        exactly the revision

The last step proves nothing was lost: the fault left the state able to see the
one real change (Micron's 1γ DRAM plan revised from 1,670億円 to 1,920億円).
"""

from __future__ import annotations

import contextlib
import gzip
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from reliability.conftest import Figures
from reliability.harness import (
    FIXTURES,
    GOOD,
    MAINTENANCE,
    PLANS_V0,
    PLANS_V1,
    TRANSPORTS,
    change_facts,
    check_one,
    config_of,
    problems,
    source_row,
    table_source,
)

from support import faultserver as fs
from support.faultserver import FakeDns, FaultServer

HOST = "plans.meti.test"
PATH = "/policy/mono_info_service/joho/laws/semiconductor.html"
CAP = 2 * 1024 * 1024  # harness.FAST.max_body_bytes
SJIS_META = (FIXTURES / "meti-semiconductor-plans" / "noise-sjis-meta.html").read_bytes()
SJIS_BARE = (FIXTURES / "meti-semiconductor-plans" / "noise-sjis-undeclared.html").read_bytes()
# The same page with noise only (so its bytes differ and it is decoded again).
UTF8_NOISE = (PLANS_V0 + "<!-- r2 -->").encode("utf-8")
# A page read correctly despite the fault: a new baseline without changes, then the same bytes.
READ = ("ok", "unchanged")
PORTAL = ("<html><head><title>経済産業省</title></head><body><div id='__main_contents'>"
          "<h1>経済産業省ホームページ</h1><p>お探しの情報は、政策一覧からご覧ください。"
          "経済産業省は、日本経済の発展と国民生活の向上のため、様々な政策に取り組んでいます。</p>"
          "</div></body></html>")


@dataclass
class Site:
    """The watched page: a fault server reached through a name we resolve ourselves."""

    server: FaultServer
    dns: FakeDns
    stack: contextlib.ExitStack

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.port}{PATH}"

    def heal(self, body: str = PLANS_V0) -> None:
        self.dns.point(HOST, "127.0.0.1")
        self.server.set(PATH, fs.ok(body))


@dataclass(frozen=True)
class Fault:
    name: str
    apply: Callable[[Site], None]
    statuses: tuple[str, ...]
    reason: str  # a regular expression the snapshot's error must match
    repeat: int = 1  # consecutive checks under the fault
    source: dict[str, object] | None = None  # extra sources.toml fields


def serve(behaviour: Callable[[], fs.Behaviour]) -> Callable[[Site], None]:
    return lambda site: site.server.set(PATH, behaviour())


def resolve_to(address: str | None) -> Callable[[Site], None]:
    return lambda site: site.dns.point(HOST, address)


def connect_timeout(site: Site) -> None:
    # 127.0.0.2 is loopback too; a listener there with a full accept queue never answers a SYN.
    site.stack.enter_context(fs.full_backlog_at("127.0.0.2", site.server.port))
    site.dns.point(HOST, "127.0.0.2")


def redirect_loop(site: Site) -> None:
    site.server.set(PATH, fs.redirect("/loop-b.html"))
    site.server.set("/loop-b.html", fs.redirect(PATH))


def redirect_elsewhere(site: Site) -> None:
    site.server.set(PATH, fs.redirect(f"http://localhost:{site.server.port}/portal.html", code=301))
    site.server.set("/portal.html", fs.ok(PORTAL))


def wrong_label(body: bytes, content_type: str) -> Callable[[Site], None]:
    return lambda site: site.server.set(PATH, fs.ok(body, content_type=content_type))


def oversize(site: Site) -> None:
    site.server.set(PATH, fs.ok(PLANS_V0 + "<!--" + "x" * CAP + "-->"))


def oversize_chunked(site: Site) -> None:
    site.server.set(PATH, fs.chunked(PLANS_V0 + "<!--" + "x" * CAP + "-->"))


def oversize_gzip(site: Site) -> None:
    packed = gzip.compress((PLANS_V0 + "<!--" + "x" * CAP + "-->").encode())
    site.server.set(PATH, fs.ok(packed, headers={"Content-Encoding": "gzip"}))


STATUS_FAULTS = [
    Fault(f"HTTP {code}" + (" with Retry-After" if retry else ""),
          serve(lambda code=code, retry=retry: fs.status(  # type: ignore[misc]
              code, f"<h1>{code}</h1>", retry_after="120" if retry else None)),
          ("failed",),
          rf"^HTTP {code} [A-Z]" + (r".*the server asked us to wait 120 s" if retry and code in (429, 500, 502, 503) else ""))
    for code in (403, 404, 410, 429, 500, 502, 503)
    for retry in (False, True)
]

FAULTS = [
    Fault("connection refused", resolve_to("127.0.0.3"), ("failed",), r"^connection refused"),
    Fault("DNS failure", resolve_to(None), ("failed",), rf"^DNS lookup failed for host {re.escape(HOST)}"),
    Fault("connect timeout", connect_timeout, ("failed",), rf"^timed out connecting to {re.escape(HOST)}"),
    Fault("read timeout before headers", serve(fs.stall_before_headers), ("failed",),
          r"^timed out after 0\.5 s without data"),
    Fault("stall mid-body", serve(lambda: fs.stall_mid_body(PLANS_V0)), ("failed",),
          r"^timed out after 0\.5 s without data"),
    Fault("reset mid-body", serve(lambda: fs.reset_mid_body(PLANS_V0)), ("failed",),
          r"^connection reset mid-body"),
    Fault("close mid-body", serve(lambda: fs.close_mid_body(PLANS_V0)), ("failed",),
          r"^connection reset mid-body"),
    Fault("truncated chunked encoding", serve(lambda: fs.truncated_chunked(PLANS_V0)), ("failed",),
          r"^connection reset mid-body"),
    Fault("close without a response", serve(fs.close_without_response), ("failed",),
          r"closed before a response|bad response from"),
    Fault("garbage instead of HTTP", serve(fs.garbage_response), ("failed",), r"^bad response from"),
    *STATUS_FAULTS,
    Fault("redirect loop", redirect_loop, ("failed",), r"^redirect loop",
          source={"allow_private": True}),
    Fault("redirect to another (loopback) host", redirect_elsewhere, ("failed",),
          r"^redirect to localhost \(loopback address .*\) refused \(set allow_private = true"),
    Fault("redirect to another host that serves a portal", redirect_elsewhere, ("suspect",),
          r"records (vanished|dropped)", repeat=2, source={"allow_private": True}),
    Fault("200 maintenance page", serve(lambda: fs.ok(MAINTENANCE)), ("suspect",),
          r"^maintenance page", repeat=4),
    Fault("200 empty body", serve(fs.empty_200), ("suspect",), r"^empty page", repeat=4),
    Fault("wrong charset header (UTF-8 body labelled ISO-8859-1)",
          wrong_label(UTF8_NOISE, "text/html; charset=ISO-8859-1"), READ, r"", repeat=4),
    Fault("wrong charset header (Shift_JIS body with <meta> labelled ISO-8859-1)",
          wrong_label(SJIS_META, "text/html; charset=ISO-8859-1"), READ, r"", repeat=4),
    Fault("wrong charset header (Shift_JIS body with <meta> labelled UTF-8)",
          wrong_label(SJIS_META, "text/html; charset=utf-8"), READ, r"", repeat=4),
    Fault("wrong charset header (undeclared Shift_JIS labelled UTF-8)",
          wrong_label(SJIS_BARE, "text/html; charset=UTF-8"), READ, r"", repeat=4),
    Fault("corrupt gzip", serve(lambda: fs.corrupt_gzip(PLANS_V0)), ("failed",),
          r"^could not decompress the body: corrupt gzip data"),
    Fault("truncated gzip", serve(lambda: fs.truncated_gzip(PLANS_V0)), ("failed",),
          r"^could not decompress the body: gzip body ends before its end marker"),
    Fault("body over the size cap (Content-Length)", oversize, ("failed",), r"^body larger than 2 MB cap"),
    Fault("body over the size cap (chunked)", oversize_chunked, ("failed",), r"^body larger than 2 MB cap"),
    Fault("body over the size cap (gzip)", oversize_gzip, ("failed",), r"^body larger than 2 MB cap"),
    Fault("decompression bomb (gzip of 64 MB of zeros)", serve(lambda: fs.gzip_bomb(64 * 1024 * 1024)),
          ("failed",), r"^body larger than 2 MB cap"),
]


@pytest.fixture
def site(fault_server: FaultServer) -> Iterator[Site]:
    with contextlib.ExitStack() as stack, FakeDns({HOST: "127.0.0.1"}) as dns:
        yield Site(server=fault_server, dns=dns, stack=stack)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_fault_gives_a_reason_no_change_and_loses_nothing(
    fault: Fault, transport: str, site: Site, sqlite_engine: Engine, figures: Figures,
) -> None:
    config = config_of(table_source("meti-semiconductor-plans", site.url, **(fault.source or {})))
    site.heal()
    baseline = check_one(config, sqlite_engine, transport=transport)
    assert (baseline.status, baseline.changes) == ("ok", 0), baseline.error
    good = source_row(sqlite_engine, "meti-semiconductor-plans").last_good_snapshot_id

    with site.stack:
        fault.apply(site)
        during = [check_one(config, sqlite_engine, transport=transport) for _ in range(fault.repeat)]
    kept = source_row(sqlite_engine, "meti-semiconductor-plans").last_good_snapshot_id
    site.heal()
    healed = check_one(config, sqlite_engine, transport=transport)
    site.heal(PLANS_V1)
    revised = check_one(config, sqlite_engine, transport=transport)

    facts = change_facts(sqlite_engine)
    real = [f for f in facts.elements() if f.kind == "amount_changed"
            and (f.previous_amount_yen, f.amount_yen) == (167_000_000_000, 192_000_000_000)]
    false_alerts = sum(facts.values()) - len(real[:1])
    figures.add("source_faults_injected")
    figures.add("source_fault_checks", fault.repeat)
    figures.add("source_faults_false_alerts", false_alerts)
    figures.add("source_faults_lost", 0 if real else 1)

    for outcome in during:
        assert outcome.status in fault.statuses, (outcome.status, outcome.error)
        assert outcome.changes == 0
        if outcome.status in ("failed", "suspect"):
            assert re.search(fault.reason, outcome.error or ""), outcome.error
            assert "\n" not in outcome.error
    # A page read correctly despite the fault (a wrong charset label) may become the new baseline.
    assert kept == good or any(o.status == "ok" for o in during)
    assert (healed.status in GOOD, healed.changes) == (True, 0), healed.error
    assert (revised.status, revised.changes) == ("ok", 1), revised.error
    assert false_alerts == 0, facts
    assert len(real) == 1, facts
    assert problems(sqlite_engine) == []


def test_retry_after_postpones_the_next_check(site: Site, sqlite_engine: Engine) -> None:
    config = config_of(table_source("meti-semiconductor-plans", site.url))
    site.server.set(PATH, fs.status(503, "<h1>Service Unavailable</h1>", retry_after="3600"))
    outcome = check_one(config, sqlite_engine)
    row = source_row(sqlite_engine, "meti-semiconductor-plans")
    assert outcome.status == "failed"
    assert row.next_due_at is not None
    assert row.last_check_at is not None
    assert row.next_due_at - row.last_check_at >= timedelta(seconds=3600)


def test_a_long_outage_turns_the_source_unhealthy_once_and_recovered_once(
    site: Site, sqlite_engine: Engine,
) -> None:
    from sqlmodel import Session, select

    from watcher.store.models import HealthEvent

    config = config_of(table_source("meti-semiconductor-plans", site.url))
    site.heal()
    check_one(config, sqlite_engine)
    site.server.set(PATH, fs.status(502, "<h1>Bad Gateway</h1>"))
    outage = [check_one(config, sqlite_engine) for _ in range(6)]
    site.heal()
    healed = check_one(config, sqlite_engine)
    with Session(sqlite_engine) as session:
        events = [e.kind for e in session.exec(select(HealthEvent)).all()]
    assert {o.status for o in outage} == {"failed"}
    assert (healed.status, healed.changes) == ("unchanged", 0)
    assert events == ["unhealthy", "recovered"]
    assert sum(change_facts(sqlite_engine).values()) == 0


@pytest.mark.parametrize(("body", "content_type", "codec"), [
    ("特定半導体 最大助成額 4,760億円".encode(), "text/html; charset=ISO-8859-1", "utf-8"),
    ("<meta charset='Shift_JIS'><p>特定半導体 4,760億円</p>".encode("cp932"),
     "text/html; charset=windows-1252", "cp932"),
    # A page that really is Latin-1 (not UTF-8, no declaration of its own) keeps its label.
    ("<p>Caf\u00e9 cr\u00e8me</p>".encode("latin-1"), "text/html; charset=ISO-8859-1", "iso8859-1"),
])
def test_a_latin1_label_is_believed_only_when_nothing_else_reads_the_page(
    body: bytes, content_type: str, codec: str,
) -> None:
    from watcher.fetch.charset import decode_body

    text, used = decode_body(body, content_type)
    assert used == codec
    assert "\u00e6" not in text  # no mojibake (UTF-8 read as Latin-1 starts with æ/ç/å)
