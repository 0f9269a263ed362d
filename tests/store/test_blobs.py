"""Stored bodies: zstd frames, old zlib values still readable, and one body stored by two
workers at once is one blob, not a failed check."""

from __future__ import annotations

import threading
import zlib
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from watcher.extract import Document
from watcher.sources import parse_config
from watcher.store import sync_sources
from watcher.store.blobs import compress, decompress, pack_document, unpack_document
from watcher.store.checks import CheckRecord, record_check
from watcher.store.models import Blob, Snapshot, utcnow

MAINTENANCE = ("<html><body><h1>ただいまメンテナンス中です</h1><p>令和7年11月22日（土）2:00〜6:00の間、"
               "経済産業省ウェブサイトはご利用いただけません。</p></body></html>").encode()


def test_bodies_are_zstd_and_values_written_with_zlib_before_still_read() -> None:
    packed = compress(MAINTENANCE)
    assert packed[:4] == b"\x28\xb5\x2f\xfd"  # a zstd frame
    assert decompress(packed) == MAINTENANCE
    assert decompress(zlib.compress(MAINTENANCE, 6)) == MAINTENANCE
    document = Document(kind="text", text="ただいまメンテナンス中です", suspect_reason="maintenance page")
    assert unpack_document(pack_document(document)) == document
    old = zlib.compress(document.dumps().encode("utf-8"), 6)
    assert unpack_document(old) == document


def test_two_workers_storing_the_same_body_at_once_make_one_blob(engine: Engine) -> None:
    config = parse_config({"sources": [
        {"id": f"meti-{name}", "name": f"METI {name}", "agency": "METI", "extract": "text",
         "url": f"https://www.meti.go.jp/{name}.html"} for name in ("a", "b")]}, Path("sources.toml"))
    with Session(engine) as session, session.begin():
        sync_sources(session=session, config=config, now=utcnow())
    first_inserted = threading.Event()
    errors: list[BaseException] = []

    def check(source_id: str, hold: bool) -> None:
        record = CheckRecord(source_id=source_id, fetched_at=utcnow(), status="suspect",
                             content_hash="f" * 64, body=MAINTENANCE, size_bytes=len(MAINTENANCE),
                             error="maintenance page")
        try:
            with Session(engine) as session, session.begin():
                record_check(session=session, check=record)
                if hold:  # keep the transaction open while the other worker writes
                    first_inserted.set()
                    threading.Event().wait(0.5)
        except BaseException as exc:
            errors.append(exc)
        finally:
            first_inserted.set()

    a = threading.Thread(target=check, args=("meti-a", True))
    a.start()
    first_inserted.wait(10)
    b = threading.Thread(target=check, args=("meti-b", False))
    b.start()
    a.join(20)
    b.join(20)
    assert errors == []
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Blob)).one() == 1
        assert session.exec(select(func.count()).select_from(Snapshot)).one() == 2
