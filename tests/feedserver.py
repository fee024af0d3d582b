"""Loopback HTTP servers for tests: a programmable feed server and a raw TCP one.

Only ever binds 127.0.0.1, port 0.  Both count *TCP connections* as well as
requests, so a test can prove the client never even dialled the server.

    async with FeedServer() as srv:
        srv.add("/feed.xml", b"<rss/>", etag='"v1"')
        srv.redirect("/old", "/feed.xml", status=301)
        srv.route("/custom", my_handler)          # any aiohttp handler
        ... srv.url("/feed.xml"), srv.hits["/feed.xml"], srv.connections
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _listen_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


@dataclass
class StaticRoute:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None


class FeedServer:
    """An aiohttp.web app on 127.0.0.1:<random port> with hit counters.

    Static routes answer conditional GETs (If-None-Match / If-Modified-Since)
    with 304.  ``requests`` records (path, headers) of every request.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.connections = 0
        self._routes: dict[str, StaticRoute | Handler] = {}
        self._runner: web.AppRunner | None = None
        self._server: asyncio.AbstractServer | None = None

    # -- programming the server

    def add(
        self,
        path: str,
        body: bytes = b"",
        *,
        status: int = 200,
        content_type: str = "application/rss+xml",
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        self._routes[path] = StaticRoute(
            body, status, content_type, dict(headers or {}), etag, last_modified
        )

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        self.add(path, status=status, headers={"Location": location}, content_type="text/plain")

    def route(self, path: str, handler: Handler) -> None:
        self._routes[path] = handler

    # -- addresses and counters

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    # -- lifecycle

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        web_server = self._runner.server
        assert web_server is not None

        def protocol_factory() -> web.RequestHandler:
            self.connections += 1
            return web_server()

        sock = _listen_socket(self.host)
        self.port = sock.getsockname()[1]
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(protocol_factory, sock=sock)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- request handling

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.requests.append((request.path, dict(request.headers)))
        route = self._routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="not found")
        if isinstance(route, StaticRoute):
            return self._static(request, route)
        return await route(request)

    @staticmethod
    def _static(request: web.Request, route: StaticRoute) -> web.StreamResponse:
        headers = dict(route.headers)
        if route.etag is not None:
            headers["ETag"] = route.etag
        if route.last_modified is not None:
            headers["Last-Modified"] = route.last_modified
        if route.status == 200 and _not_modified(request, route):
            return web.Response(status=304, headers=headers)
        if route.status in (204, 304):
            return web.Response(status=route.status, headers=headers)
        headers.setdefault("Content-Type", route.content_type)
        return web.Response(status=route.status, body=route.body, headers=headers)


def _not_modified(request: web.Request, route: StaticRoute) -> bool:
    inm = request.headers.get("If-None-Match")
    if inm is not None and route.etag is not None:
        return route.etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = request.headers.get("If-Modified-Since")
    return ims is not None and route.last_modified is not None and ims == route.last_modified


class RawServer:
    """A bare TCP server on 127.0.0.1 for behaviour aiohttp.web cannot produce
    (slow headers, lying Content-Length, silence).  ``handler`` owns the socket.
    """

    def __init__(self, handler: RawHandler, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.connections = 0
        self._handler = handler
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client hung up, which is usually the point of the test
        finally:
            self._tasks.discard(task)
            writer.close()

    async def __aenter__(self) -> Self:
        sock = _listen_socket(self.host)
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._serve, sock=sock)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()


async def read_request_head(reader: asyncio.StreamReader) -> bytes:
    """Consume one request head (raw servers ignore its content)."""
    return await reader.readuntil(b"\r\n\r\n")
