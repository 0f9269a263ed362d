"""The Fetcher: one shared httpx client, per-host politeness, retries and redirect checks."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from types import TracebackType

import httpx

from watcher.fetch.addresses import Resolver, check_redirect, resolve_host
from watcher.fetch.charset import decode_body
from watcher.fetch.httpx_transport import PinnedHTTPTransport
from watcher.fetch.inflate import ACCEPT_ENCODING, Inflater
from watcher.fetch.model import FetchPolicy, FetchRequest, FetchResult
from watcher.fetch.outcomes import (
    REDIRECT_STATUSES,
    Outcome,
    declared_length,
    failed,
    http_failure,
    length_mismatch,
    not_modified,
    redirect_target,
    too_large,
)
from watcher.fetch.pinning import pinned
from watcher.fetch.reasons import describe_error
from watcher.fetch.retry import backoff_delay

logger = logging.getLogger(__name__)

DEFAULT_POLICY = FetchPolicy()

# Credentials the source configured for its own site must not follow a redirect elsewhere.
_ORIGIN_BOUND_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
# Charset detection on a multi-megabyte body takes long enough to stall other fetches.
_DECODE_IN_THREAD_BYTES = 512 * 1024


@dataclass(slots=True, kw_only=True)
class _HostGate:
    """Concurrency and start spacing for one host."""

    slots: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = -math.inf


@dataclass(slots=True, kw_only=True)
class _Budget:
    """What is left of one fetch's own timeout.

    Every hop and every try draws on it (and so do the waits between tries), so a
    slow page holds a slot of its host for at most its timeout in all; waiting for
    a slot does not, so the page's own time starts when it is let in.
    """

    total_s: float
    left_s: float


class Fetcher:
    """Owns one shared httpx.AsyncClient and the per-host limits; an async context manager.

    The transport, resolver, sleep, clock and random source are arguments so that
    tests run without a network or real waiting. An injected transport is closed
    with the Fetcher.
    """

    def __init__(
        self,
        policy: FetchPolicy = DEFAULT_POLICY,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        resolve: Resolver | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._policy = policy
        self._transport = transport
        self._sleep = sleep
        self._resolve = resolve or resolve_host
        self._clock = clock
        self._rng = rng or random.Random()
        self._client: httpx.AsyncClient | None = None
        self._all_hosts = asyncio.Semaphore(policy.max_connections)
        self._hosts: dict[str, _HostGate] = {}

    async def __aenter__(self) -> Fetcher:
        policy = self._policy
        transport = self._transport or PinnedHTTPTransport(
            limits=httpx.Limits(
                max_connections=policy.max_connections,
                max_keepalive_connections=policy.max_connections,
            )
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(
                connect=policy.connect_timeout_s,
                read=policy.read_timeout_s,
                write=policy.read_timeout_s,
                pool=policy.connect_timeout_s,
            ),
            # Redirects are followed by hand so that every hop can be checked.
            follow_redirects=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one page; network and HTTP problems give status "failed", never an exception."""
        if self._client is None:
            raise RuntimeError("use the Fetcher inside `async with`")
        policy = self._policy
        started = self._clock()
        total_s = request.timeout_s if request.timeout_s is not None else policy.total_timeout_s
        budget = _Budget(total_s=total_s, left_s=total_s)
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._try_once(self._client, request, budget)
            result, note = outcome.result, None
            retry_after = outcome.retry_after_s
            if outcome.retryable and attempt < policy.max_tries:
                remaining = min(policy.max_retry_wait_s - waited, budget.left_s)
                delay: float | None = None
                if retry_after is not None:
                    # The server's wish is honoured exactly, or not at all.
                    if retry_after <= remaining:
                        delay = retry_after
                    else:
                        note = f"the server asked us to wait {retry_after:g} s"
                elif remaining > 0:
                    backoff = backoff_delay(attempt, base_s=policy.backoff_base_s, rng=self._rng)
                    delay = min(backoff, remaining)
                if delay is not None:
                    logger.info(
                        "%s: %s; try %d of %d in %.1f s",
                        request.source_id,
                        result.error,
                        attempt + 1,
                        policy.max_tries,
                        delay,
                    )
                    await self._sleep(delay)
                    waited += delay
                    budget.left_s -= delay
                    continue
            if outcome.retryable and attempt > 1:
                note = f"gave up after {attempt} tries" + (f"; {note}" if note else "")
            return self._finish(request, result, note, retry_after, attempt, started)

    def _finish(
        self,
        request: FetchRequest,
        result: FetchResult,
        note: str | None,
        retry_after: float | None,
        attempt: int,
        started: float,
    ) -> FetchResult:
        error = result.error
        if error is not None and note:
            error = f"{error} ({note})"
        final = replace(
            result,
            error=error,
            retry_after_s=retry_after if result.status == "failed" else None,
            attempts=attempt,
            elapsed_s=max(0.0, self._clock() - started),
        )
        if final.status == "failed":
            logger.warning("%s: fetching %s failed: %s", request.source_id, request.url, error)
        else:
            logger.info(
                "%s: %s %s (%d bytes, %s)",
                request.source_id,
                final.status,
                final.url,
                len(final.body),
                final.encoding,
            )
        return final

    async def _try_once(self, client: httpx.AsyncClient, request: FetchRequest,
                        budget: _Budget) -> Outcome:
        """One try: the request and every redirect it leads to."""
        try:
            url = httpx.URL(request.url)
        except httpx.InvalidURL as exc:
            return failed(request.url, f"invalid URL: {exc}")
        if url.scheme not in ("http", "https"):
            return failed(request.url, f"unsupported URL scheme {url.scheme!r}")
        if not url.host:
            return failed(request.url, "invalid URL: no host")
        headers = list(request.headers)
        if request.etag:
            headers.append(("If-None-Match", request.etag))
        if request.last_modified:
            headers.append(("If-Modified-Since", request.last_modified))
        seen = {url}
        pins: tuple[str, ...] = ()  # the source's own URL is resolved by the transport
        for _hop in range(self._policy.max_redirects + 1):
            step = await self._exchange(client, request, url, headers, pins, budget)
            if isinstance(step, Outcome):
                return step
            target = step
            if target in seen:
                return failed(str(url), f"redirect loop: {url} leads back to {target}")
            seen.add(target)
            looked_up = self._clock()
            refusal, pins = await check_redirect(
                target.host, target.raw_host.decode("ascii"), resolve=self._resolve,
                timeout_s=max(0.001, min(self._policy.connect_timeout_s, budget.left_s)),
                allow_private=request.allow_private)
            budget.left_s -= max(0.0, self._clock() - looked_up)
            if refusal is not None:
                return failed(str(url), refusal)
            if (target.scheme, target.host, target.port) != (url.scheme, url.host, url.port):
                headers = [(k, v) for k, v in headers if k.lower() not in _ORIGIN_BOUND_HEADERS]
            logger.debug("%s: redirected from %s to %s", request.source_id, url, target)
            url = target
        return failed(str(url), f"too many redirects (more than {self._policy.max_redirects})")

    async def _exchange(
        self,
        client: httpx.AsyncClient,
        request: FetchRequest,
        url: httpx.URL,
        headers: list[tuple[str, str]],
        pins: tuple[str, ...],
        budget: _Budget,
    ) -> Outcome | httpx.URL:
        """One HTTP request: an outcome, or the URL a redirect points to."""
        policy = self._policy
        cap = policy.max_body_bytes
        received = 0
        body_started = False
        status: int | None = None
        async with self._slot(url.host):
            if budget.left_s <= 0:
                return failed(str(url), f"response exceeded {budget.total_s:g} s")
            began = self._clock()
            deadline = asyncio.timeout(budget.left_s)
            pin = pinned(url.raw_host.decode("ascii"), pins) if pins else contextlib.nullcontext()
            try:
                async with deadline, pin, client.stream("GET", url, headers=headers) as response:
                    status = response.status_code
                    if status in REDIRECT_STATUSES:
                        return redirect_target(url, response)
                    if status == 304:
                        return not_modified(request, url, response)
                    if not 200 <= status < 300:
                        return http_failure(url, response)
                    content_type = response.headers.get("content-type")
                    declared = declared_length(response)
                    if declared is not None and declared > cap:
                        return failed(str(url), too_large(cap), http_status=status)
                    chunks: list[bytes] = []
                    body_started = True
                    # Decoded pieces are at most 64 KiB, so the cap on decoded bytes
                    # also stops a decompression bomb early.
                    async with contextlib.aclosing(_decoded(response)) as pieces:
                        async for piece in pieces:
                            received += len(piece)
                            if received > cap:
                                return failed(str(url), too_large(cap), http_status=status)
                            chunks.append(piece)
                    if declared is not None and received != declared:
                        return failed(str(url), length_mismatch(received, declared),
                                      http_status=status)
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError) as exc:
                # OSError includes the TimeoutError the deadline raises.
                if deadline.expired():
                    return failed(str(url), f"response exceeded {budget.total_s:g} s",
                                  http_status=status)
                reason = describe_error(
                    exc,
                    host=url.host,
                    read_timeout_s=policy.read_timeout_s,
                    body_started=body_started,
                    received=received,
                )
                return failed(str(url), reason, http_status=status)
            finally:
                budget.left_s -= max(0.0, self._clock() - began)
        body = b"".join(chunks)
        return Outcome(result=await self._ok(request, url, response, content_type, body))

    async def _ok(
        self,
        request: FetchRequest,
        url: httpx.URL,
        response: httpx.Response,
        content_type: str | None,
        body: bytes,
    ) -> FetchResult:
        content_hash = hashlib.sha256(body).hexdigest()
        text: str = ""
        encoding: str | None = None
        # The body the pipeline already has is not decoded: nobody would read the text.
        if content_hash != request.known_hash:
            if len(body) > _DECODE_IN_THREAD_BYTES:
                text, encoding = await asyncio.to_thread(decode_body, body, content_type)
            else:
                text, encoding = decode_body(body, content_type)
            if "\x00" in text:
                # A stray NUL in an HTML page (a CMS bug) is not a reason to lose the page.
                logger.warning("%s: dropped %d NUL character(s) from the text of %s",
                               request.source_id, text.count("\x00"), url)
                text = text.replace("\x00", "")
        return FetchResult(
            status="ok",
            url=str(url),
            http_status=response.status_code,
            body=body,
            text=text,
            encoding=encoding,
            content_type=content_type,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            content_hash=content_hash,
        )

    @contextlib.asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's slots and one global slot, starts spaced politely."""
        gate = self._hosts.get(host)
        if gate is None:
            gate = self._hosts[host] = _HostGate(slots=asyncio.Semaphore(self._policy.per_host))
        async with gate.slots, self._all_hosts:
            # Spacing is measured once a global slot is held, so waiting for one
            # cannot bunch up two starts that were spaced before it.
            delay = self._policy.min_host_delay_s
            if delay > 0:
                async with gate.lock:
                    wait = gate.next_start - self._clock()
                    if wait > 0:
                        await self._sleep(wait)
                    gate.next_start = self._clock() + delay
            yield


async def _decoded(response: httpx.Response) -> AsyncGenerator[bytes, None]:
    """The body's decoded bytes, piece by piece."""
    if response.is_stream_consumed:
        # Only a mock hands over a response read in advance (httpx.Response(content=...));
        # httpx has decoded it already.
        yield response.content
        return
    inflater = Inflater(response.headers.get("content-encoding"))
    async for raw in response.aiter_raw():
        for piece in inflater.feed(raw):
            yield piece
    yield inflater.finish()


async def fetch(
    request: FetchRequest,
    *,
    policy: FetchPolicy = DEFAULT_POLICY,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FetchResult:
    """Fetch one page with a Fetcher of its own (the pipeline shares one instead)."""
    async with Fetcher(policy, transport=transport) as fetcher:
        return await fetcher.fetch(request)
