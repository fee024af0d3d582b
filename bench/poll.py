"""Benchmark a whole poll pass of alliance-bot against the `reader` library.

    .venv/bin/python bench/poll.py                # 1,000 feeds
    .venv/bin/python bench/poll.py --quick        # 100 feeds, < 2 minutes
    .venv/bin/python bench/poll.py --feeds 500 --reader-workers 8 --shared /path/to/shared

A loopback aiohttp server in its own process (bench/_feedserver_proc.py) serves
N feeds: the 200 real bodies in shared/feeds/fastfeedparser/benchmark_data/, each
under N/200 URLs, with ETag + Last-Modified and 304 for conditional requests.

Each client runs in its own fresh subprocess, one after the other (the machine
has 2 cores), and times two passes over the same N feeds:

* full: every feed answers 200 -> fetch, parse, store entries (reader: its SQLite
  db; alliance-bot: dedup + store stories + classify new ones + route/outbox);
* 304:  every feed answers 304 Not Modified (server counters prove it).

Peak RSS is ``ru_maxrss`` of the client process (a lifetime high-water mark, so
the 304 row is "peak so far").  alliance-bot parses in a worker process; that
worker's own peak (VmHWM) is shown separately as ``+workers``.

reader's worker count is chosen by a sweep (``--sweep``, default 1,4,8,16,32)
on a subset of the feeds; the one with the lowest full+304 time is used.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA_SUBDIR = Path("feeds") / "fastfeedparser" / "benchmark_data"
SERVER = Path(__file__).resolve().parent / "_feedserver_proc.py"

# All N feeds live on one host (127.0.0.1).  Real feeds are spread over many hosts,
# each limited to per_host_limit=2 by default; here the per-host limit is raised so
# the bench measures the pipeline, not the politeness limit.  32 is the maximum the
# settings accept (bot/settings.py FetchConfig.per_host_limit le=32).
PER_HOST_LIMIT = 32
TOTAL_LIMIT = 64


# --------------------------------------------------------------------------- shared helpers


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # Linux: KiB


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    out: list[int] = []
    frontier = [root]
    while frontier:
        p = frontier.pop()
        kids = [pid for pid, ppid in parents.items() if ppid == p]
        out.extend(kids)
        frontier.extend(kids)
    return out


def _workers_peak_mb() -> float:
    """Sum of the peak RSS (VmHWM) of every live descendant of this process."""
    total_kb = 0
    for pid in _descendants(os.getpid()):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total_kb += int(line.split()[1])
                        break
        except OSError:
            continue
    return total_kb * 1024 / 1e6


def _http(port: int, path: str, method: str = "GET") -> dict[str, Any]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def feed_url(port: int, i: int) -> str:
    return f"http://127.0.0.1:{port}/f/{i}.xml"


# --------------------------------------------------------------------------- child: alliance-bot


def _alliance_config(tmp: Path, port: int, feeds: int) -> Path:
    db = tmp / "bench.sqlite3"
    watchlist = REPO / "config" / "watchlist.toml"
    lines = [
        f'database_url = "sqlite+aiosqlite:///{db}"',
        "",
        "[poll]",
        "max_entries = 200",
        "",
        "[fetch]",
        "allow_private_networks = true   # the bench server is on 127.0.0.1",
        f"per_host_limit = {PER_HOST_LIMIT}   # all feeds share one host here",
        f"total_limit = {TOTAL_LIMIT}",
        "",
        "[matcher]",
        f"watchlist = {json.dumps(str(watchlist))}",
        "",
        "[log]",
        'level = "INFO"',
        "",
    ]
    for i in range(feeds):
        lines += ["[[sources]]", f'name = "bench {i:04d}"', f'url = "{feed_url(port, i)}"', ""]
    path = tmp / "bench.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class _TimedClassifier:
    """Wraps the bot's matcher and adds up the wall time of its ``classify`` calls."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def classify(self, story: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self.inner.classify(story)
        finally:
            self.seconds += time.perf_counter() - t0
            self.count += 1


async def _alliance_child(port: int, feeds: int, tmp: Path) -> dict[str, Any]:
    sys.path.insert(0, str(REPO))
    from bot.app import App
    from bot.logs import configure_logging
    from bot.settings import load_config

    config = load_config(_alliance_config(tmp, port, feeds), environ={}, dotenv=None)
    # As the CLI does: one log line per poll on stderr (the parent sends it to a file).
    configure_logging(config.settings.log.level, config.settings.log.format)
    out: dict[str, Any] = {"client": "alliance-bot", "passes": []}
    async with App(config, stdout=io.StringIO()) as app:
        # Start the parser worker before timing: a running bot pays this once, not per pass.
        parser = getattr(app, "_parser", None)
        if parser is not None and hasattr(parser, "parse"):
            from datetime import UTC, datetime

            try:
                await parser.parse(b'<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>'
                                   b"</channel></rss>", url="http://127.0.0.1/", now=datetime.now(UTC))
            except Exception as exc:  # warm-up only
                out["warmup_error"] = f"{type(exc).__name__}: {exc}"
        # Time the matcher where the bot calls it (on the event loop, for new stories
        # only), to show its share of a pass: the matcher speed target exists so that
        # matching never becomes the pipeline's bottleneck.
        timed = _TimedClassifier(app.poller.classifier)
        app.poller.classifier = timed
        for name in ("full", "304"):
            _http(port, "/stats/reset", "POST")
            rss_before = _rss_now_mb()
            timed.reset()
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            results = await app.poll_once(force=True)
            seconds = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
            server = _http(port, "/stats/reset", "POST")
            ok = [r for r in results if r.ok]
            failures = Counter(
                f"{type(r.error).__name__}({getattr(r.error, 'kind', None)}): {str(r.error)[:120]}"
                for r in results if not r.ok
            )
            statuses = Counter(str(r.value.status) for r in ok if r.value is not None)
            out["passes"].append({
                "pass": name,
                "feeds": len(results),
                "ok": len(ok),
                "entries": sum(r.value.entries for r in ok if r.value is not None),
                "new": sum(r.value.new for r in ok if r.value is not None),
                "flagged": sum(r.value.flagged for r in ok if r.value is not None),
                "seconds": seconds,
                "cpu_seconds": cpu,
                "classified": timed.count,
                "classify_seconds": timed.seconds,
                "rss_before_mb": rss_before,
                "peak_rss_mb": _maxrss_mb(),
                "workers_peak_mb": _workers_peak_mb(),
                "statuses": dict(statuses),
                "failures": dict(failures.most_common(10)),
                "server": server,
            })
    return out


# --------------------------------------------------------------------------- child: reader


def _sgmllib_shim() -> bool:
    """reader 3.26 vendors a feedparser that does ``import sgmllib`` (the sgmllib3k
    package), but feedparser 6.0.14 in this venv switched to feedparser-sgmllib (the
    same Python 2.7 module under another name), so sgmllib3k is not installed.
    Alias it for reader's sake; returns True when the alias was needed."""
    try:
        import sgmllib  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        import feedparser_sgmllib

        sys.modules["sgmllib"] = feedparser_sgmllib
        return True
    return False


def _reader_child(port: int, feeds: int, tmp: Path, workers: int) -> dict[str, Any]:
    _sgmllib_shim()
    import reader

    r = reader.make_reader(str(tmp / "reader.sqlite"))
    for i in range(feeds):
        r.add_feed(feed_url(port, i))
    out: dict[str, Any] = {"client": f"reader(w={workers})", "version": reader.__version__, "passes": [],
                           "sgmllib_shim": _sgmllib_shim()}
    for name in ("full", "304"):
        _http(port, "/stats/reset", "POST")
        rss_before = _rss_now_mb()
        n = ok = entries = 0
        failures: Counter[str] = Counter()
        statuses: Counter[str] = Counter()
        t0 = time.perf_counter()
        # scheduled=False: reader 3.x otherwise skips feeds updated < 1h ago (the 304 pass).
        for res in r.update_feeds_iter(workers=workers, scheduled=False):
            n += 1
            if isinstance(res.value, Exception):
                failures[f"{type(res.value).__name__}: {str(res.value)[:120]}"] += 1
                continue
            ok += 1
            if res.value is None:
                statuses["not modified"] += 1
            else:
                statuses["updated"] += 1
                entries += res.value.new + res.value.modified + getattr(res.value, "unmodified", 0)
        seconds = time.perf_counter() - t0
        server = _http(port, "/stats/reset", "POST")
        out["passes"].append({
            "pass": name,
            "feeds": n,
            "ok": ok,
            "entries": entries,
            "seconds": seconds,
            "rss_before_mb": rss_before,
            "peak_rss_mb": _maxrss_mb(),
            "workers_peak_mb": _workers_peak_mb(),
            "statuses": dict(statuses),
            "failures": dict(failures.most_common(10)),
            "server": server,
        })
    r.close()
    return out


def child_main(args: argparse.Namespace) -> None:
    tmp = Path(args.tmp)
    if args.child == "alliance":
        result = asyncio.run(_alliance_child(args.port, args.feeds, tmp))
    else:
        result = _reader_child(args.port, args.feeds, tmp, args.workers)
    Path(args.out).write_text(json.dumps(result), encoding="utf-8")


# --------------------------------------------------------------------------- parent


class FeedServerProcess:
    def __init__(self, data: Path, feeds: int):
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), str(data), "--feeds", str(feeds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            sys.exit(f"feed server failed to start (said {line!r})")
        self.port = int(line.split()[1])

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()  # the server exits when stdin closes
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run_child(kind: str, port: int, feeds: int, workers: int = 1, timeout: float = 1800) -> dict[str, Any]:
    """Run one client in a fresh interpreter; returns its result or {"error": ...}."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as tmp:
        out, log = Path(tmp) / "result.json", Path(tmp) / "stderr.log"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--port", str(port),
               "--feeds", str(feeds), "--workers", str(workers), "--tmp", tmp, "--out", str(out)]
        with open(log, "wb") as err:
            try:
                rc = subprocess.run(cmd, stdout=err, stderr=err, timeout=timeout, cwd=tmp).returncode
            except subprocess.TimeoutExpired:
                rc = -1
        if rc != 0 or not out.exists():
            tail = log.read_text(errors="replace").strip().splitlines()[-12:]
            return {"error": f"exit code {rc}", "log": tail}
        result: dict[str, Any] = json.loads(out.read_text())
        lines = log.read_text(errors="replace").splitlines()
        result["log_lines"] = len(lines)
        result["log_warnings"] = [ln for ln in lines if "level='warning'" in ln or "level='error'" in ln][:5]
        return result


def _rate(n: float, s: float) -> float:
    return n / s if s > 0 else float("inf")


def _row(client: str, p: dict[str, Any]) -> str:
    return (f"{client:<14}{p['pass']:<6}{p['feeds']:>6}{p['ok']:>6}{p['entries']:>9}{p['seconds']:>9.2f}"
            f"{_rate(p['feeds'], p['seconds']):>9.0f}{_rate(p['entries'], p['seconds']):>11.0f}"
            f"{p['rss_before_mb']:>11.0f}{p['peak_rss_mb']:>10.0f}{p['workers_peak_mb']:>10.0f}")


HEADER = (f"{'client':<14}{'pass':<6}{'feeds':>6}{'ok':>6}{'entries':>9}{'seconds':>9}{'feeds/s':>9}"
          f"{'entries/s':>11}{'RSS pre MB':>11}{'peak MB':>10}{'+workers':>10}")


def _server_line(p: dict[str, Any]) -> str:
    s = p["server"]
    uas = ", ".join(f"{k[3:]}={v}" for k, v in s.items() if k.startswith("ua:"))
    return (f"  server saw {p['pass']:<4}: 200={s.get('200', 0)} 304={s.get('304', 0)} "
            f"conditional={s.get('conditional', 0)} (If-None-Match={s.get('if_none_match', 0)}, "
            f"If-Modified-Since={s.get('if_modified_since', 0)}) "
            f"MB sent={s.get('bytes', 0) / 1e6:.0f} [{uas}]")


def _print_failures(client: str, p: dict[str, Any]) -> None:
    if p["failures"]:
        print(f"  {client} {p['pass']} failures ({p['feeds'] - p['ok']}):")
        for msg, n in p["failures"].items():
            print(f"    {n:5d} x {msg}")


def sweep_reader(port: int, feeds: int, workers: list[int]) -> tuple[int, list[str]]:
    lines = [f"reader worker sweep on the first {feeds} feeds (fresh process + db each; "
             f"best = lowest full+304 seconds):"]
    best, best_s = workers[0], float("inf")
    for w in workers:
        res = run_child("reader", port, feeds, workers=w)
        if "error" in res:
            lines.append(f"  w={w:<3} failed: {res['error']} {res['log'][-1:]}")
            continue
        full, nm = res["passes"]
        total = full["seconds"] + nm["seconds"]
        lines.append(f"  w={w:<3} full {full['seconds']:6.2f}s ({_rate(full['feeds'], full['seconds']):5.0f} feeds/s)"
                     f"   304 {nm['seconds']:6.2f}s ({_rate(nm['feeds'], nm['seconds']):5.0f} feeds/s)"
                     f"   total {total:6.2f}s")
        if total < best_s:
            best, best_s = w, total
        print(lines[-1], flush=True)
    return best, lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--feeds", type=int, default=1000, help="number of feeds (default 1000)")
    ap.add_argument("--quick", action="store_true",
                    help="100 feeds, no reader sweep (reader workers = 8 unless --reader-workers)")
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                    help=f"the shared/ folder (default {DEFAULT_SHARED})")
    ap.add_argument("--sweep", default="1,4,8,16,32", help="reader worker counts to try")
    ap.add_argument("--sweep-feeds", type=int, default=100,
                    help="feeds used by the reader sweep (default 100; reader parses ~3 feeds/s)")
    ap.add_argument("--reader-workers", type=int, default=None, help="skip the sweep, use this")
    # internal: child mode
    ap.add_argument("--child", choices=("alliance", "reader"), help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_main(args)
        return

    if args.quick:
        args.feeds = 100
        # No sweep: reader's full pass runs ~2-3 feeds/s, a sweep alone would take minutes.
        # 8 won the 1,4,8,16,32 sweep of the 1,000-feed run (4-32 are within noise).
        if args.reader_workers is None:
            args.reader_workers = 8
    data = args.shared / DATA_SUBDIR
    if not data.is_dir() or not any(data.iterdir()):
        sys.exit(f"bench/poll.py: feed bodies not found at {data}\n"
                 f"  (expected the shared/ folder next to the repo; pass --shared PATH)")
    files = sorted(p for p in data.iterdir() if p.is_file())
    n = args.feeds
    import reader

    print(f"alliance-bot vs reader {reader.__version__}: one poll pass over {n} feeds "
          f"({len(files)} real bodies from {data}, each under ~{max(1, n // len(files))} URLs), "
          f"served from 127.0.0.1 by a separate process.")
    print("Both clients do comparable work on the full pass: fetch + parse + store every entry "
          "(reader: its SQLite db;\nalliance-bot: SQLite story store + dedup + classify new stories "
          "+ route/outbox). 304 pass: conditional GETs only.")
    print(f"alliance-bot config: per_host_limit={PER_HOST_LIMIT} total_limit={TOTAL_LIMIT} "
          f"(all feeds are on ONE host here; real feeds are spread over many hosts at the default "
          f"per_host_limit=2), max_entries=200, allow_private_networks=true, log level INFO to a file.")
    print(f"Clients run one after the other, each in a fresh subprocess; {os.cpu_count()} CPUs. "
          f"RSS: 'RSS pre' before the pass, 'peak' = ru_maxrss of the client process so far,\n"
          f"'+workers' = peak RSS of its child processes (alliance-bot's parser worker).\n", flush=True)

    server = FeedServerProcess(data, n)
    try:
        if args.reader_workers:
            best_w, sweep_lines = args.reader_workers, [f"reader workers given: {args.reader_workers}"]
        else:
            best_w, sweep_lines = sweep_reader(
                server.port, min(args.sweep_feeds, n), [int(w) for w in args.sweep.split(",")])
        print(f"-> reader workers = {best_w}\n", flush=True)
        ours = run_child("alliance", server.port, n)
        theirs = run_child("reader", server.port, n, workers=best_w)
    finally:
        server.close()

    print(HEADER)
    for res, label in ((ours, "alliance-bot"), (theirs, f"reader(w={best_w})")):
        if "error" in res:
            print(f"{label:<14}FAILED: {res['error']}")
            for line in res["log"]:
                print(f"    | {line}")
            continue
        for p in res["passes"]:
            print(_row(label, p))
    if "error" not in ours and "error" not in theirs:
        parts = []
        for a, b in zip(ours["passes"], theirs["passes"]):
            fr = _rate(a["feeds"], a["seconds"]) / _rate(b["feeds"], b["seconds"])
            part = f"{a['pass']}: {fr:.1f}x feeds/s"
            if b["entries"]:
                part += f" ({_rate(a['entries'], a['seconds']) / _rate(b['entries'], b['seconds']):.1f}x entries/s)"
            part += f", {a['peak_rss_mb'] + a['workers_peak_mb']:.0f} vs {b['peak_rss_mb'] + b['workers_peak_mb']:.0f} MB peak"
            parts.append(part)
        print("ratio (alliance / reader)  " + "   ".join(parts) + "   (target: >= 5x feeds/s on both)")
        for res, label in ((ours, "alliance-bot"), (theirs, "reader")):
            refetched = res["passes"][1]["server"].get("200", 0)
            if refetched:
                print(f"note: on the 304 pass the server answered 200 to {refetched} {label} requests "
                      f"(feeds that failed on the full pass have no stored validators), so that pass "
                      f"includes re-fetching and re-parsing them.")
    print()
    for res, label in ((ours, "alliance-bot"), (theirs, f"reader(w={best_w})")):
        if "error" in res:
            continue
        print(f"{label}:")
        for p in res["passes"]:
            print(_server_line(p))
            print(f"    client statuses {p['pass']}: {p['statuses']}"
                  + (f"  new={p['new']} flagged={p['flagged']}" if "new" in p else ""))
            if "classify_seconds" in p:
                n, secs = p["classified"], p["classify_seconds"]
                print(f"    matcher {p['pass']}: {n} stories classified in {secs:.2f} s "
                      f"({secs / n * 1e6 if n else 0:.0f} us each) = {secs / p['seconds']:.1%} of the "
                      f"pass's wall time, {secs / p['cpu_seconds'] if p['cpu_seconds'] else 0:.1%} of "
                      f"the bot process's CPU time ({p['cpu_seconds']:.1f} s; parsing runs in the "
                      f"worker process, not counted here)")
            _print_failures(label, p)
        if res.get("warmup_error"):
            print(f"  parser warm-up failed: {res['warmup_error']}")
        if res.get("log_warnings"):
            print(f"  first warnings in its log ({res['log_lines']} lines):")
            for ln in res["log_warnings"]:
                print(f"    | {ln[:200]}")
    print()
    print("\n".join(sweep_lines))


if __name__ == "__main__":
    main()
