"""The worker process's side of the pool: extract each document it is sent, within its limits.

The memory limit is RLIMIT_AS. Python turns a refused allocation into MemoryError, but
C code need not: libxml2 may give up on a page and hand back a partial tree, which
would read as rows removed. So a document after which the worker's peak address space
came within MARGIN of the limit counts as over it too, whatever it returned.
"""

from __future__ import annotations

import resource
import signal
from multiprocessing.connection import Connection

from watcher.extract import Document, extract

MARGIN_BYTES = 64 * 2**20


def serve(conn: Connection, memory_bytes: int, backstop_s: int) -> None:
    """A worker: extract each document it is sent until it is told to stop or its parent goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    # What the worker uses before any document leaves the headroom the margin is cut from.
    margin = min(MARGIN_BYTES, max(0, limit - status_kb("VmSize:") * 1024) // 4)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the pool (or its process) is gone
        if message is None:
            return
        kind, page, ignore = message
        # A worker whose parent died cannot be killed at the deadline: SIGALRM ends it.
        signal.alarm(backstop_s)
        try:
            reply: tuple[str, Document | None] = ("ok", extract(kind, page, ignore))
        except MemoryError:
            reply = ("memory", None)
        signal.alarm(0)
        if status_kb("VmPeak:") * 1024 > limit - margin:
            reply = ("memory", None)
        try:
            conn.send((reply, status_kb("VmHWM:")))
        except MemoryError:
            reply = ("memory", None)
            conn.send((reply, status_kb("VmHWM:")))
        if reply[0] == "memory":
            return  # a worker that ran out of memory is replaced, not trusted again


def status_kb(field: str) -> int:
    """A kB figure of /proc/self/status (VmSize:, VmPeak:, VmHWM:); 0 where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
