"""Bad input never gets past a clear message: generated and mutated sources.toml files, mutated
pages for every extractor, the amount parser on adversarial text, and hostile PDFs.

Properties, each over many generated examples (hypothesis, derandomised so CI is
repeatable; the slow variants run more examples with fresh randomness):

* every invalid sources.toml is a ConfigError of one line naming the file, and
  `watcher` exits 2 with one `error:` line, never a traceback;
* no exception escapes the table, links, text or PDF extractor or the yen parser, and
  each page takes bounded time (hypothesis deadlines);
* big pages (5 MB of nested tables, a 1 MB single line) finish in bounded time and
  memory, measured in a child process;
* encrypted, malformed and bomb PDFs are suspect with a reason, within a time limit.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliability import pdf_bombs
from reliability.conftest import Figures
from reliability.harness import DEMO, FIXTURES, REPO
from watcher.errors import ConfigError
from watcher.extract import Page, extract
from watcher.extract.links import extract_links
from watcher.extract.pdf import extract_pdf
from watcher.extract.table import extract_tables
from watcher.extract.text import extract_text
from watcher.extract.yen import find_yen_amounts, parse_yen
from watcher.sources import load_config

# The default run: the same examples every time (derandomised), so CI is repeatable. The
# slow run: many more, freshly random, so each run searches somewhere new.
QUICK = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MANY = settings(max_examples=2000, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILES = pytest.mark.parametrize(
    "profile", [QUICK, pytest.param(MANY, marks=pytest.mark.slow)], ids=["quick", "many"])


# --- sources.toml --------------------------------------------------------------------------


def toml_key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else
                                                          ("inf" if value > 0 else "-inf"))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON strings are TOML basic strings
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def toml_document(doc: dict[str, Any]) -> str:
    """A TOML file: scalar keys first, then [tables], then [[arrays of tables]]."""
    lines = []
    tables, arrays = {}, {}
    for key, value in doc.items():
        if isinstance(value, dict):
            tables[key] = value
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays[key] = value
        else:
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    for key, table in tables.items():
        lines.append(f"[{toml_key(key)}]")
        lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
    for key, items in arrays.items():
        for item in items:
            lines.append(f"[[{toml_key(key)}]]")
            lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


scalars = st.one_of(
    st.text(max_size=30), st.integers(-10**12, 10**12), st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "every 0s", "every 6h", "every 5x", "0 */6 * * *", "61 * * * *",
                     "* * * *", "@daily", "Asia/Tokyo", "Mars/Olympus", "../../etc/passwd",
                     "America", "UTC", "https://www.meti.go.jp/", "ftp://example.org/",
                     "http://", "table", "pdf", "xml", "[", "(?P<", "a" * 200, "\x00", "\n",
                     "meti-plans", "METI--", "-x", "x" * 65, "https://[www.meti.go.jp/",
                     "http://[::1", "https://www.meti.go.jp:99999/", "http://user@/",
                     "table\npdf", "every\n6h", "0 9 * * *\n"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=8)
GOOD_SOURCE = {"id": "meti-semiconductor-plans", "name": "METI — 特定半導体", "agency": "METI",
               "url": "https://www.meti.go.jp/policy/semiconductor.html", "extract": "table"}
SOURCE_KEYS = [*GOOD_SOURCE, "schedule", "tags", "ignore", "enabled", "timeout_s", "headers",
               "allow_private", "unknown_key"]


@st.composite
def source_tables(draw: st.DrawFn) -> dict[str, Any]:
    source: dict[str, Any] = dict(GOOD_SOURCE)
    for key in draw(st.lists(st.sampled_from(SOURCE_KEYS), max_size=4)):
        if draw(st.booleans()):
            source.pop(key, None)
        else:
            source[key] = draw(values)
    return source


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if draw(st.booleans()):
        watcher = {k: draw(values) for k in draw(st.lists(st.sampled_from(
            ["default_schedule", "timezone", "user_agent", "bogus"]), max_size=3, unique=True))}
        doc["watcher"] = watcher
    doc["sources"] = draw(st.lists(source_tables(), min_size=1, max_size=3))
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.sampled_from(["source", "Sources", "extra"]))] = draw(values)
    return doc


def assert_rejected_in_one_line(path: Path) -> bool:
    """True if ``path`` is valid; otherwise the error must be a ConfigError naming the file.

    (Its message may quote a value with a newline in it; `watcher` prints it on one line,
    which test_watcher_exits_2_with_one_line_for_invalid_configs checks.)
    """
    try:
        load_config(path)
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(str(path)), message
        return False
    return True


@PROFILES
def test_generated_configs_are_accepted_or_rejected_in_one_line(figures: Figures, profile: settings) -> None:
    seen = {"valid": 0, "invalid": 0}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sources.toml"

        @profile
        @given(configs())
        def check(doc: dict[str, Any]) -> None:
            path.write_text(toml_document(doc), encoding="utf-8")
            seen["valid" if assert_rejected_in_one_line(path) else "invalid"] += 1

        check()
    figures.add("fuzz_sources_toml_examples", sum(seen.values()))
    assert seen["invalid"] > 0
    assert seen["valid"] > 0


SHIPPED = (REPO / "sources.toml").read_text(encoding="utf-8")


@st.composite
def mutated_text(draw: st.DrawFn, original: str) -> str:
    text = original
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        j = min(len(text), i + draw(st.integers(0, 40)))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "truncate", "replace"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(
                ['"', "'", "[", "]]", "[[sources]]\n", "=", "\n", "\\", "\\u12", "#", "{", "}",
                "\x00", "\ufeff", "id = 1\n", 'extract = "xml"\n', "ｉｄ"])) + text[i:]
        elif op == "truncate":
            text = text[:i]
        else:
            text = text[:i] + draw(st.text(max_size=5)) + text[j:]
    return text


@PROFILES
def test_mutated_sources_toml_files_are_accepted_or_rejected_in_one_line(figures: Figures, profile: settings) -> None:
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sources.toml"

        @profile
        @given(mutated_text(SHIPPED), st.booleans())
        def check(text: str, as_bytes: bool) -> None:
            nonlocal count
            count += 1
            if as_bytes:  # invalid UTF-8 as well
                path.write_bytes(text.encode("utf-8", "surrogatepass")[:-1] + b"\xff")
            else:
                path.write_text(text, encoding="utf-8", errors="surrogatepass")
            assert_rejected_in_one_line(path)

        check()
    figures.add("fuzz_sources_toml_examples", count)


def run_cli(args: list[str]) -> tuple[int, str]:
    """`watcher <args>` in this process: its exit status and what it wrote to stderr."""
    from watcher import cli

    err = io.StringIO()
    argv = sys.argv
    sys.argv = ["watcher", *args]
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                cli.main()
                code = 0
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    finally:
        sys.argv = argv
    return code, err.getvalue()


def test_watcher_exits_2_with_one_line_for_invalid_configs(figures: Figures) -> None:
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sources.toml"
        env_db = f"sqlite:///{Path(tmp) / 'never.db'}"

        @settings(max_examples=40, deadline=None, derandomize=True, database=None)
        @given(configs())
        def check(doc: dict[str, Any]) -> None:
            nonlocal count
            path.write_text(toml_document(doc), encoding="utf-8")
            if assert_rejected_in_one_line(path):
                return  # valid: `check` would fetch the (public) URLs; not here
            count += 1
            old = os.environ.get("WATCHER_DATABASE_URL")
            os.environ["WATCHER_DATABASE_URL"] = env_db
            try:
                code, stderr = run_cli(["--config", str(path), "check"])
            finally:
                if old is None:
                    os.environ.pop("WATCHER_DATABASE_URL")
                else:
                    os.environ["WATCHER_DATABASE_URL"] = old
            assert code == 2, stderr
            assert "Traceback" not in stderr
            lines = [line for line in stderr.splitlines() if line.strip()]
            assert len(lines) == 1, stderr
            assert lines[0].startswith("error: "), stderr

        check()
    figures.add("fuzz_cli_exit_2_examples", count)
    assert count > 0


@pytest.mark.parametrize("text", [
    "[[sources]\n",
    '[[sources]]\nid = "x"\n',
    '[[sources]]\nid = "meti"\nname = "n"\nagency = "METI"\nurl = "https://www.meti.go.jp/"\n'
    'extract = "table"\nschedule = "61 * * * *"\n',
    b"\xff\xfe[[sources]]".decode("latin-1"),
])
def test_a_real_watcher_process_exits_2_with_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="latin-1" if "\xff" in text else "utf-8")
    env = {**os.environ, "WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    result = subprocess.run([sys.executable, "-m", "watcher.cli", "--config", str(path), "check"],
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ")


# --- pages -----------------------------------------------------------------------------------

HTML_FIXTURES = sorted(
    list(FIXTURES.rglob("*.html")) + list(DEMO.rglob("*.html")))
PAGES = {p.name + "@" + p.parent.name: p.read_text(encoding="utf-8", errors="replace")
         for p in HTML_FIXTURES}
TOKENS = ["<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>", "<th>", '<td rowspan="99999">',
          '<td colspan="0">', '<th colspan="65">', "<caption>", "<thead>", "<li>", "<a href='",
          "javascript:x", "'>", "</a>", "<dl><dt>", "<dd>", "<br>", "<!--", "-->", "<![CDATA[",
          "<script>", "</script>", "<div id='__main_contents'>", "</div>", "&#0;", "&#x10FFFF;",
          "&amp;", "億円", "兆", "４，７６０", "△", "▲1,000", "約", "（単位：百万円）", "令和",
          "R6.2.24", "年", "月", "日", "合計", "※1", "\u3000", "\x00", "\ufeff", "\ud800"]


@st.composite
def mutated_page(draw: st.DrawFn) -> str:
    text = PAGES[draw(st.sampled_from(sorted(PAGES)))]
    for _ in range(draw(st.integers(1, 8))):
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 400)))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "insert", "swap"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] * draw(st.integers(1, 5)) + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        else:
            k = draw(st.integers(0, len(text)))
            text = text[:i] + text[k:k + 200] + text[i:]
    return text


def timed(fn: Callable[[], object], limit_s: float) -> float:
    started = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - started
    assert elapsed < limit_s, f"took {elapsed:.1f} s"
    return elapsed


@PROFILES
@pytest.mark.parametrize("extractor", [extract_tables, extract_links, extract_text],
                         ids=["table", "links", "text"])
def test_no_exception_escapes_an_html_extractor_and_time_stays_bounded(
    extractor: Callable[[Page], object], figures: Figures, profile: settings,
) -> None:
    worst, count = [0.0], [0]

    @profile
    @given(mutated_page())
    def check(text: str) -> None:
        count[0] += 1
        page = Page(url="https://www.meti.go.jp/policy/index.html", text=text,
                    body=text.encode("utf-8", "surrogatepass"))
        worst[0] = max(worst[0], timed(lambda: extractor(page), 2.0))

    check()
    figures.add(f"fuzz_{extractor.__name__}_examples", count[0])
    figures.note("fuzz_worst_page_seconds", round(worst[0], 3))


AMOUNT_ALPHABET = "0123456789０１２３４５６７８９,，.．億兆万千百円約最大上限△▲¥￥ 　()（）-−〜~うち合計billionmillionJPY¥"


@PROFILES
def test_no_exception_escapes_the_amount_parser_and_time_stays_bounded(figures: Figures, profile: settings) -> None:
    count = 0

    @profile
    @given(st.text(alphabet=AMOUNT_ALPHABET, max_size=3000), st.sampled_from([None, 10**6, 10**8]))
    def check(text: str, unit: int | None) -> None:
        nonlocal count
        count += 1
        timed(lambda: (find_yen_amounts(text, default_unit=unit), parse_yen(text, default_unit=unit)), 1.0)

    check()
    figures.add("fuzz_amount_parser_examples", count)


@pytest.mark.parametrize("text", [
    "1," * 200_000, "1" * 400_000, "億" * 400_000, "1億" * 200_000, "約" * 400_000 + "円",
    "1." * 200_000 + "億円", "４，" * 200_000 + "億円", "1 " * 200_000 + "億円",
    "R6." * 100_000, "(" * 200_000 + "1億円" + ")" * 200_000,
], ids=lambda t: f"{t[:6]!r}x{len(t)}")
def test_the_amount_parser_has_no_catastrophic_backtracking(text: str) -> None:
    timed(lambda: find_yen_amounts(text), 3.0)


PDFS = sorted((FIXTURES / "meti-budget").glob("*.pdf")) + sorted(DEMO.rglob("*.pdf"))


@pytest.mark.parametrize("many", [False, pytest.param(True, marks=pytest.mark.slow)],
                         ids=["quick", "many"])
def test_no_exception_escapes_the_pdf_extractor_on_mutated_files(figures: Figures, many: bool) -> None:
    originals = [p.read_bytes() for p in PDFS]
    count = 0

    @settings(max_examples=400 if many else 40, deadline=None, derandomize=not many,
              database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(range(len(originals))), st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 255), st.sampled_from(["flip", "cut", "dup"])),
        min_size=1, max_size=6))
    def check(index: int, edits: list[tuple[int, int, str]]) -> None:
        nonlocal count
        count += 1
        data = bytearray(originals[index])
        for pos, byte, op in edits:
            pos %= max(1, len(data))
            if op == "flip":
                data[pos] = byte
            elif op == "cut":
                del data[pos:pos + byte]
            else:
                data[pos:pos] = data[pos:pos + byte * 4]
        page = Page(url="https://www.meti.go.jp/a.pdf", text="", body=bytes(data),
                    content_type="application/pdf")
        timed(lambda: extract_pdf(page), 10.0)

    check()
    figures.add("fuzz_pdf_examples", count)


@pytest.mark.parametrize(("name", "reason"), [
    ("2025-12-26-encrypted.pdf", r"PDF could not be read: .*(password|encrypt)"),
    ("2025-12-26-truncated.pdf", r"PDF could not be read: truncated"),
    ("2025-12-26-not-a-pdf.pdf", r"PDF could not be read: not a PDF but an HTML page"),
    ("2025-12-26-scanned.pdf", r"PDF could not be read: no text layer"),
    ("2025-12-26-cid-unmapped.pdf", r"PDF could not be read: text has no Unicode mapping"),
])
def test_unreadable_pdf_fixtures_are_suspect_with_a_reason(name: str, reason: str,
                                                           figures: Figures) -> None:
    import re

    body = (FIXTURES / "meti-budget" / name).read_bytes()
    page = Page(url="https://www.meti.go.jp/a.pdf", text="", body=body, content_type="application/pdf")
    document = extract("pdf", page)
    figures.add("pdf_hostile_files")
    assert re.search(reason, document.suspect_reason or "", re.I), document.suspect_reason


@pytest.mark.parametrize(("build", "reason", "limit_s"), [
    (lambda: pdf_bombs.many_pages(20_000), r"20000 pages \(limit 500\)", 20.0),
    (lambda: pdf_bombs.pages_in_object_stream(20_000), r"20000 pages \(limit 500\)", 20.0),
    (lambda: pdf_bombs.zero_bomb(50_000_000), r"no text layer", 20.0),
    (lambda: pdf_bombs.page_tree_loop(), r"PDF could not be read", 5.0),
    (lambda: pdf_bombs.simple()[:-200] + b"garbage" * 30, r"PDF could not be read", 5.0),
    (lambda: b"%PDF-1.7\n" + os.urandom(50_000) + b"\n%%EOF\n", r"PDF could not be read", 10.0),
], ids=["20000 pages", "20000 pages in an object stream", "50 MB of inflated spaces",
        "page tree loop", "broken cross-reference", "random bytes"])
def test_pdf_bombs_and_malformed_files_are_suspect_within_a_time_limit(
    build: Callable[[], bytes], reason: str, limit_s: float, figures: Figures,
) -> None:
    import re

    body = build()
    page = Page(url="https://www.meti.go.jp/a.pdf", text="", body=body, content_type="application/pdf")
    documents: list[Any] = []
    timed(lambda: documents.append(extract("pdf", page)), limit_s)
    figures.add("pdf_hostile_files")
    assert re.search(reason, documents[0].suspect_reason or ""), documents[0].suspect_reason


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="content-stream size is not limited yet (see RELIABILITY.md)")
def test_a_pdf_whose_content_inflates_to_megabytes_of_text_is_refused_quickly() -> None:
    # 20 KB on the wire, 8 MB of text-drawing operators once inflated.
    page = Page(url="https://www.meti.go.jp/a.pdf", text="", body=pdf_bombs.content_bomb(8_000_000),
                content_type="application/pdf")
    timed(lambda: extract("pdf", page), 5.0)


# --- big pages, measured in a child process ------------------------------------------------

MEASURE = r"""
import json, sys, time
from watcher.extract import extract, Page
kind, extractor = sys.argv[1], sys.argv[2]
if kind == "nested-tables-5mb":
    cell = ("<table><tr><th>認定事業者</th><th>最大助成額</th></tr>"
            "<tr><td>株式会社テスト</td><td>1,670億円</td></tr></table>")
    unit = "<table><tr><td>" + cell + "</td><td>" + cell + "</td></tr></table>"
    text = "<html><body><div id='__main_contents'>" + unit * (5 * 2**20 // len(unit.encode())) + "</div></body></html>"
elif kind == "single-line-1mb":
    line = "認定事業者 マイクロンメモリジャパン株式会社 最大助成額 1,670億円、令和5年10月3日 "
    text = "<html><body><p>" + (line * (2**20 // len(line.encode()) + 1)) + "</p></body></html>"
elif kind == "deep-nesting":
    text = "<html><body>" + "<div><table><tr><td>" * 50000 + "4,760億円" + "</td></tr></table></div>" * 50000 + "</body></html>"
started = time.monotonic()
doc = extract(extractor, Page(url="https://www.meti.go.jp/x.html", text=text, body=text.encode()))
# VmHWM, not ru_maxrss: Linux carries the parent's ru_maxrss over fork and exec.
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"bytes": len(text.encode()), "seconds": time.monotonic() - started,
                  "rss_mb": hwm / 1024,
                  "records": len(doc.records), "suspect": doc.suspect_reason}))
"""


@pytest.mark.parametrize(("kind", "extractor", "limit_s", "limit_mb"), [
    ("nested-tables-5mb", "table", 60.0, 800),
    ("single-line-1mb", "table", 20.0, 400),
    ("single-line-1mb", "links", 20.0, 400),
    ("single-line-1mb", "text", 20.0, 400),
    ("deep-nesting", "table", 20.0, 400),
])
def test_a_big_page_takes_bounded_time_and_memory(kind: str, extractor: str, limit_s: float,
                                                   limit_mb: int, figures: Figures) -> None:
    result = subprocess.run([sys.executable, "-c", MEASURE, kind, extractor], capture_output=True,
                            text=True, timeout=limit_s * 3, check=False)
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    figures.note("big_pages", {"page": kind, "extractor": extractor,
                               "seconds": round(measured["seconds"], 2),
                               "peak_rss_mb": round(measured["rss_mb"])})
    assert measured["seconds"] < limit_s
    assert measured["rss_mb"] < limit_mb


def test_random_pages_of_every_kind_go_through_extract_without_raising(figures: Figures) -> None:
    rng = random.Random(8)
    kinds = ["table", "links", "text", "pdf"]
    for _ in range(200):
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 3000)))
        text = raw.decode("utf-8", "replace")
        for kind in kinds:
            extract(kind, Page(url="https://www.ipa.go.jp/", text=text, body=raw))
    figures.add("fuzz_random_bytes_examples", 200 * len(kinds))


@pytest.mark.parametrize("url", ["https://[www.meti.go.jp/policy/index.html", "http://[::1",
                                 "https://[fe80::1%eth0/", "http://]/"])
def test_a_url_with_broken_brackets_is_a_config_error(tmp_path: Path, url: str) -> None:
    """Found by the fuzzer: urlsplit raises ValueError ("Invalid IPv6 URL") for these."""
    path = tmp_path / "sources.toml"
    path.write_text(f'[[sources]]\nid = "meti"\nname = "METI"\nagency = "METI"\nurl = "{url}"\n'
                    f'extract = "table"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"field 'url': .* is not an http or https URL"):
        load_config(path)
