"""The extraction pool: every fetched page is extracted in a worker process, within limits.

Extraction is pure but not bounded: a hostile page (a PDF whose content stream inflates
to megabytes, a table of a million cells) can take minutes and gigabytes, and on the
event loop it would hold up every other check of the pass. Here each document goes to
watcher.extract.extract() — the one dispatch of every kind — in one of N worker
processes (forkserver, else spawn), one document per worker at a time:

- a document still being extracted after ``timeout_s`` has its worker killed, and is a
  suspect Document "extraction exceeded 20 s";
- each worker runs under RLIMIT_AS = ``memory_mb``; a MemoryError is a suspect Document
  "extraction exceeded 512 MB" and the worker is replaced;
- a worker that dies mid-document (kill -9, a crash in C code) is replaced and the
  document retried once on the new one; a second death makes it suspect;
- a worker is replaced after ``max_tasks`` documents (memory fragmentation stays bounded).

Callers get a Document, never an exception, except PoolClosedError after close().
Workers ignore SIGINT and SIGTERM: the owner (a `watcher run` draining its checks on
SIGTERM) finishes its checks, then closes the pool.
"""

from watcher.isolation.limits import (
    Extraction,
    Ignore,
    InlineExtraction,
    PoolClosedError,
    PoolLimits,
    PoolStats,
)
from watcher.isolation.pool import ExtractionPool

__all__ = ["Extraction", "ExtractionPool", "Ignore", "InlineExtraction", "PoolClosedError",
           "PoolLimits", "PoolStats"]
