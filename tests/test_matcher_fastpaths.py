"""The matcher's lowercase fast paths must give exactly what the plain regexes give.

Hand-written literal lists (rule start literals, veto/AI prefilter literals) are checked
here against ``finditer``/``search`` on many texts: the dev corpus when present, stock
headlines, and case/spacing variants of both.
"""

from __future__ import annotations

import importlib
import json
import random
from pathlib import Path

import pytest

from bot.matcher import ai, events, rounds
from bot.matcher.tokens import safe_lower, word_set
from tests.matcher_refs import find_iter, first_match, positions

classify = importlib.import_module("bot.matcher.classify")  # the package re-exports a function by that name
_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev.jsonl"

_STOCK = [
    "Acme raises $30M Series B led by Sequoia Capital",
    "OpenAI partners with Microsoft on AI supercomputers; inks $10 billion compute deal",
    "Google to acquire Wiz in $32B deal, its biggest acquisition ever",
    "Anthropic is in talks to raise at a $60B valuation, sources say",
    "Amazon invests $4B in Anthropic and will invest more into AWS chips",
    "Nvidia leads $1.2 billion Series C in Mistral; co-leads seed for Foo",
    "Meta signs multi-year licensing agreement with Reuters for chatbot news",
    "Microsoft ends partnership with OpenAI, suspends access, scraps deal",
    "Stability AI nabs $101M, picks up new investors, hauls in fresh capital",
    "Startup seeks $5M in seed funding; is raising a new round; now raising $2M",
    "xAI hits $50B valuation, reaches unicorn status, valued at $1B post-money valuation",
    "Save up to 60% on tickets: last chance to register now for Disrupt 2025",
    "Startup files to go public in IPO; pre-IPO round closes; S-1 shows losses",
    "VC firm closes $500M third fund; grants and prizes for AI fellowships",
    "How to raise a seed round: tips for founders",
    "Authors sue OpenAI; class action lawsuit verdict expected",
    "US and UK reach trade deal; ceasefire talks; plea deal",
    "DeepMind's Gemini, ChatGPT, GPT-4o, Claude, Llama 3 and A.I. agents; GenAI and LLMs on GPUs",
    "Machine-learning, deep learning, large language models, foundation model, frontier models",
    "Self-driving robotaxis, humanoid robots, robotics, computer vision, facial recognition",
    "Speech recognition, voice cloning, deepfakes, inference chips, intelligent agents",
    "Data centers for AI; autonomous vehicles; superintelligence; Midjourney; Stable Diffusion",
    "Acme, which was acquired by Foo in 2019, didn't raise $5M; never secured backing",
    "Debt financing, credit facility, growth round, bridge loan, strategic investment",
    "Series A-2 extension for Bar; pre-seed funding; seed capital; loan facility",
    "Foo announces strategic partnership; in partnership with Bar; enters into partnership",
    "Baz forges deal, clinches pact, renegotiates contract, finalizes agreement, restores ties",
    "Qux takes over Zed, snaps up Wib, scoops up Vex, swallows Pod, absorbs Nib",
    "Content, distribution, cloud, chip, GPU, API and defense contracts with the Pentagon",
    "Foo pours $1B into Bar; puts $2B in Baz; tie-up with Qux; alliance with Zed",
    "İstanbul startup ſeed round with Kelvin K; Straße deal; café partnership",
    "Foo exits Bar deal; quits the pact; backs out of its contract; abandoned the alliance",
    "Zed eyes $3B valuation, targeting a $4B+ post-money valuation; eyeing $2B valuation",
    "Qux lands investment from Wib; backing from Vex; line of credit and credit line",
    "Pod and Nib's chip deal; Foo and Bar Labs' partnership; deal to maybe buy Baz, offer to quickly acquire Zed",
    "Foo ropes in Bar, roped in Baz, enlists Qux; to acquire 49 percent of Vex; buys 20% stake in Wib",
    "Foo and Bar to merge; plans to merge with Baz; to merge operations; wants to merge ideas",
    "Foo and Bar sign strategic alliance; struck an alliance; entered a consortium; teams with Baz",
    "Foo selects Bar as its preferred cloud provider; picks Baz to power Qux; partners Vex to build",
    "Foo reels in $5M; scoops $3M; scooped up Bar",
    "Foo signs on as Bar's AI infrastructure partner; Baz tapped by Qux to build; as\tVex's partner",
    "Foo is open to partnerships with Bar; revenue hits $1B; nears $2B valuation; Open To deals",
    "It follows Foo's 2023 partnership with Bar; the 1999 deal; Followed by its 2021 acquisition",
    "Foo has agreed to supply chips to Bar; Agrees To License; Foo in talks with Bar over search; "
    "held talks with Baz; opens early talks with Qux; Holds Talks With Vex; buys itself time",
    "Welcoming Foo to the Bar family; Baz joins the Qux AI family; welcomed Vex Labs To The Wib Family",
    "Cabinet approves ₹500 crore funding; Government Earmarks $2B; led by M12, Foo's Venture Fund",
    "Foo paused talks with Bar; Resumed Talks With Baz; broke off talks with Qux; ended talks with Vex",
    "Banks need to merge; should partner with Foo; backs California's SB 53; Backs Bill; "
    "partners with doctors; SAR 140 Million; KRW 5 billion; BRL 20m; AED 1bn",
    "Foo to purchase Bar; will purchase Baz; acquires 100 million new users; Foo to supply chips to "
    "Bar; will supply; partners in every lesson; partners in the UK; Foo and Bar agree to build",
    "S$15m for Singapore's Foo to expand; $5M in funding for Bar; EU opens funding call; Calls for Proposals",
    "Foo will come preinstalled on Bar; ships bundled with Baz; to take Foo private; Took Bar Labs Private; "
    "becomes Foo's largest shareholder; in early discussions with investors; widens Foo pact; "
    "lawsuit over the Foo-Bar partnership; Foo and Bar merge to grow; NIS 90 million",
    "Foo wins AI chip order from Bar; signs executive order; talks stall; Talks Broke Down; "
    "Foo Lines Up $5 Billion of Debt; Head of Partnerships; talent acquisition; Form JV",
    "Foo is close to a deal with Bar; closing in on an agreement; $4.6bn take-private of Baz; "
    "Foo hires Bar's founders and staff; Foo, Bar to build; deal to settle lawsuit",
    "Foo names Bar its primary training partner; Names Baz As Its Partner; unsolicited offer for Qux; "
    "Hostile Bid; emerges from stealth with $28M; Launches With $5M; sets up 50-50 venture; "
    "walks away from Foo collaboration; doesn't need a mega-merger; Foo-Bar cloud pact",
]


def _texts() -> list[str]:
    texts = list(_STOCK)
    if _CORPUS.is_file():
        for line in _CORPUS.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                texts.append(rec["title"])
                if rec.get("summary"):
                    texts.append(rec["summary"])
    rng = random.Random(7)
    variants = []
    for t in texts:
        variants.append(t.upper())
        variants.append(t.title())
        variants.append("".join(c.upper() if rng.random() < 0.3 else c for c in t))
    return texts + variants


TEXTS = _texts()


def _spans(ms):  # type: ignore[no-untyped-def]
    return [(m.start(), m.end(), m.group()) for m in ms]


@pytest.mark.parametrize("signal", sorted(events._RULE_STARTS))
def test_rule_start_literals_cover_every_match(signal: str) -> None:
    rule = next(r for r in events.RULES if r.signal == signal)
    for t in TEXTS:
        low = safe_lower(t)
        if low is None:
            continue
        fast = find_iter(rule.regex, t, positions(low, events._RULE_STARTS[signal]))
        assert _spans(fast) == _spans(rule.regex.finditer(t)), t


def test_ai_fast_paths() -> None:
    for t in TEXTS:
        low = safe_lower(t)
        assert ai.ai_phrase_low(t, low) == ai.ai_phrase(t), t
        a, b = ai.ai_keyword_low(t, low), ai.ai_keyword(t)
        assert (a and (a.start(), a.end())) == (b and (b.start(), b.end())), t


def test_round_prefilters() -> None:
    for t in TEXTS:
        low = safe_lower(t)
        assert rounds.find_round(t, low) == rounds.find_round(t), t
        if low is None:
            continue
        r = rounds._ROUND.search(t)
        f = first_match(rounds._ROUND, t, positions(low, rounds.ROUND_STARTS))
        assert (r and r.span()) == (f and f.span()), t


def test_background_prefilter() -> None:
    for t in TEXTS:
        low = safe_lower(t)
        for end in range(0, len(t) + 1, 3):
            want = events.BACKGROUND_BEFORE.search(t, max(0, end - 40), end) is not None
            assert events._background(t, low, end) == want, (t, end)


def _word_set_reference(text: str) -> frozenset[str]:
    out: set[str] = set()
    for w in text.lower().replace("-", " ").replace("/", " ").split():
        w = w.strip(".,;:!?()[]{}\"'’‘“”«»*…")
        if w.endswith(("'s", "’s")):
            w = w[:-2]
        if w:
            out.add(w)
    return frozenset(out)


def test_word_set_matches_reference() -> None:
    extra = ["'s", "it's's", "(a.i.)", "OpenAI’s’", "x/y-z", "“quoted”'s", "…", "AI's."]
    for t in TEXTS + extra:
        assert word_set(t) == _word_set_reference(t), t


def test_safe_lower_keeps_offsets() -> None:
    for t in TEXTS:
        low = safe_lower(t)
        if low is not None:
            assert len(low) == len(t)
    assert safe_lower("İstanbul") is None and safe_lower("ſeed") is None


def test_ai_phrase_substrings_cover_every_alternative() -> None:
    # ai_phrase_low skips the regex unless the lowercase copy holds one of _AI_PHRASE_SUBS.
    phrases = [
        "artificial intelligence", "ARTIFICIAL Intelligence", "machine learning",
        "machine-learning", "Deep-Learning", "deep learning", "language models",
        "Large Language Model", "foundation model", "FRONTIER MODEL", "chatbot", "chat bot",
        "ChatBots", "self-driving", "Self-Driving", "autonomous vehicle", "Autonomous driving",
        "autonomous trucks", "autonomous car", "autonomous agents", "computer vision",
        "face recognition", "Facial Recognition", "speech recognition", "voice cloning",
        "Voice assistant", "stable diffusion", "Stable Diffusion",
    ]
    for p in phrases:
        for t in (p, f"x{p}y", f"The {p}, again", f"({p})"):
            assert ai.ai_phrase(t), t
            assert ai.ai_phrase_low(t, safe_lower(t)), t
    for t in TEXTS + ["a model", "chatty", "voice", "autonomous", "Vision Pro", "Driving test"]:
        assert ai.ai_phrase_low(t, safe_lower(t)) == ai.ai_phrase(t), t
