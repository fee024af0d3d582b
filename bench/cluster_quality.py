"""Pairwise quality of same-event clustering on the labelled clusters corpus.

    python bench/cluster_quality.py [--shared DIR] [--holdout | --all] [--errors N]

Reads ``<shared>/corpus/clusters/{records,clusters,negatives}.jsonl`` (default
``<repo>/../shared``), runs the matcher and :func:`bot.cluster.cluster_stories` on
every record (as the bot would see the stream), then scores pairs as the corpus
README defines: a pair inside one labelled group is positive; a listed negative
pair or two records from different groups is negative.  Precision is over the
pairs we put together among those; recall is the share of positives we put together.

Groups are split in two halves by a hash of the group name: tune on ``dev``
(default), look at ``--holdout`` only to check that the rules generalise.
A naive baseline (same normalised title or same link) is scored in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.cluster import cluster_stories  # noqa: E402
from bot.types import Match, Story  # noqa: E402

DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"
Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    ids: tuple[str, ...]
    event: str
    kind: str  # cross-outlet / same-outlet / aggregator


@dataclass(frozen=True, slots=True)
class Corpus:
    records: dict[str, dict[str, object]]
    groups: tuple[Group, ...]
    negatives: tuple[Pair, ...]


def corpus_dir(shared: Path) -> Path:
    return shared / "corpus" / "clusters"


def _jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_corpus(shared: Path) -> Corpus:
    d = corpus_dir(shared)
    records = {str(r["id"]): r for r in _jsonl(d / "records.jsonl")}
    groups = tuple(
        Group(str(g["cluster"]), tuple(str(i) for i in g["ids"]),  # type: ignore[attr-defined]
              str(g["event"]), _kind(str(g["kind"])))
        for g in _jsonl(d / "clusters.jsonl")
    )
    negs = tuple(_pair(str(n["a"]), str(n["b"])) for n in _jsonl(d / "negatives.jsonl"))
    return Corpus(records, groups, negs)


def _kind(kind: str) -> str:
    return "aggregator" if kind.startswith("aggregator") else kind


def _pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def half_of(name: str) -> str:
    """'dev' or 'holdout', fixed by the group name (stable across runs and machines)."""
    return "dev" if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else "holdout"


def to_story(r: dict[str, object]) -> Story:
    raw = str(r.get("published") or "1970-01-01T00:00:00")
    published = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    rid = str(r["id"])
    return Story(
        source=str(r.get("source") or ""),
        key=rid,
        url=str(r.get("link") or ""),
        title=str(r.get("title") or ""),
        summary=str(r.get("summary") or ""),
        published=published,
        id=rid,
    )


# --------------------------------------------------------------------------- scoring
@dataclass
class PRF:
    tp: int = 0  # positive pairs put together
    fp: int = 0  # negative pairs put together
    pos: int = 0  # positive pairs

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.pos if self.pos else 1.0

    def line(self, label: str) -> str:
        return (f"  {label:<24} P={self.precision:6.3f}  R={self.recall:6.3f}  "
                f"(tp={self.tp} fp={self.fp} pos={self.pos})")


@dataclass
class Scores:
    overall: PRF = field(default_factory=PRF)
    by_kind: dict[str, PRF] = field(default_factory=dict)
    by_event: dict[str, PRF] = field(default_factory=dict)
    false_pos: list[Pair] = field(default_factory=list)
    false_neg: list[Pair] = field(default_factory=list)


def labelled_pairs(corpus: Corpus, half: str | None) -> tuple[dict[Pair, Group], dict[Pair, Group | None]]:
    """(positive pairs -> their group, negative pairs -> a group they touch or None)."""
    groups = [g for g in corpus.groups if half is None or half_of(g.name) == half]
    owner = {i: g for g in groups for i in g.ids}
    pos = {_pair(a, b): g for g in groups for a, b in itertools.combinations(g.ids, 2)}
    neg: dict[Pair, Group | None] = {}
    for a, b in itertools.combinations(sorted(owner), 2):
        if owner[a] is not owner[b]:
            neg[(a, b)] = owner[a]
    all_owner = {i: g for g in corpus.groups for i in g.ids}
    for a, b in corpus.negatives:
        touching = [all_owner[x] for x in (a, b) if x in all_owner]
        in_half = [g for g in touching if g in groups]
        if half is None or in_half or (not touching and half_of(a + b) == half):
            neg[(a, b)] = in_half[0] if in_half else None
    return pos, neg


def score(assignment: dict[str, str], corpus: Corpus, half: str | None) -> Scores:
    pos, neg = labelled_pairs(corpus, half)
    s = Scores()

    def bucket(g: Group | None) -> list[PRF]:
        if g is None:
            return [s.overall]
        return [s.overall, s.by_kind.setdefault(g.kind, PRF()), s.by_event.setdefault(g.event, PRF())]

    for (a, b), g in sorted(pos.items()):
        together = assignment.get(a) is not None and assignment.get(a) == assignment.get(b)
        for prf in bucket(g):
            prf.pos += 1
            prf.tp += together
        if not together:
            s.false_neg.append((a, b))
    for (a, b), g in sorted(neg.items()):
        if assignment.get(a) is not None and assignment.get(a) == assignment.get(b):
            for prf in bucket(g):
                prf.fp += 1
            s.false_pos.append((a, b))
    return s


# --------------------------------------------------------------------------- clustering
def baseline(corpus: Corpus) -> dict[str, str]:
    """Naive: identical normalised title, or identical link."""
    first: dict[str, str] = {}
    out: dict[str, str] = {}
    for rid, r in sorted(corpus.records.items()):
        keys = [" ".join(str(r.get("title") or "").lower().split()), "link:" + str(r.get("link") or "")]
        cid = next((first[k] for k in keys if k in first and k != "link:"), rid)
        for k in keys:
            first.setdefault(k, cid)
        out[rid] = cid
    return out


def ours(corpus: Corpus, classify: Callable[[Story], Match]) -> tuple[dict[str, str], float]:
    items = [(rid, story, classify(story)) for rid, story in
             ((rid, to_story(r)) for rid, r in corpus.records.items())]
    t0 = time.perf_counter()
    assignment = cluster_stories(items)
    return assignment, time.perf_counter() - t0


def report(name: str, s: Scores, out: Iterable[str] | None = None) -> list[str]:
    lines = [f"{name}:", s.overall.line("overall")]
    lines += [s.by_kind[k].line("kind=" + k) for k in sorted(s.by_kind)]
    lines += [s.by_event[k].line("event=" + k) for k in sorted(s.by_event)]
    return lines


def _show(pairs: Sequence[Pair], corpus: Corpus, assignment: dict[str, str], label: str, n: int) -> None:
    for a, b in pairs[:n]:
        ra, rb = corpus.records[a], corpus.records[b]
        print(f"  {label} {a}[{assignment.get(a)}] {str(ra['published'])[:10]} {str(ra['title'])[:80]}")
        print(f"     {b}[{assignment.get(b)}] {str(rb['published'])[:10]} {str(rb['title'])[:80]}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared directory")
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--holdout", action="store_true", help="score the held-out half of groups")
    which.add_argument("--all", action="store_true", help="score every group")
    ap.add_argument("--errors", type=int, default=0, help="print up to N false pairs of each kind")
    args = ap.parse_args(argv)

    d = corpus_dir(args.shared)
    if not (d / "records.jsonl").is_file():
        print(f"clusters corpus not found at {d} (pass --shared DIR)", file=sys.stderr)
        return 2
    corpus = load_corpus(args.shared)
    half = None if args.all else ("holdout" if args.holdout else "dev")

    from bot.matcher import default_matcher

    matcher = default_matcher()
    assignment, seconds = ours(corpus, matcher.classify)
    mine = score(assignment, corpus, half)
    base = score(baseline(corpus), corpus, half)
    print(f"records={len(corpus.records)} groups={len(corpus.groups)} half={half or 'all'} "
          f"clusters={len(set(assignment.values()))} clustering={seconds * 1000:.0f} ms")
    print("\n".join(report("bot.cluster", mine)))
    print("\n".join(report("baseline (same title or link)", base)))
    if args.errors:
        _show(mine.false_pos, corpus, assignment, "FP", args.errors)
        _show(mine.false_neg, corpus, assignment, "FN", args.errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
