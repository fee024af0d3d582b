"""The single-pass scans must give exactly what the plain regexes give.

Word-start scanners (tokens.word_start_scanner) replace per-literal ``str.find`` loops,
the amount scan jumps between digit runs, and the word set is built by C-level string
operations; each is checked here against the straightforward version on many texts.
"""

from __future__ import annotations

import random
import re

import pytest

from bot.matcher import amounts, events, names, rounds
from bot.matcher.tokens import safe_lower, words_of_lower
from tests.matcher_refs import find_iter
from tests.test_matcher_fastpaths import TEXTS, _spans, _word_set_reference


def _fuzz(alphabet: list[str], n: int, seed: int, max_len: int = 12) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(max_len))) for _ in range(n)]


@pytest.mark.parametrize("signal", sorted(events._RULE_SCAN))
def test_rule_scanners_find_every_match(signal: str) -> None:
    rule = next(r for r in events.RULES if r.signal == signal)
    scan = events._RULE_SCAN[signal]
    for t in TEXTS:
        low = safe_lower(t)
        if low is None:
            continue
        starts = [m.start() for m in scan.finditer(" " + low)]
        assert _spans(find_iter(rule.regex, t, starts)) == _spans(rule.regex.finditer(t)), t


def test_words_of_lower_matches_reference() -> None:
    extra = _fuzz(list("abAI's’ -/.,()\"“”…*x\u00a0\u2028\t\x1c") + ["'s", "’s"], 20_000, 3)
    for t in TEXTS + extra:
        assert words_of_lower(t.lower()) == set(_word_set_reference(t)), repr(t)


def _amount_tuples(hits):  # type: ignore[no-untyped-def]
    return [(a.start, a.end, a.value, a.currency, a.scaled, a.valuation) for a in hits]


def test_amount_scan_matches_plain_finditer() -> None:
    extra = _fuzz(
        list("0123456789 $€£¥₹.,+-kKmMbB")
        + ["US$", "U.S.$", "USD", "Rs.", "Rs", "CHF", "million", "bn", " dollars", " crore", "٣", "x"],
        30_000, 5,
    )
    for t in TEXTS + extra:
        plain = [h for m in amounts._AMOUNT.finditer(t)
                 if (h := amounts._hit(t, m, m.start(), m.end())) is not None]
        want = plain if amounts._has_digit(t) else []
        assert _amount_tuples(amounts.find_amounts(t)) == _amount_tuples(want), repr(t)


def test_amount_tries_match_the_longest_first_alternations() -> None:
    import re

    def plain(words: list[str]) -> str:
        return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

    body = amounts._AMOUNT_BODY
    for table in (amounts._PREFIX, amounts._SCALE, amounts._SUFFIX):
        assert len({w.lower() for w in table}) == len(table)  # no two differ only in case
        trie = amounts._alt(list(table))
        assert body.count(trie) == 1
        body = body.replace(trie, plain(list(table)))
    rx = re.compile(body, re.VERBOSE | re.IGNORECASE)
    pieces = [*amounts._PREFIX, *amounts._SCALE, *amounts._SUFFIX, "US", "Rs", "1", "25", ".5",
              ",000", " ", "-", "+", "x", "\u017f", "\u212a"]
    extra = _fuzz(pieces + [p.upper() for p in pieces], 30_000, 19, 8)
    for t in TEXTS + extra:
        assert [(m.span(), m.groupdict()) for m in amounts._AMOUNT.finditer(t)] == [
            (m.span(), m.groupdict()) for m in rx.finditer(t)], repr(t)


def test_valuation_prefilter_on_the_lowercase_copy() -> None:
    pieces = ["valued at ", "valuing it at ", "values it at ", "valuation", "Valuation", "company",
              "market cap", "market value", "post-money ", "(pre) ", "dollar ", "$5M", "$2 billion",
              "about ", " ", "-", "+", "x", "VALUED AT ", "Market Cap"]
    extra = _fuzz(pieces, 5_000, 23, 8)
    for t in TEXTS + extra:
        low = safe_lower(t)
        if low is None:
            continue
        for start in range(0, len(t) + 1, 3):
            for end in (start, start + 2, start + 5):
                assert amounts._is_valuation(t, start, end, low) == amounts._is_valuation(
                    t, start, end), (t, start, end)


def test_runs_split_matches_token_walk() -> None:
    # _pieces reads tokens with str.split; the regex walk it replaced used \S+.
    import re

    for t in TEXTS:
        for m in names._RUN.finditer(t):
            chunk = m.group()
            assert chunk.split() == re.findall(r"\S+", chunk)
            pos = 0
            for tm in re.finditer(r"\S+", chunk):
                assert tm.start() == pos
                pos = tm.end() + 1


def test_fast_constructors_build_equal_values() -> None:
    import importlib

    from bot.types import Evidence, Match

    classify = importlib.import_module("bot.matcher.classify")
    ev = classify._evidence("amount", "title", 1, 4, "$5M")
    assert ev == Evidence("amount", "title", 1, 4, "$5M") and type(ev) is Evidence
    m = classify._match(True, ("funding",), ("Acme",), None, "seed", 0.85, (ev,), ("amount",))
    want = Match(ai=True, events=("funding",), parties=("Acme",), amount=None, round="seed",
                 confidence=0.85, evidence=(ev,), signals=("amount",))
    assert m == want and repr(m) == repr(want) and hash(m) == hash(want) and type(m) is Match
    with pytest.raises(AttributeError):
        m.ai = False  # type: ignore[misc]


def test_title_veto_scan_matches_plain_search() -> None:
    import importlib

    from bot.matcher.watchlist import Watchlist

    classify = importlib.import_module("bot.matcher.classify")
    wl = Watchlist()
    extra = ["Get 50% off today", "$20 off tickets", "save big at Disrupt 2025", "A new $500M fund",
             "VC closes third fund, funding startups", "$1.2B growth funds", "Fund-raising", "FUNDS",
             "How to get the deal: how to raise", "Acme files to go public after pre-IPO round"]
    # Veto literals and their neighbours glued in random order: overlapping and nested
    # literals ("how to" / "how to get the deal"), word starts after digits and punctuation.
    pieces = [lit for lits in classify._VETO_STARTS.values() for lit in lits]
    pieces += ["IPO", "IPOs", "pre-", "pre ", "Funds", "fund ", "new ", "$5M ", "raise", "deal",
               "Disrupt ", "2025", " ", "-", ".", "x", "A", "\u0130", "\u212a", "Series A ", "round",
               "pre-seed ", "seeds", "50% off", "$5 off", " off", "%", "offer"]
    extra += _fuzz(pieces + [p.upper() for p in pieces] + [p.title() for p in pieces], 20_000, 11, 8)
    for t in TEXTS + extra:
        view = classify._FieldView("title", t, wl)
        want = {key for key, rx in classify._VETO_REGEX.items() if rx.search(view.text)}
        found, round_starts = classify._title_vetoes(view)
        assert found == want, t
        if view.low is not None:
            # The round literals' offsets: what find_round's own scan would try.
            assert round_starts == [m.start() for m in rounds._ROUND_SCAN.finditer(" " + view.low)]
            assert rounds.find_round(t, view.low, round_starts) == rounds.find_round(t), t


@pytest.mark.parametrize("signal", sorted(events._RULE_PRE))
def test_rule_prefilters_are_necessary(signal: str) -> None:
    rule = next(r for r in events.RULES if r.signal == signal)
    rx, on_low, _ = events._RULE_PRE[signal]
    extra = ["Acme-Foo deal", "10-year deal with Bar", "$5M round", "5 million dollars round",
             "A 10-YEAR PACT", "NEW DEAL", "Fresh  deal", "(new) agreement", "x-y Acme-Foo deal",
             "U.S.$ 5M funding from Acme", "Rs. 500 crore round", "USD 12 million seed round",
             "12,500,000 dollars funding", "OpenAI-Microsoft\tpartnership", "a-b\u00a0Foo-Bar pact"]
    for t in TEXTS + extra:
        matches = list(rule.regex.finditer(t))
        if not matches:
            continue
        back = events._RULE_PRE[signal][2]
        if back is not None:
            at = rx.search(t).start()
            pos = t.rfind(" ", 0, at) + 1 if back < 0 else max(0, at - back)
            assert _spans(rule.regex.finditer(t, pos)) == _spans(matches), t
        if on_low:
            low = safe_lower(t)
            if low is not None:
                assert rx.search(" " + low), t
        else:
            assert rx.search(t), t


def test_watchlist_scan_matches_word_boundary_trie() -> None:
    import re

    from bot.matcher import default_watchlist_path, load_watchlist
    from bot.matcher.tokens import trie_pattern
    from bot.matcher.watchlist import _WORD

    wl = load_watchlist(default_watchlist_path())
    plain = re.compile(rf"\b(?:{trie_pattern(list(wl._by_spelling))})(?![{_WORD}]|[.&]\w)")
    names = list(wl._by_spelling)
    rng = random.Random(13)
    extra = [" ".join(rng.choice(names + ["x", "the", "AI", "Inc.", "&", "-", "_", "9"])
                      for _ in range(rng.randrange(6))) for _ in range(5000)]
    for t in TEXTS + extra + ["xOpenAI", "OpenAI_", "_OpenAI", "OpenAI.com", "Meta&Co"]:
        assert [(m.span(), m.group()) for m in wl._regex.finditer(t)] == [
            (m.span(), m.group()) for m in plain.finditer(t)], t


def test_plain_texts_need_no_normalisation() -> None:
    from bot.matcher.normalize import is_plain, normalize

    odd = ["İstanbul ’quoted’", "Kelvin \u212a – dash", "ſeed “x”", "e\u0301 café", "Open\u200bAI’s",
           "ﬁnance ’", "Ａ full width", "ı dotless"]
    for t in TEXTS + odd:
        normalize(t)  # learns the characters it sees
    for t in TEXTS + odd:
        if is_plain(t):
            n = normalize(t)
            assert n.text == t and n.segments is None, repr(t)
            assert safe_lower(t) == t.lower(), repr(t)
    assert not is_plain("İstanbul") and not is_plain("Kelvin \u212a") and not is_plain("Open\u200bAI")


def test_word_bits_answer_the_word_set_questions() -> None:
    # One table lookup pass (tokens.word_bits) replaces the word set and its intersections
    # with the gate words, money words, AI words and AI-first first words.
    import importlib
    from functools import reduce
    from operator import or_

    from bot.matcher import default_watchlist_path, load_watchlist
    from bot.matcher.ai import AI_WORDS
    from bot.matcher.tokens import MONEY_WORDS, word_bits, word_set

    classify = importlib.import_module("bot.matcher.classify")
    m = classify.Matcher(load_watchlist(default_watchlist_path()))
    ai_first = {w for w in m._vocab
                if m._vocab[w] & classify._AI_FIRST_BIT and not w.endswith(("'s", "’s"))}
    want_ai_first = {
        w for e in m.watchlist.entries if e.ai_first for s in e.spellings()
        for w in word_set(s.split()[0])
    }
    assert ai_first <= want_ai_first and "openai" in ai_first
    vocab = sorted(m._vocab)
    rng = random.Random(17)
    extra = [" ".join(rng.choice(vocab + ["x", "'s", "(", "”", "-", "/", "…", "AI’s", "A.I."])
                      for _ in range(rng.randrange(8))) for _ in range(5000)]
    extra += _fuzz(list("aiml'’s -/.,()\"“”…*x\u00a0\t") + ["'s", "ai", "ml", "deal"], 20_000, 7)
    for t in TEXTS + extra:
        words = words_of_lower(t.lower())
        bits = word_bits(t.lower(), m._vocab)
        assert (bits & classify._MONEY_BIT != 0) == (not words.isdisjoint(MONEY_WORDS)), t
        assert (bits & classify._AI_BIT != 0) == (not words.isdisjoint(AI_WORDS)), t
        assert (bits & classify._AI_FIRST_BIT != 0) == (not words.isdisjoint(ai_first)), t
        gates = reduce(or_, map(events.GATE_WORD_BITS.__getitem__,
                                words & set(events.GATE_WORD_BITS)), 0)
        assert bits & events.GATE_BITS_MASK == gates, t


def test_first_gate_bits_match_the_first_gate_words() -> None:
    for title, first in ((True, events.TITLE_FIRST_BITS), (False, events.SUMMARY_FIRST_BITS)):
        words = frozenset().union(
            *(r.gates[0] for r in events.RULES if not r.money and (title or r.summary)))
        for w, b in events.GATE_WORD_BITS.items():
            assert (b & first != 0) == (w in words), w


def _object_after_reference(slots, pos, *, skip_prep=True, limit=70):  # type: ignore[no-untyped-def]
    # Slots.object_after as first written: slice, skip prepositions, cut at the first stopper.
    from bot.matcher import parties

    region = slots.text[pos : pos + limit]
    if skip_prep:
        m = parties._LEADING_PREP.match(region)
        skipped = ""
        while m and m.end() > 0:
            skipped = m.group()
            region = region[m.end() :]
            pos += m.end()
            m = parties._LEADING_PREP.match(region)
        # "to" before a verb: a purpose clause, no object (parties.Slots.object_after)
        if skipped.strip().lower() == "to" and region[:1].isalpha() \
                and region.split(None, 1)[0].casefold() in names.STOP:
            return None
    stop = parties._STOPPER.search(region)
    end = pos + (stop.start() if stop else len(region))
    for r in slots.runs:
        if r.start < pos:
            continue
        if r.start >= end:
            break
        if names.is_org_like(r.text):
            return r
    return None


def test_object_after_matches_full_region_scan() -> None:
    from bot.matcher.parties import Slots

    extra = ["Acme acquires FOLLOWING Corp", "Foo buys Bar following Baz deal", "Foo - Bar to Baz",
             "Acme partners with Following AI, Beta", "X inks deal with Y because Z"]
    for t in TEXTS[:3000] + extra:
        s = Slots(t, tuple(names.runs(t)))
        for pos in range(0, len(t) + 1, 2):
            for skip_prep, limit in ((True, 70), (True, 40), (False, 40), (False, 30)):
                want = _object_after_reference(s, pos, skip_prep=skip_prep, limit=limit)
                assert s.object_after(pos, skip_prep=skip_prep, limit=limit) == want, (t, pos)


def test_merge_watch_runs_shortcut() -> None:
    import importlib

    from bot.matcher import default_watchlist_path, load_watchlist
    from bot.matcher.names import Run

    classify = importlib.import_module("bot.matcher.classify")
    wl = load_watchlist(default_watchlist_path())

    def reference(text, hits):  # type: ignore[no-untyped-def]
        # (the "A & B" split of two known names is tested in test_matcher_parties)
        base = [p for r in names.runs(text) for p in classify._split_known_pair(r, hits)]
        out = [r for r in base
               if not any(h.start < r.end and r.start < h.end
                          and not (r.start <= h.start and r.end >= h.end
                                   and r.end - r.start > h.end - h.start) for h in hits)]
        covered = [(r.start, r.end) for r in out]
        out += [Run(h.start, h.end, text[h.start:h.end]) for h in hits
                if not any(a <= h.start and h.end <= b for a, b in covered)]
        return sorted(out, key=lambda r: r.start)

    extra = ["OpenAI and Microsoft", "Samsung Electronics America buys Stack AI", "Insight Partners' Foo"]
    for t in TEXTS + extra:
        hits = wl.find_all(t)
        assert classify._merge_watch_runs(t, hits) == reference(t, hits), t


def test_subject_before_single_space_shortcut() -> None:
    # A one-space gap takes a shortcut past _FILLER and the comma checks: same answers.
    from bot.matcher import parties
    from bot.matcher.parties import Slots

    def reference(s, pos):  # type: ignore[no-untyped-def]
        for r in reversed(s.runs):
            if r.end > pos:
                continue
            gap = s.text[r.end : pos]
            if len(gap) > 40 or parties._FILLER.match(gap) is None:
                return None
            if not names.is_org_like(r.text):
                return None
            if gap.strip().startswith(",") or gap.rstrip().endswith(","):
                return s._appositive_owner(r) or r
            return r
        return None

    extra = ["Acme raises", "Acme, an AI startup, raises", "Paris raises", "Foo , Bar raises"]
    for t in TEXTS[:3000] + extra:
        s = Slots(t, tuple(names.runs(t)))
        for pos in range(0, len(t) + 1):
            assert s.subject_before(pos) == reference(s, pos), (t, pos)


def _plain_and_gated_slots(extra: list[str]):  # type: ignore[no-untyped-def]
    """(text, Slots without, Slots with the safe lowercase copy) for the fuzz texts + extra."""
    from bot.matcher.parties import Slots

    for t in TEXTS[:3000] + extra:
        low = safe_lower(t)
        if low is None:
            continue
        runs = tuple(names.runs(t))
        yield t, Slots(t, runs), Slots(t, runs, low)


def test_investors_after_prefilter_on_the_lowercase_copy() -> None:
    # Slots.low lets investors_after skip its regex scan when no intro word follows.
    extra = ["Acme raises $5M led by Foo Ventures", "Acme raises $5M Co-Led By Foo and Bar",
             "Acme gets funding FROM Foo, Bar and Baz", "Acme raises, with participation from Foo",
             "Acme raises; investors include Foo", "Acme raises, JOINED BY Foo", "Acme (backed by Foo)"]
    for t, plain, gated in _plain_and_gated_slots(extra):
        for pos in range(0, len(t) + 1):
            for limit in (90, 40):
                assert gated.investors_after(pos, limit) == plain.investors_after(pos, limit), (t, pos)


def test_investor_sentences_prefilter_on_the_lowercase_copy() -> None:
    from bot.matcher.parties import Slots

    extra = ["Foo and Bar LED THE ROUND.", "Foo Also Participated", "Investors Included Foo",
             "with Foo and Bar co-leading", "Acme was Joined By Foo", "Backers including Foo"]
    for t, plain, gated in _plain_and_gated_slots(extra):
        assert gated.investor_sentences() == plain.investor_sentences(), t
    assert Slots("Acme was Joined By Foo", tuple(names.runs("Acme was Joined By Foo")),
                 "acme was joined by foo").investor_sentences()


def test_party_word_tries_match_the_plain_alternations() -> None:
    # _STOPPER and _BEFORE_BLOCKERS hold their word lists as tries; callers read only the
    # start of a _STOPPER match and whether _BEFORE_BLOCKERS matches.
    import re

    from bot.matcher import parties

    stopper = re.compile(
        r"[,;:!?()—–|]|\s-\s|\b(?:" + "|".join(parties._STOP_WORDS) + r")\b", re.IGNORECASE
    )
    blockers = re.compile(
        r"(?i:\b(?:by|from|after|behind|at|in|of|for|to|like|than|including|from|under|via|"
        r"founded by|backed by|alums?|vets?|veterans?|ex)\s+(?:\S+\s+){0,1}$)"
    )
    pieces = [*parties._STOP_WORDS, *parties._BLOCKERS, "Acme ", "Foo", " ", " - ", ",", "-", "x",
              "s", "ing", "\u017f", "\u212a", "\u0130", "\u0131"]
    extra = _fuzz(pieces + [p.upper() for p in pieces] + [p.title() for p in pieces], 5_000, 29, 8)
    for t in TEXTS[:2000] + extra:
        for pos in range(0, len(t) + 1, 2):
            for end in (pos + 11, pos + 70):
                a, b = parties._STOPPER.search(t, pos, end), stopper.search(t, pos, end)
                assert (a and a.start()) == (b and b.start()), (t, pos, end)
            lo = max(0, pos - 25)
            assert bool(parties._BEFORE_BLOCKERS.search(t, lo, pos)) == bool(
                blockers.search(t, lo, pos)), (t, pos)


def test_has_money_char_matches_regex() -> None:
    from bot.matcher.tokens import MONEY_CHAR_RX, MONEY_CHARS, has_money_char

    extra = _fuzz(list("ab $1.,é’") + list(MONEY_CHARS) + ["\u20ac", "\U0001f600"], 20_000, 11)
    for t in TEXTS + extra + list(MONEY_CHARS):
        assert has_money_char(t) == (MONEY_CHAR_RX.search(t) is not None), repr(t)


def _normalize_reference(original: str):  # type: ignore[no-untyped-def]
    """normalize() as it was: every non-ASCII occurrence handled in turn."""
    from bot.matcher import normalize as nm

    if original.isascii():
        return nm.NormText(original, original)
    edits: list[tuple[int, str]] = []
    for m in nm._NON_ASCII.finditer(original):
        folded = nm._fold_char(m.group())
        if folded is None:
            return nm._normalize_slow(original)
        if folded != m.group():
            edits.append((m.start(), folded))
    if not edits:
        return nm.NormText(original, original)
    return nm._apply_edits(original, edits)


def test_normalize_finds_edits_per_character() -> None:
    # normalize/normalize_unless_plain look up each distinct non-ASCII character once and
    # find the occurrences of folding ones with str.find.
    from bot.matcher.normalize import is_plain, normalize, normalize_unless_plain

    alphabet = list("ab .’“—…\u00a0\u200b\u00ad\ufb01\u2122\u00b2\u0301\u0130\u212a\u017fé") + ["Ａ", "ｘ"]
    for t in TEXTS + _fuzz(alphabet, 20_000, 17):
        want = _normalize_reference(t)
        plain = is_plain(t)
        got = normalize_unless_plain(t)
        if plain:
            assert got is None and want.text == t and want.segments is None, repr(t)
        else:
            assert got == want, repr(t)
        assert normalize(t) == want, repr(t)


def test_word_bits_with_possessives_matches_word_lookup() -> None:
    # word_bits looks tokens up with their trailing "'s" (tokens.with_possessives).
    from bot.matcher.tokens import with_possessives, word_bits

    # Words ending in "'s" ("it's", "b’s") are reached only through "it's's", "b’s’s".
    table = {"ab": 1, "b": 2, "a.b": 4, "it": 8, "s": 16, "ab'": 32, "it's": 64, "b’s": 128}
    full = with_possessives(table)
    extra = _fuzz(list("ab.'’ s,()-/\t") + ["'s", "’s", "it's", "ab's's", "a.b’s", "b’s’s"],
                  30_000, 23)
    for t in TEXTS + extra:
        want = 0
        for w in words_of_lower(t.lower()):
            want |= table.get(w, 0)
        assert word_bits(t.lower(), full) == want, repr(t)


def test_only_prices_loop_matches_plain_version() -> None:
    import importlib

    from bot.matcher.watchlist import Watchlist

    classify = importlib.import_module("bot.matcher.classify")
    wl = Watchlist()
    extra = ["Acme raises $20 a month", "Acme raises $5M and $20", "Acme raises $20 and $5M",
             "Acme raises $299", "Acme raises $5M", "Acme raises funding"]
    for t in TEXTS + extra:
        view = classify._FieldView("title", t, wl)
        for h in view.hits():
            inside = [a for a in view.amounts if h.start <= a.start and a.end <= h.end + 2]
            want = bool(inside) and all(amounts.is_bare_price(a) for a in inside)
            assert classify.Matcher._only_prices(h, view) == want, t


def test_events_of_bits_lists_event_types_in_order() -> None:
    import importlib
    from itertools import combinations

    from bot.types import EVENT_TYPES

    classify = importlib.import_module("bot.matcher.classify")
    for n in range(len(EVENT_TYPES) + 1):
        for found in combinations(EVENT_TYPES, n):
            bits = 0
            for e in found:
                bits |= classify._EVENT_BIT[e]
            assert classify._EVENTS_OF[bits] == tuple(e for e in EVENT_TYPES if e in found)


def test_amount_first_char_lookahead_changes_no_match() -> None:
    import re

    # Currency prefixes, signs, digits and their case and folding variants (under the
    # (?i:...) groups some rules wrap around AMT), glued into amount-like phrases.
    pieces = ["US", "U.S.", "C", "CA", "A", "AU", "NZ", "HK", "S", "R", "MX", "Rs", "Rs.", "USD",
              "EUR", "GBP", "CHF", "SEK", "NOK", "DKK", "INR", "JPY", "CNY", "RMB", "CAD", "AUD",
              "$", "€", "£", "¥", "₹", "₩", "₪", "5", "12", "1,5", ".", "٣", " ", "+", "-", "M", "bn",
              " million", " billion dollars", " crore", " deal", " round", " from Acme", " in",
              " to", "raises ", "invests ", "commits ", "valued at ", "\u017f", "\u0131", "\u0130"]
    extra = _fuzz(pieces + [p.lower() for p in pieces], 20_000, 17, 8)
    for rule in events.RULES:
        if events.AMT not in rule.regex.pattern:
            continue
        plain = re.compile(rule.regex.pattern.replace(events.AMT, f"(?:{events.AMT_PLAIN})"))
        for t in TEXTS + extra:
            assert _spans(rule.regex.finditer(t)) == _spans(plain.finditer(t)), (rule.signal, t)
    plain_next = re.compile(events._AMOUNT_NEXT.pattern.replace(events.AMT, f"(?:{events.AMT_PLAIN})"))
    for t in TEXTS + extra:
        for i in range(0, len(t), 3):
            assert bool(events._AMOUNT_NEXT.match(t, i)) == bool(plain_next.match(t, i)), t


def test_runs_from_cached_chunk_pieces() -> None:
    # runs() keeps each short chunk's pieces (names recur); the plain per-token walk it replaced.
    def reference(text: str) -> list[names.Run]:
        out: list[names.Run] = []

        def emit(start: int, end: int) -> None:
            trimmed = names._trim(text[start:end])
            if trimmed and not (len(trimmed) == 1 and names._round_letter(text, start)):
                out.append(names.Run(start, start + len(trimmed), trimmed))

        for m in names._RUN.finditer(text):
            piece: int | None = None
            piece_end = 0
            toks = list(re.finditer(r"\S+", m.group()))
            for i, tm in enumerate(toks):
                kind = names._token_kind(tm.group())
                if kind == names._SUFFIX:
                    # "AI" / "Partners" closes a name it follows, unless the next word shows
                    # it is used otherwise.
                    if piece is not None:
                        after = (toks[i + 1].group() if i + 1 < len(toks)
                                 else text[m.end():].split(None, 1)[0] if text[m.end():m.end() + 1].isspace()
                                 and text[m.end():].split() else "")
                        after = re.sub(r"[^\w-].*", "", after) if i + 1 >= len(toks) else after
                        noun = names._clean(after).casefold() in names._SUFFIXES[names._clean(tm.group())]
                        emit(m.start() + piece, m.start() + (piece_end if noun else tm.end()))
                        piece = None
                    continue
                if kind >= names._STOP:
                    if kind == names._STOP and piece is not None:
                        emit(m.start() + piece, m.start() + piece_end)
                        piece = None
                    continue
                if piece is None:
                    piece = tm.start()
                    wire = re.match(r"(?i:exclusive|breaking|update|insight)-", tm.group())
                    if wire and wire.end() < len(tm.group()) and (
                            tm.group()[:wire.end() - 1].istitle() or tm.group()[:wire.end() - 1].isupper()):
                        piece += wire.end()
                piece_end = tm.end()
                if kind == names._BREAK:
                    emit(m.start() + piece, m.start() + piece_end)
                    piece = None
            if piece is not None:
                emit(m.start() + piece, m.start() + piece_end)
        return out

    extra = ["Exclusive-Acme AI in talks", "UPDATE 2-Acme raises", "EXCLUSIVE-", "Series B for Acme", "Series A Of B", "Amazon's Ring and Sequoia-backed Foo Of",
             "Foo Bar Baz Qux Quux Corge", "U.S. Department of Energy"]
    for t in TEXTS + extra:
        assert names.runs(t) == reference(t), t
        assert names.runs(t) == reference(t), t  # second call: from the cache
