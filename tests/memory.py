"""Memory measurement for tests: current RSS from /proc and peak growth while a block runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator


def rss_kib(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


@contextlib.asynccontextmanager
async def peak_rss_growth() -> AsyncIterator[list[int]]:
    """Samples this process's RSS every 5 ms; the yielded list receives the peak growth (KiB)."""
    baseline = rss_kib()
    peak = baseline
    stop = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_kib())
            await asyncio.sleep(0.005)

    out: list[int] = []
    task = asyncio.create_task(sample())
    try:
        yield out
    finally:
        stop.set()
        await task
        out.append(max(peak, rss_kib()) - baseline)
