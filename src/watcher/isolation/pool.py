"""ExtractionPool: worker processes, one document each at a time, killed at the deadline.

A supervisor thread hands documents to idle workers over pipes and waits on replies,
worker deaths and the nearest deadline at once (multiprocessing.connection.wait);
callers hold concurrent futures (asyncio callers await them wrapped).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from watcher.errors import ExtractError
from watcher.extract import Document, Page
from watcher.isolation.limits import CLOSED, Ignore, PoolClosedError, PoolLimits, PoolStats
from watcher.isolation.worker import serve

log = logging.getLogger(__name__)

# The modules a forkserver imports once, so that a new worker starts in milliseconds.
PRELOAD = ["watcher.isolation.worker", "watcher.extract", "watcher.extract.table",
           "watcher.extract.links", "watcher.extract.text", "watcher.extract.pdf"]

@dataclass(slots=True, kw_only=True)
class _Task:
    kind: str
    page: Page
    ignore: Ignore
    source_id: str
    future: Future[Document]
    attempts: int = 0


@dataclass(slots=True, kw_only=True)
class _Slot:
    process: Any  # multiprocessing.process.BaseProcess (its context's Process class)
    conn: Connection
    task: _Task | None = None
    deadline: float = 0.0
    done: int = 0


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """A worker needs nothing of __main__ (its target is watcher.isolation.worker.serve), but
    multiprocessing re-imports it in every child: `watcher`'s is the whole CLI (typer, rich,
    0.3 s a worker). Without __spec__ and __file__ it is left alone."""
    main = sys.modules["__main__"]
    saved: dict[str, Any] = {name: main.__dict__[name] for name in ("__spec__", "__file__") if name in main.__dict__}
    main.__dict__["__spec__"] = None
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def _resolve(future: Future[Document], document: Document | None = None,
             error: BaseException | None = None) -> None:
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(document or Document(kind="text"))
    except InvalidStateError:
        pass  # the caller gave up on it (cancelled)


class ExtractionPool:
    """Worker processes that extract documents within a time and a memory limit.

    Nothing starts until the first document: a pass in which no page changed
    costs no process. Use as a context manager, or call close().
    """

    def __init__(self, limits: PoolLimits | None = None, *, context: str | None = None) -> None:
        self.limits = limits or PoolLimits()
        if self.limits.workers < 1:
            raise ValueError("an extraction pool needs at least one worker")
        method = context or ("forkserver" if "forkserver" in
                             multiprocessing.get_all_start_methods() else "spawn")
        self._ctx: Any = multiprocessing.get_context(method)
        if method == "forkserver":
            self._ctx.set_forkserver_preload(PRELOAD)
        self.stats = PoolStats()
        self._inbox: collections.deque[_Task] = collections.deque()
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)  # a full pipe already means "wake up"
        self._slots: list[_Slot | None] = [None] * self.limits.workers
        self._thread: threading.Thread | None = None
        self._closing = False
        self._keep_warm = False
        self._close_deadline = 0.0
        self._closed = threading.Event()

    # -- the callers' side -----------------------------------------------------------------
    def submit(self, kind: str, page: Page, ignore: Ignore = (), *,
               source_id: str = "") -> Future[Document]:
        """Queue a document; the future's result is its Document (suspect past a limit)."""
        future: Future[Document] = Future()
        self._wake(_Task(kind=kind, page=page, ignore=ignore, source_id=source_id, future=future))
        return future

    def warm(self) -> None:
        """Start every worker now, in the background, and keep them started (`watcher run`)."""
        self._keep_warm = True
        self._wake(None)

    def _wake(self, task: _Task | None) -> None:
        with self._lock:
            if self._closing:
                raise PoolClosedError(CLOSED)
            if task is not None:
                self._inbox.append(task)
            if self._thread is None:
                self._thread = threading.Thread(target=self._supervise, daemon=True,
                                                name="extraction-pool")
                self._thread.start()
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"x")

    async def extract(self, kind: str, page: Page, ignore: Ignore = (), *,
                      source_id: str = "") -> Document:
        """The Document of ``page``, extracted in a worker (the event loop stays free)."""
        return await asyncio.wrap_future(self.submit(kind, page, ignore, source_id=source_id))

    def extract_sync(self, kind: str, page: Page, ignore: Ignore = (), *,
                     source_id: str = "") -> Document:
        """The same, blocking (the history importer)."""
        return self.submit(kind, page, ignore, source_id=source_id).result()

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [s.process.pid for s in list(self._slots) if s is not None and s.process.pid]

    def close(self, timeout_s: float = 5.0) -> None:
        """Finish the documents in hand (up to ``timeout_s``), refuse the rest, stop every worker."""
        with self._lock:
            if self._closed.is_set():
                return
            self._close_deadline = time.monotonic() + timeout_s
            self._closing = True
            thread = self._thread
        if thread is None:
            self._closed.set()
        else:
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_w, b"x")
            thread.join(timeout_s + 5.0)
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the supervisor thread -------------------------------------------------------------
    def _supervise(self) -> None:
        try:
            while not self._step():
                pass
        except Exception as exc:  # never leave a caller waiting forever
            log.error("extraction pool failed: %s", exc, exc_info=True)
        finally:
            self._closing = True
            self._refuse_queued()
            for index, slot in enumerate(self._slots):
                if slot is not None:
                    if slot.task is not None:
                        _resolve(slot.task.future, error=PoolClosedError(CLOSED))
                    self._stop(index, kill=True)
            self._closed.set()

    def _refuse_queued(self) -> None:
        with self._lock:
            queued = list(self._inbox)
            self._inbox.clear()
        for task in queued:
            _resolve(task.future, error=PoolClosedError(CLOSED))

    def _step(self) -> bool:
        """One round: hand out work, wait for a reply, a death, a deadline or a wake-up.
        True when the pool is closed and done."""
        now = time.monotonic()
        closing = self._closing
        if closing:
            self._refuse_queued()
            busy = [s for s in self._slots if s is not None and s.task is not None]
            if not busy or now >= self._close_deadline:
                return True
        else:
            self._dispatch()
        for index, slot in enumerate(self._slots):
            if slot is not None and slot.task is not None and now >= slot.deadline:
                self._timed_out(index, slot)
        deadlines = [s.deadline for s in self._slots if s is not None and s.task is not None]
        if closing:
            deadlines.append(self._close_deadline)
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        waitables: list[Any] = [self._wake_r]
        for slot in self._slots:
            if slot is not None:
                waitables += [slot.conn, slot.process.sentinel]
        ready = wait(waitables, timeout)
        if self._wake_r in ready:
            os.read(self._wake_r, 4096)
        for index, slot in enumerate(self._slots):
            if slot is None:
                continue
            if slot.conn in ready:
                self._receive(index, slot)
            elif slot.process.sentinel in ready:
                self._died(index, slot)
        return False

    def _dispatch(self) -> None:
        for index in range(len(self._slots)):
            slot = self._slots[index]
            if slot is not None and slot.task is not None:
                continue
            with self._lock:
                task = self._inbox.popleft() if self._inbox else None
            if task is None:
                if slot is None and self._keep_warm:
                    with contextlib.suppress(Exception):  # tried again when a document comes
                        self._slots[index] = self._start()
                continue
            if task.attempts == 0 and not task.future.set_running_or_notify_cancel():
                continue  # the caller gave up before it started
            if slot is None:
                try:
                    slot = self._slots[index] = self._start()
                except Exception as exc:  # fork refused, out of descriptors: this check fails
                    log.error("%s: extraction worker could not start: %s", task.source_id, exc)
                    _resolve(task.future, error=ExtractError(
                        f"extraction worker could not start: {exc}"))
                    continue
            try:
                slot.conn.send((task.kind, task.page, task.ignore))
            except (OSError, ValueError):
                self._slots[index] = None
                self._retry_or_fail(task, "extraction worker could not be reached")
                continue
            slot.task, slot.deadline = task, time.monotonic() + self.limits.timeout_s

    def _start(self) -> _Slot:
        ours, theirs = self._ctx.Pipe(duplex=True)
        backstop = int(self.limits.timeout_s) + 10
        process = self._ctx.Process(target=serve, args=(theirs, self.limits.memory_mb * 2**20,
                                                         backstop), daemon=True)
        with _main_module_hidden():
            process.start()
        theirs.close()
        self.stats.workers_started += 1
        return _Slot(process=process, conn=ours)

    def _receive(self, index: int, slot: _Slot) -> None:
        try:
            (status, document), peak_kb = slot.conn.recv()
        except (EOFError, OSError):
            self._died(index, slot)
            return
        task, slot.task = slot.task, None
        slot.done += 1
        self.stats.peak_worker_rss_mb = max(self.stats.peak_worker_rss_mb, peak_kb / 1024)
        if task is not None:
            self.stats.documents += 1
            if status == "memory":
                self.stats.over_memory += 1
                reason = f"extraction exceeded {self.limits.memory_mb} MB"
                log.warning("%s: %s (%s)", task.source_id, reason, task.page.url)
                document = Document(kind=task.kind, suspect_reason=reason)
            _resolve(task.future, document)
        if status == "memory" or slot.done >= self.limits.max_tasks:
            self._stop(index, kill=False)

    def _timed_out(self, index: int, slot: _Slot) -> None:
        task = slot.task
        self._stop(index, kill=True)
        if task is None:
            return
        self.stats.timeouts += 1
        self.stats.documents += 1
        reason = f"extraction exceeded {self.limits.timeout_s:g} s"
        log.warning("%s: %s (%s)", task.source_id, reason, task.page.url)
        _resolve(task.future, Document(kind=task.kind, suspect_reason=reason))

    def _died(self, index: int, slot: _Slot) -> None:
        task = slot.task
        slot.process.join(1.0)
        code = slot.process.exitcode
        self._stop(index, kill=True)
        if task is None:
            return
        self.stats.deaths += 1
        how = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 \
            else f"exit status {code}"
        self._retry_or_fail(task, f"extraction worker died ({how})")

    def _retry_or_fail(self, task: _Task, why: str) -> None:
        task.attempts += 1
        if task.attempts < 2 and not self._closing:
            self.stats.retries += 1
            log.warning("%s: %s; extracting it once more (%s)", task.source_id, why, task.page.url)
            with self._lock:
                self._inbox.appendleft(task)
            return
        self.stats.documents += 1
        log.warning("%s: %s, twice; suspect (%s)", task.source_id, why, task.page.url)
        _resolve(task.future, Document(kind=task.kind, suspect_reason=f"{why}, twice"))

    def _stop(self, index: int, *, kill: bool) -> None:
        slot, self._slots[index] = self._slots[index], None
        if slot is None:
            return
        if kill:
            slot.process.kill()
        else:
            try:
                slot.conn.send(None)
            except (OSError, ValueError):
                slot.process.kill()
        slot.process.join(2.0)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join(2.0)
        slot.conn.close()
        try:
            slot.process.close()
        except ValueError:
            log.warning("extraction worker %s would not stop", slot.process.pid)
