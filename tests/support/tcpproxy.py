"""A loopback TCP proxy that a test can cut and restore: a database (or any server) that
goes away mid-run and comes back, without touching the real server.

    with TcpProxy("127.0.0.1", 5432) as proxy:      # point the worker at proxy.port
        proxy.cut()       # every open connection is reset, new ones are refused
        proxy.restore()   # the same port accepts and forwards again

The real server never notices anything but clients disconnecting.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading


class TcpProxy:
    """Forward 127.0.0.1:<port> to ``target``, one pair of pump threads per connection."""

    def __init__(self, host: str, port: int, *, listen_port: int = 0) -> None:
        self.target = (host, port)
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = listen_port
        self.accepted = 0
        self.up = False

    # -- control ----------------------------------------------------------------------
    def restore(self) -> None:
        """Listen (again, on the same port) and forward new connections."""
        with self._lock:
            if self.up:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(128)
            self.port = int(listener.getsockname()[1])
            self._listener = listener
            self.up = True
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening (new connections are refused) and reset every open connection."""
        with self._lock:
            self.up = False
            listener, self._listener = self._listener, None
            conns, self._conns = list(self._conns), set()
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.close()
        for conn in conns:
            _reset(conn)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._conns)

    # -- forwarding -------------------------------------------------------------------
    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                if not self.up:
                    _reset(client)
                    _reset(upstream)
                    continue
                self._conns.update((client, upstream))
                self.accepted += 1
            done = threading.Semaphore(0)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst, done), daemon=True).start()
            threading.Thread(target=self._close_pair, args=(client, upstream, done),
                             daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, done: threading.Semaphore) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
            done.release()

    def _close_pair(self, a: socket.socket, b: socket.socket, done: threading.Semaphore) -> None:
        done.acquire()
        done.acquire()
        with self._lock:
            self._conns.difference_update((a, b))
        for sock in (a, b):
            with contextlib.suppress(OSError):
                sock.close()

    def __enter__(self) -> TcpProxy:
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()


def _reset(sock: socket.socket) -> None:
    """Close with RST, as a crashed server's kernel would answer."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
