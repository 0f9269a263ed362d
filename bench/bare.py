"""The floors: a bare HTTP client that GETs every page and hashes it, nothing else.

    python bench/bare.py httpx URLS_FILE [--connections 10]
    python bench/bare.py aiohttp URLS_FILE

Run as a script, it is the "bare-httpx script" of the whole-process mode (bench/process.py):
a process that imports only its client, fetches the pages listed one per line in URLS_FILE
and prints ``<pages> <bytes>``. bench/run.py also calls the two functions in a child process
for the in-process floors. Nothing from the watcher is imported here, so that a whole
process of this script pays for its client alone.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
from pathlib import Path


async def httpx_floor(urls: list[str], connections: int) -> int:
    """GET every page with a bare httpx.AsyncClient (default transport) and hash it."""
    import httpx

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits) as client:

        async def one(url: str) -> int:
            response = await client.get(url)
            hashlib.sha256(response.content).hexdigest()
            return len(response.content)

        return sum(await asyncio.gather(*(one(u) for u in urls)))


async def aiohttp_floor(urls: list[str], connections: int) -> int:
    """GET every page with a bare aiohttp.ClientSession and hash it."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> int:
            async with session.get(url) as response:
                body = await response.read()
            hashlib.sha256(body).hexdigest()
            return len(body)

        return sum(await asyncio.gather(*(one(u) for u in urls)))


PROBES = {"httpx": httpx_floor, "aiohttp": aiohttp_floor}


def main() -> None:
    parser = argparse.ArgumentParser(description="Fetch and hash every page (a floor).")
    parser.add_argument("client", choices=sorted(PROBES))
    parser.add_argument("urls", type=Path, help="a file with one URL per line")
    parser.add_argument("--connections", type=int, default=10)
    args = parser.parse_args()
    urls = args.urls.read_text(encoding="utf-8").split()
    fetched = asyncio.run(PROBES[args.client](urls, args.connections))
    sys.stdout.write(f"{len(urls)} {fetched}\n")


if __name__ == "__main__":
    main()
