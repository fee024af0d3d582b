"""The stories the native parity tests compare on (shared by tests/test_native_*.py).

Our own written sets (``bench/data/written_*.jsonl``, committed) always; the labelled corpus
and the clusters corpus from ``../shared/corpus`` when that is present (publishers own that
text: it is read in place, never copied).
"""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def shared_corpus() -> Path | None:
    """``../shared/corpus`` beside the repository, or beside the main checkout when this
    is a git worktree; None when absent."""
    cands = [ROOT.parent / "shared" / "corpus"]
    try:
        common = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--git-common-dir"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
        if common:
            cands.append((ROOT / common).resolve().parent.parent / "shared" / "corpus")
    except (OSError, subprocess.SubprocessError):
        pass
    return next((c for c in cands if c.is_dir()), None)


def read_jsonl(path: Path) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rec = json.loads(line)
                if isinstance(rec, dict):
                    out.append(rec)
    return out


def _pairs(records: list[dict[str, object]]) -> list[tuple[str, str]]:
    out = []
    for r in records:
        title, summary = r.get("title"), r.get("summary") or ""
        if isinstance(title, str) and isinstance(summary, str):
            out.append((title, summary))
    return out


@lru_cache(maxsize=2)
def stories(shared: bool) -> tuple[tuple[str, str], ...]:
    """(title, summary) pairs: the written sets (``shared=False``) or the shared corpus's
    labelled and clusters stories (``shared=True``; empty when absent)."""
    out: list[tuple[str, str]] = []
    if not shared:
        for p in sorted((ROOT / "bench" / "data").glob("written_*.jsonl")):
            out += _pairs(read_jsonl(p))
        return tuple(out)
    d = shared_corpus()
    if d is None:
        return ()
    if (d / "dev.jsonl").is_file():
        out += _pairs(read_jsonl(d / "dev.jsonl"))
    if (d / "clusters").is_dir():
        for p in sorted((d / "clusters").glob("*.jsonl")):
            out += _pairs(read_jsonl(p))
    return tuple(out)


def field_texts(shared: bool) -> list[str]:
    """Every non-empty title and summary of ``stories(shared)``."""
    return [x for pair in stories(shared) for x in pair if x]


def corpus_note() -> str:
    d = shared_corpus()
    return f"shared corpus at {d}" if d else "shared corpus absent: written sets and own sentences only"
