"""Routing cost: 1,000 stories against 10 and against 10,000 subscriptions, same run.

    python bench/route.py [--stories 1000] [--seed 1]

Stories: the dev corpus (../shared/corpus/dev.jsonl) run through the matcher,
repeated to --stories; when the corpus is absent, synthetic headlines from the
watchlist. Subscriptions: generated from the watchlist and topic words in the
proportions printed below (what users of such a bot write: company names,
"company + event", topics, a few event/amount-only and NOT filters).
Target: the 10,000 case costs less than 10x the 10 case.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.matcher import Matcher, load_watchlist  # noqa: E402
from bot.route import Router, watchlist_resolver  # noqa: E402
from bot.store.store import Subscription  # noqa: E402
from bot.types import Match, Story  # noqa: E402

T0 = datetime(2026, 11, 1, tzinfo=UTC)
TOPICS = ["robotics", "chips", '"data center"', "healthcare", "defense", "agents", "europe",
          "india", "open source", "compute", "cloud", "autonomous", "biotech", "security"]
MIX = [  # (share, template)
    (0.45, "{c}"),
    (0.20, "{c} OR {c2}"),
    (0.15, "event:{e} {c}"),
    (0.10, "{t}"),
    (0.05, "{t} event:{e}"),
    (0.03, "event:{e} amount>={a}"),
    (0.015, "{c} NOT lawsuit"),
    (0.005, "NOT lawsuit"),
]


def make_queries(n: int, names: list[str], rng: random.Random) -> list[str]:
    out = []
    for _ in range(n):
        r, acc = rng.random(), 0.0
        for share, template in MIX:
            acc += share
            if r <= acc:
                break
        out.append(
            template.format(
                c=f'"{rng.choice(names)}"', c2=f'"{rng.choice(names)}"', t=rng.choice(TOPICS),
                e=rng.choice(["funding", "partnership"]), a=rng.choice(["50M", "100M", "1B"]),
            )
        )
    return out


def load_stories(n: int, matcher: Matcher, names: list[str], rng: random.Random) -> tuple[list[tuple[Story, Match]], str]:
    corpus = REPO.parent / "shared" / "corpus" / "dev.jsonl"
    base: list[tuple[Story, Match]] = []
    if corpus.is_file():
        origin = str(corpus)
        for line in corpus.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            st = Story("dev", rec["id"], "", rec["title"], rec.get("summary") or "", T0)
            base.append((st, matcher.classify(st)))
    else:
        origin = "synthetic (corpus absent)"
        for i in range(600):
            a, b = rng.sample(names, 2)
            st = Story("syn", str(i), "", rng.choice([f"{a} partners with {b}", f"{a} raises $40 million led by {b}", f"{a} launches a model"]), "", T0)
            base.append((st, matcher.classify(st)))
    return [base[i % len(base)] for i in range(n)], origin


def time_routing(router: Router, stories: list[tuple[Story, Match]], repeat: int = 3) -> tuple[float, int]:
    best, deliveries = float("inf"), 0
    for _ in range(repeat):
        t = time.perf_counter()
        deliveries = sum(len(router.route(s, m)) for s, m in stories)
        best = min(best, time.perf_counter() - t)
    return best, deliveries


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stories", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    wl = load_watchlist(REPO / "config" / "watchlist.toml")
    names = list(wl.names())
    stories, origin = load_stories(args.stories, Matcher(wl), names, rng)
    resolver = watchlist_resolver(wl)
    print(f"stories: {len(stories)} from {origin}")
    print("subscription mix: " + ", ".join(f"{int(s * 1000) / 10}% {t}" for s, t in MIX))
    results = {}
    for n in (10, 10_000):
        queries = make_queries(n, names, rng)
        subs = [Subscription(i, f"slack:C{i}", q, "instant", "chat", None, T0) for i, q in enumerate(queries)]
        t0 = time.perf_counter()
        router = Router.build(subs, resolver)
        build = time.perf_counter() - t0
        secs, deliveries = time_routing(router, stories)
        results[n] = secs
        full = None
        if n == 10_000:
            t1 = time.perf_counter()
            sample = stories[:100]
            for s, m in sample:
                router.route_all(s, m)
            full = (time.perf_counter() - t1) * len(stories) / len(sample)
        print(
            f"{n:>6} subscriptions ({len(router.queries)} distinct queries, {len(router.always)} unanchored): "
            f"build {build * 1000:.1f} ms, route {secs * 1000:.1f} ms = {secs / len(stories) * 1e6:.1f} us/story, "
            f"{deliveries} deliveries"
            + (f"; evaluating every query instead: {full * 1000:.0f} ms" if full else "")
        )
    ratio = results[10_000] / results[10]
    print(f"ratio 10,000 / 10: {ratio:.2f}x (target < 10x): {'MET' if ratio < 10 else 'MISSED'}")


if __name__ == "__main__":
    main()
