"""A raw-socket HTTP/1.1 server on 127.0.0.1 that misbehaves on command.

Each path is given a Behaviour (a good page, an error status, a stall, a reset,
truncated chunked encoding, corrupt gzip, a decompression bomb, a redirect …);
the server writes the bytes itself, so it can break HTTP in ways a real server
library never would. Tests change a path's behaviour between checks ("the site
is down", "the site is back") and read how often each path was asked for.

    with FaultServer() as server:
        server.set("/plans.html", ok(PAGE))
        server.set("/plans.html", stall_mid_body(PAGE))

Also here: a port that refuses connections, a listener whose accept queue is
full (connections time out), and a resolver stub for DNS failures.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

# How long a stalled response waits before giving up on its own (tests stop first).
STALL_S = 30.0

Writer = Callable[[socket.socket, "FaultServer"], None]


@dataclass(frozen=True)
class Behaviour:
    """What a path answers: a writer of raw bytes, named for test reports."""

    name: str
    write: Writer


@dataclass
class Hit:
    path: str
    headers: dict[str, str] = field(default_factory=dict)


def _head(status: str, headers: dict[str, str] | list[tuple[str, str]]) -> bytes:
    items = headers.items() if isinstance(headers, dict) else headers
    lines = [f"HTTP/1.1 {status}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in items]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


_REASONS = {
    200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other",
    307: "Temporary Redirect", 308: "Permanent Redirect", 403: "Forbidden", 404: "Not Found",
    410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable",
}


def _status(code: int) -> str:
    return f"{code} {_REASONS.get(code, 'Unknown')}"


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN (SO_LINGER 0): the peer sees 'connection reset'."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _stall(server: FaultServer) -> None:
    server.stopping.wait(STALL_S)


# --- behaviours -------------------------------------------------------------------------


def ok(body: bytes | str, *, content_type: str = "text/html; charset=utf-8",
       headers: dict[str, str] | None = None) -> Behaviour:
    """A good 200 response with Content-Length."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def write(sock: socket.socket, server: FaultServer) -> None:
        fields = {"Content-Type": content_type, "Content-Length": str(len(data)), **(headers or {})}
        sock.sendall(_head(_status(200), fields) + data)

    return Behaviour("ok", write)


def gzipped(body: bytes | str, *, content_type: str = "text/html; charset=utf-8") -> Behaviour:
    """A good 200 response, gzip-encoded."""
    data = gzip.compress(body.encode("utf-8") if isinstance(body, str) else body)
    return ok(data, content_type=content_type, headers={"Content-Encoding": "gzip"})


def status(code: int, body: bytes | str = b"", *, retry_after: str | None = None,
           headers: dict[str, str] | None = None) -> Behaviour:
    """An HTTP error (or any) status with an optional Retry-After."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    extra = dict(headers or {})
    if retry_after is not None:
        extra["Retry-After"] = retry_after

    def write(sock: socket.socket, server: FaultServer) -> None:
        fields = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(data)),
                  **extra}
        sock.sendall(_head(_status(code), fields) + data)

    label = f"HTTP {code}" + (f" Retry-After {retry_after}" if retry_after is not None else "")
    return Behaviour(label, write)


def redirect(location: str, *, code: int = 302) -> Behaviour:
    """A redirect to ``location`` (absolute or relative)."""

    def write(sock: socket.socket, server: FaultServer) -> None:
        sock.sendall(_head(_status(code), {"Location": location, "Content-Length": "0"}))

    return Behaviour(f"redirect {code} to {location}", write)


def stall_before_headers() -> Behaviour:
    """Read the request, then say nothing (a read timeout before any byte)."""

    def write(sock: socket.socket, server: FaultServer) -> None:
        _stall(server)

    return Behaviour("stall before headers", write)


def stall_mid_body(body: bytes | str) -> Behaviour:
    """Headers and half the body, then silence with the connection open."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def write(sock: socket.socket, server: FaultServer) -> None:
        fields = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(data))}
        sock.sendall(_head(_status(200), fields) + data[: len(data) // 2])
        _stall(server)

    return Behaviour("stall mid-body", write)


def reset_mid_body(body: bytes | str) -> Behaviour:
    """Headers and half the body, then a TCP reset."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def write(sock: socket.socket, server: FaultServer) -> None:
        fields = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(data))}
        sock.sendall(_head(_status(200), fields) + data[: len(data) // 2])
        time.sleep(0.05)  # let the bytes leave before the reset discards them
        _reset(sock)

    return Behaviour("reset mid-body", write)


def close_mid_body(body: bytes | str) -> Behaviour:
    """Headers promising the whole body, half of it, then an orderly close (FIN)."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def write(sock: socket.socket, server: FaultServer) -> None:
        fields = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(data))}
        sock.sendall(_head(_status(200), fields) + data[: len(data) // 2])

    return Behaviour("close mid-body (short Content-Length)", write)


def truncated_chunked(body: bytes | str) -> Behaviour:
    """Chunked encoding that stops after some chunks, without the final 0-length chunk."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def write(sock: socket.socket, server: FaultServer) -> None:
        fields = {"Content-Type": "text/html; charset=utf-8", "Transfer-Encoding": "chunked"}
        out = bytearray(_head(_status(200), fields))
        half = data[: len(data) // 2]
        for i in range(0, len(half), 1024):
            piece = half[i:i + 1024]
            out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        sock.sendall(bytes(out))

    return Behaviour("truncated chunked encoding", write)


def chunked(body: bytes | str, *, content_type: str = "text/html; charset=utf-8",
            chunk: int = 64 * 1024, content_encoding: str | None = None) -> Behaviour:
    """A complete chunked response (no Content-Length: the size is known only at the end)."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def write(sock: socket.socket, server: FaultServer) -> None:
        fields = {"Content-Type": content_type, "Transfer-Encoding": "chunked"}
        if content_encoding:
            fields["Content-Encoding"] = content_encoding
        sock.sendall(_head(_status(200), fields))
        for i in range(0, len(data), chunk):
            piece = data[i:i + chunk]
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        sock.sendall(b"0\r\n\r\n")

    return Behaviour("chunked", write)


def corrupt_gzip(body: bytes | str) -> Behaviour:
    """Content-Encoding: gzip whose deflate data is damaged in the middle."""
    packed = bytearray(gzip.compress(body.encode("utf-8") if isinstance(body, str) else body))
    middle = len(packed) // 2
    packed[middle:middle + 16] = b"\xff" * 16
    return Behaviour("corrupt gzip", ok(bytes(packed), headers={"Content-Encoding": "gzip"}).write)


def truncated_gzip(body: bytes | str) -> Behaviour:
    """A gzip body cut off before its end marker (Content-Length matches the cut)."""
    packed = gzip.compress(body.encode("utf-8") if isinstance(body, str) else body)
    return Behaviour("truncated gzip",
                     ok(packed[: len(packed) * 2 // 3], headers={"Content-Encoding": "gzip"}).write)


def gzip_bomb(expanded_bytes: int) -> Behaviour:
    """A small gzip body of zeros (a few KB per MB) that expands to ``expanded_bytes``."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    parts = [compressor.compress(block) for _ in range(expanded_bytes // len(block))]
    parts.append(compressor.flush())
    packed = b"".join(parts)
    return Behaviour(f"gzip bomb ({len(packed):,} bytes → {expanded_bytes:,})",
                     ok(packed, headers={"Content-Encoding": "gzip"}).write)


def empty_200() -> Behaviour:
    """200 OK with an empty body."""
    return Behaviour("200 empty body", ok(b"").write)


def close_without_response() -> Behaviour:
    """Accept, read the request, close: no status line at all."""

    def write(sock: socket.socket, server: FaultServer) -> None:
        sock.close()

    return Behaviour("close without response", write)


def garbage_response() -> Behaviour:
    """Bytes that are not HTTP."""

    def write(sock: socket.socket, server: FaultServer) -> None:
        sock.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02garbage\r\n\r\n")

    return Behaviour("garbage instead of HTTP", write)


# --- the server -------------------------------------------------------------------------


class FaultServer:
    """Serve behaviours on a free loopback port, one thread per connection."""

    def __init__(self) -> None:
        self.behaviours: dict[str, Behaviour] = {}
        self.hits: list[Hit] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def set(self, path: str, behaviour: Behaviour) -> None:
        """Answer ``path`` with ``behaviour`` from the next request on."""
        with self._lock:
            self.behaviours[path] = behaviour

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for hit in self.hits if hit.path == path)

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._open.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            request = self._read_head(conn)
            if request is None:
                return
            path, headers = request
            with self._lock:
                self.hits.append(Hit(path, headers))
                behaviour = self.behaviours.get(path)
            if behaviour is None:
                behaviour = status(404, b"not found")
            behaviour.write(conn, self)
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    @staticmethod
    def _read_head(conn: socket.socket) -> tuple[str, dict[str, str]] | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
            if len(data) > 1024 * 1024:
                return None
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) < 2:
            return None
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return parts[1], headers

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def refused_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """A loopback port whose accept queue is full: new connections time out (no SYN-ACK)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.1)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


class FakeDns:
    """Names this process resolves by a table instead of DNS: an address, or a failure.

    socket.getaddrinfo is replaced while the context is open (aiohttp's threaded
    resolver and httpcore both go through it), so a lookup of these names never
    leaves the machine. Other names resolve as usual.
    """

    def __init__(self, table: dict[str, str | None]) -> None:
        self.table = {name.lower(): address for name, address in table.items()}
        self._real = socket.getaddrinfo

    def point(self, name: str, address: str | None) -> None:
        """Resolve ``name`` to ``address`` from now on (None: "Name or service not known")."""
        self.table[name.lower()] = address

    def _getaddrinfo(self, host: object, port: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else str(host)
        key = name.lower().rstrip(".")
        if key in self.table:
            address = self.table[key]
            if address is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return self._real(address, port, *args, **kwargs)  # type: ignore[arg-type]
        return self._real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    def __enter__(self) -> FakeDns:
        socket.getaddrinfo = self._getaddrinfo  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        socket.getaddrinfo = self._real


@contextlib.contextmanager
def full_backlog_at(address: str, port: int) -> Iterator[None]:
    """Like full_backlog(), on a given loopback address and port (127.0.0.2 beside a server on .1)."""
    listener = socket.socket()
    listener.bind((address, port))
    listener.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect((address, port))
        fillers.append(filler)
    time.sleep(0.1)
    try:
        yield
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
