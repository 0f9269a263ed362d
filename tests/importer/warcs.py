"""WARC files as crawlers write them: warcinfo, request, response, metadata and revisit records."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


class CrawlWriter:
    """Writes records the way wget and webrecorder do (per-record gzip, WARC/1.0)."""

    def __init__(self, path: Path, *, gzip: bool = True) -> None:
        self.path = path
        self._file = path.open("wb")
        self.writer = WARCWriter(self._file, gzip=gzip, warc_version="WARC/1.0")
        self.writer.write_record(self.writer.create_warcinfo_record(path.name, {"software": "Wget/1.21.3"}))

    def request(self, url: str, date: str) -> None:
        http = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", "example")], is_http_request=True)
        self.writer.write_record(self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0, http_headers=http,
            warc_headers_dict={"WARC-Date": date}))

    def response(self, url: str, date: str, body: bytes, *, status: str = "200 OK",
                 content_type: str = "text/html", headers: list[tuple[str, str]] | None = None,
                 raw_payload: bytes | None = None) -> None:
        """A response; ``raw_payload`` is what went over the wire (chunked or gzipped) if not ``body``."""
        payload = raw_payload if raw_payload is not None else body
        http = StatusAndHeaders(status, [("Content-Type", content_type), *(headers or [])],
                                protocol="HTTP/1.1")
        self.writer.write_record(self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(payload), length=len(payload), http_headers=http,
            warc_headers_dict={"WARC-Date": date}))

    def metadata(self, url: str, date: str) -> None:
        self.writer.write_record(self.writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(b"outlink: /x"), length=11,
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": date}))

    def revisit(self, url: str, date: str) -> None:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        self.writer.write_record(self.writer.create_revisit_record(
            url, digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", refers_to_uri=url,
            refers_to_date=date, http_headers=http, warc_headers_dict={"WARC-Date": date}))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CrawlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def chunked(body: bytes, size: int = 100) -> bytes:
    """HTTP/1.1 chunked transfer encoding of ``body``."""
    out = b""
    for start in range(0, len(body), size):
        piece = body[start:start + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)
