"""Soak: 200 sources for 30 minutes of SIMULATED time through the real App.

    .venv/bin/python bench/soak.py                    # 200 sources, 30 min, 60 s steps
    .venv/bin/python bench/soak.py --sources 40 --minutes 10   # quick

A loopback aiohttp server runs in its own process (this file with ``--serve``), so
the figures below belong to the bot alone.  The bot is a real :class:`bot.app.App`
(real config file, SQLite store, guarded fetcher, parser pool, outbox), driven by a
fake clock: each step advances it by 60 s, tells the server the step, and runs
``app.poll_once(force=False)``, i.e. the same due logic the scheduler uses.

* 3/4 of the sources are good: each publishes a new story every few steps
  (``(i + step) % 3 == 0``).  Every one of those stories must be alerted exactly once
  (deliveries counted on a RecordingAdapter subscribed to everything).
* 1/4 misbehave, rotating every step through: HTTP 500, no answer (timeout), garbage
  body, 429 with Retry-After, gzip bomb, redirect loop, oversized chunked body.

Reported: the bot's RSS at start/middle/end (and the parser workers'), asyncio task
count and open file descriptors before/after, deliveries vs published stories.
Exit status 1 when a check fails (leak, duplicate or missing alert).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

STEP_S = 60
BAD_MODES = ("500", "timeout", "garbage", "429", "gzip_bomb", "redirect_loop", "oversized")
# Each published item is a different event (its own made-up company and
# amount): the bot clusters same-event stories into one alert, and this
# benchmark counts alerts, so items must not look like copies of each other.
TEMPLATES = (
    "{co} teams up with Oracle in a ${n} million generative AI deal",
    "{co} raises ${n} million Series A to build AI agents",
    "Microsoft partners with {co} in a ${n} million AI model deal",
    "{co} raises ${n} million Series C led by Spark Capital for AI chips",
)
SYLLABLES = ("ka", "zu", "rim", "tor", "vex", "lo", "qua", "neb", "sol", "dri", "mav", "pex")
MIB = 1024 * 1024


def publishes(i: int, step: int) -> bool:
    return (i + step) % 3 == 0


def company(i: int, step: int) -> str:
    n = i * 1000 + step
    parts = []
    for _ in range(3):
        n, r = divmod(n, len(SYLLABLES))
        parts.append(SYLLABLES[r])
    return "".join(parts).capitalize()


def title(i: int, step: int) -> str:
    amount = 10 + i * 31 + step  # distinct per item: a different amount is a different deal
    return TEMPLATES[(i + step) % len(TEMPLATES)].format(co=company(i, step), n=amount)


def bad_mode(i: int, step: int) -> str:
    return BAD_MODES[(i + step) % len(BAD_MODES)]


# =========================================================================== server process


def serve(start_epoch: float) -> None:
    from aiohttp import web

    start = datetime.fromtimestamp(start_epoch, UTC)
    state = {"step": 0}
    hits: Counter[str] = Counter()
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join([comp.compress(bytes(MIB)) for _ in range(64)] + [comp.flush()])

    def good_body(i: int) -> bytes:
        items = "".join(
            f"<item><title>{title(i, s)}</title><link>https://news.test/{i}/{s}</link>"
            f"<guid>https://news.test/{i}/{s}</guid>"
            "<description>The AI companies signed a multi-year agreement.</description>"
            f"<pubDate>{format_datetime(start + timedelta(seconds=s * STEP_S))}</pubDate></item>"
            for s in range(state["step"], -1, -1)
            if publishes(i, s)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Wire {i}</title><link>https://news.test/{i}</link>{items}</channel></rss>"
        ).encode()

    async def good(request: web.Request) -> web.StreamResponse:
        hits["good"] += 1
        return web.Response(
            body=good_body(int(request.match_info["i"])), content_type="application/rss+xml"
        )

    async def bad(request: web.Request) -> web.StreamResponse:
        i = int(request.match_info["i"])
        mode = bad_mode(i, state["step"])
        hits[mode] += 1
        if mode == "500":
            return web.Response(status=500, text="internal error")
        if mode == "timeout":
            await asyncio.sleep(30)
            return web.Response(text="too late")
        if mode == "garbage":
            return web.Response(body=os.urandom(4096), content_type="application/rss+xml")
        if mode == "429":
            return web.Response(status=429, headers={"Retry-After": "120"})
        if mode == "gzip_bomb":
            return web.Response(
                body=bomb,
                headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"},
            )
        if mode == "redirect_loop":
            return web.Response(status=302, headers={"Location": request.path})
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        with contextlib.suppress(ConnectionError):
            for _ in range(12):  # 12 MiB, over the 10 MiB cap
                await resp.write(b"<rss>" + b"a" * (MIB - 5))
        return resp

    async def step(request: web.Request) -> web.Response:
        state["step"] = int(request.match_info["n"])
        return web.Response(text="ok")

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(dict(hits))

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/g/{i}.xml", good)
        app.router.add_get("/b/{i}.xml", bad)
        app.router.add_post("/step/{n}", step)
        app.router.add_get("/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"PORT {port}", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
        await runner.cleanup()

    asyncio.run(main())


# =========================================================================== measurement


def rss_mib(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB
    except OSError:
        return 0.0


def descendants(root: int) -> set[int]:
    out: set[int] = set()
    todo = [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{pid}/task"):
                with contextlib.suppress(OSError):
                    with open(f"/proc/{pid}/task/{task}/children") as fh:
                        for c in fh.read().split():
                            if int(c) not in out:
                                out.add(int(c))
                                todo.append(int(c))
    return out


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


# =========================================================================== the soak


def write_config(tmp: Path, port: int, n: int, n_bad: int) -> Path:
    (tmp / "watchlist.toml").write_text((REPO / "config" / "watchlist.toml").read_text())
    sources = []
    for i in range(n):
        path = f"/b/{i}.xml" if i < n_bad else f"/g/{i}.xml"
        sources.append(f'[[sources]]\nname = "src{i:03d}"\nurl = "http://127.0.0.1:{port}{path}"\n')
    cfg = tmp / "soak.toml"
    cfg.write_text(
        f"""
database_url = "sqlite+aiosqlite:///{tmp / 'soak.sqlite3'}"
[fetch]
allow_private_networks = true
connect_timeout = "2s"
read_timeout = "2s"
total_timeout = "4s"
per_host_limit = 32
[poll]
default_interval = "60s"
max_backoff = "10m"
[log]
level = "ERROR"
[[subscriptions]]
channel = "recording:alerts"
query = "*"

"""
        + "\n".join(sources)
    )
    return cfg


async def soak(n_sources: int, minutes: int) -> int:
    import structlog

    from adapters.recording import RecordingAdapter
    from bot.app import App
    from bot.settings import load_config

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(40)  # ERROR and up only
    )
    n_bad = n_sources // 4
    steps = minutes * 60 // STEP_S
    start = datetime.now(UTC).replace(microsecond=0)
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(start.timestamp())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        import aiohttp

        async with aiohttp.ClientSession() as control:

            async def set_step(n: int) -> None:
                async with control.post(f"http://127.0.0.1:{port}/step/{n}") as r:
                    r.raise_for_status()

            with tempfile.TemporaryDirectory() as tmp:
                cfg = write_config(Path(tmp), port, n_sources, n_bad)
                config = load_config(cfg, environ={}, dotenv=None)
                clock = Clock(start)
                rec = RecordingAdapter()
                async with App(config, adapters={"recording": rec}, now=clock) as app:
                    await asyncio.sleep(0)
                    tasks_before, fds_before, rss_start = len(asyncio.all_tasks()), fds(), rss_mib()
                    me = os.getpid()
                    samples: list[tuple[int, float, float, int]] = []
                    wall0 = time.perf_counter()
                    outcomes: Counter[str] = Counter()
                    fds_after_first = 0
                    for step in range(steps + 1):
                        clock.t = start + timedelta(seconds=step * STEP_S)
                        await set_step(step)
                        t0 = time.perf_counter()
                        results = await app.poll_once(force=False)
                        for r in results:
                            outcomes["ok" if r.ok else getattr(r.error, "kind", "error")] += 1
                        workers = sum(rss_mib(p) for p in descendants(me) if p != server.pid)
                        samples.append((step, rss_mib(), workers, fds()))
                        if step == 0:
                            fds_after_first = fds()
                        print(
                            f"  t+{step * STEP_S // 60:2d} min: polled {len(results):3d} in "
                            f"{time.perf_counter() - t0:5.2f}s, RSS {samples[-1][1]:6.1f} MiB "
                            f"(+workers {workers:6.1f} MiB), tasks {len(asyncio.all_tasks())}, "
                            f"fds {fds()}",
                            flush=True,
                        )
                    wall = time.perf_counter() - wall0
                    await asyncio.sleep(0.2)
                    tasks_after, fds_after, rss_end = len(asyncio.all_tasks()), fds(), rss_mib()
                    states = await app.store.sources()
                async with control.get(f"http://127.0.0.1:{port}/stats") as r:
                    served = await r.json()
    finally:
        if server.stdin:
            server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    # ------------------------------------------------------------------ checks
    published = [
        title(i, s) for i in range(n_bad, n_sources) for s in range(steps + 1) if publishes(i, s)
    ]
    delivered = Counter(p.message.title for p in rec.posts if p.channel == "recording:alerts")
    dupes = {t: c for t, c in delivered.items() if c > 1}
    missing = sorted(set(published) - set(delivered))
    unexpected = sorted(set(delivered) - set(published))
    mid = samples[len(samples) // 2]
    paused = sum(s.paused for s in states)
    good_failing = [s.name for s in states if int(s.name[3:]) >= n_bad and s.failures]

    print()
    print(f"soak: {n_sources} sources ({n_bad} misbehaving, rotating {', '.join(BAD_MODES)})")
    print(f"      {minutes} simulated minutes in {steps} steps of {STEP_S}s; wall time {wall:.1f}s")
    print(f"poll outcomes: {dict(sorted(outcomes.items()))}")
    print(f"server saw: {dict(sorted(served.items()))}")
    print(
        f"RSS (bot process): start {rss_start:.1f} MiB, middle (t+{mid[0]} min) {mid[1]:.1f} MiB, "
        f"end {rss_end:.1f} MiB; growth middle->end {rss_end - mid[1]:+.1f} MiB"
    )
    print(
        f"RSS (parser workers): start {samples[0][2]:.1f} MiB, middle {mid[2]:.1f} MiB, "
        f"end {samples[-1][2]:.1f} MiB"
    )
    print(f"asyncio tasks: before {tasks_before}, after {tasks_after}")
    print(
        f"RSS (bot process) range over the run: min {min(x[1] for x in samples):.1f} MiB, "
        f"max {max(x[1] for x in samples):.1f} MiB (first half max {max(x[1] for x in samples[: len(samples) // 2]):.1f}, "
        f"second half max {max(x[1] for x in samples[len(samples) // 2 :]):.1f})"
    )
    print(
        f"open fds: before {fds_before}, after 1st pass {fds_after_first}, "
        f"first-half max {max(x[3] for x in samples[: len(samples) // 2])}, "
        f"second-half max {max(x[3] for x in samples[len(samples) // 2 :])}, after {fds_after}"
    )
    print(
        f"alerts: published {len(published)} good stories, delivered {sum(delivered.values())} "
        f"({len(delivered)} distinct); duplicates {len(dupes)}, missing {len(missing)}, "
        f"unexpected {len(unexpected)}"
    )
    print(f"sources paused at the end: {paused}; good sources with failures: {len(good_failing)}")

    problems = []
    if dupes:
        problems.append(f"duplicate alerts: {list(dupes.items())[:5]}")
    if missing:
        problems.append(f"missing alerts: {missing[:5]}")
    if unexpected:
        problems.append(f"unexpected alerts: {unexpected[:5]}")
    if tasks_after > tasks_before:
        problems.append(f"task leak: {tasks_before} -> {tasks_after}")
    # Steady state: the connection pool (total_limit sockets) and allocator arenas fill
    # during the first passes, so the end is compared with the first half's maximum.
    first_half = samples[: max(1, len(samples) // 2)]
    fd_ceiling = max(x[3] for x in first_half)
    rss_ceiling = max(x[1] for x in first_half)
    if fds_after > fd_ceiling + 8:
        problems.append(f"fd leak: first-half max {fd_ceiling} -> end {fds_after}")
    if rss_end > rss_ceiling + 30:
        problems.append(f"RSS not flat: first-half max {rss_ceiling:.1f} -> end {rss_end:.1f} MiB")
    if good_failing:
        problems.append(f"good sources failing: {good_failing[:5]}")
    for p in problems:
        print("FAIL:", p)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sources", type=int, default=200)
    p.add_argument("--minutes", type=int, default=30)
    p.add_argument("--serve", metavar="START_EPOCH", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(float(args.serve))
        return 0
    return asyncio.run(soak(args.sources, args.minutes))


if __name__ == "__main__":
    raise SystemExit(main())
