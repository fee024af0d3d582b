"""Loopback feed server for bench/poll.py, run as its own process.

    python bench/_feedserver_proc.py DATA_DIR [--feeds 1000]

Serves ``/f/{i}.xml`` for ``i`` in ``0..feeds-1`` from file ``i % len(files)`` of
the sorted listing of DATA_DIR, with a strong ETag and a Last-Modified, and
answers If-None-Match / If-Modified-Since with 304 (If-None-Match wins when both
are sent, as RFC 9110 says).  Bodies are read into memory once at start-up.

Binds 127.0.0.1 port 0 and prints ``PORT <n>`` as its first stdout line once
listening.  ``GET /stats`` returns request counters as JSON; ``POST /stats/reset``
zeroes them.  Exits when stdin closes (the parent died or is done).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import socket
import sys
from collections import Counter
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from aiohttp import web

LAST_MODIFIED_TS = 1_700_000_000  # fixed: the bodies never change during a run
LAST_MODIFIED = formatdate(LAST_MODIFIED_TS, usegmt=True)


def _content_type(body: bytes) -> str:
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "application/feed+json"
    return "application/xml"  # no charset: let the parser read the XML declaration


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


def _not_modified_since(header: str) -> bool:
    try:
        return parsedate_to_datetime(header).timestamp() >= LAST_MODIFIED_TS
    except (TypeError, ValueError, IndexError, OverflowError):
        return False


class FeedApp:
    def __init__(self, data_dir: Path, feeds: int):
        files = sorted(p for p in data_dir.iterdir() if p.is_file())
        if not files:
            raise SystemExit(f"no feed files in {data_dir}")
        self.bodies = [p.read_bytes() for p in files]
        self.etags = [f'"{hashlib.sha1(b).hexdigest()[:20]}"' for b in self.bodies]
        self.types = [_content_type(b) for b in self.bodies]
        self.feeds = feeds
        self.stats: Counter[str] = Counter()

    async def feed(self, request: web.Request) -> web.Response:
        try:
            i = int(request.match_info["i"])
        except ValueError:
            raise web.HTTPNotFound() from None
        if not 0 <= i < self.feeds:
            self.stats["404"] += 1
            raise web.HTTPNotFound()
        n = i % len(self.bodies)
        etag = self.etags[n]
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED, "Cache-Control": "max-age=0"}
        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        if inm is not None or ims is not None:
            self.stats["conditional"] += 1
            if inm is not None:
                self.stats["if_none_match"] += 1
            if ims is not None:
                self.stats["if_modified_since"] += 1
        not_modified = _etag_matches(inm, etag) if inm is not None else (
            ims is not None and _not_modified_since(ims)
        )
        ua = request.headers.get("User-Agent", "")
        self.stats["ua:" + ua.split("/")[0][:24]] += 1
        if not_modified:
            self.stats["304"] += 1
            return web.Response(status=304, headers=headers)
        self.stats["200"] += 1
        body = self.bodies[n]
        self.stats["bytes"] += len(body)
        return web.Response(body=body, headers={**headers, "Content-Type": self.types[n]})

    async def get_stats(self, request: web.Request) -> web.Response:
        return web.json_response(dict(self.stats))

    async def reset_stats(self, request: web.Request) -> web.Response:
        old = dict(self.stats)
        self.stats.clear()
        return web.json_response(old)


async def _watch_stdin(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    stop.set()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--feeds", type=int, default=1000)
    args = ap.parse_args()
    fa = FeedApp(args.data_dir, args.feeds)
    app = web.Application()
    app.router.add_get("/f/{i}.xml", fa.feed)
    app.router.add_get("/stats", fa.get_stats)
    app.router.add_post("/stats/reset", fa.reset_stats)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.setblocking(False)
    site = web.SockSite(runner, sock)
    await site.start()
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch_stdin(stop))
    await stop.wait()
    watcher.cancel()
    await runner.cleanup()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
