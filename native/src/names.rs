//! Port of `bot/matcher/names.py`: capitalised runs ("Schibsted Media Group") cut at
//! headline stop words, and the organisation-likeness filter.
//!
//! Every word list and pattern is read from the Python module in `Names::load`.  Offsets
//! are byte offsets; Python's character counts (`len(name) == 1`, `max(0, start - 8)`) are
//! done with `text.rs`.  Python's `casefold()` equals `chars::lower_str` on the text the
//! native path takes (see chars.rs), so it is used for every fold.
//!
//! The Python caches only save work: `_PIECES` (a chunk's pieces) and `_token_kind`'s are
//! kept (names recur across stories, and a token's kind costs several pattern calls), the
//! others (`_trim`, `is_org_like`) are dropped.

use crate::chars;
use crate::memo::Memo;
use crate::rx::Rx;
use crate::text::{back_chars, char_len};
use crate::types::Run;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash (rustc's hasher): the caches hash short strings, where SipHash dominates.
#[derive(Default)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
pub type FxSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// Chunks of up to this many tokens keep their pieces (names.py's `_CACHED_TOKENS`:
/// names, not title-case sentences).
const CACHED_TOKENS: usize = 4;
/// Cache sizes at which a cache is emptied (names.py: 20,000 chunks; 8,192 token kinds).
const MAX_PIECES: usize = 20_000;
const MAX_KINDS: usize = 20_000;
/// `is_org_like`'s cache size at which it is emptied.
const MAX_ORG: usize = 20_000;

/// Characters `_clean` strips on the right before the possessive (`tok.rstrip(".,;:!?")`).
const CLEAN_RSTRIP: &[char] = &['.', ',', ';', ':', '!', '?'];
/// Characters `_clean` strips on both ends afterwards (`.strip("'’\"")`).
const CLEAN_STRIP: &[char] = &['\'', '’', '"'];
/// `_trim`'s `raw.rstrip(".,;:!?\"'’-")`.
const TRIM_RSTRIP: &[char] = &['.', ',', ';', ':', '!', '?', '"', '\'', '’', '-'];

/// Token kinds of `names._token_kind` (same order: `kind >= Stop` is used).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Normal,
    Break,
    Suffix,
    Stop,
    OfDe,
}

/// The rule data of names.py, read once.
pub struct Names {
    stop: FxSet<String>,
    places: FxSet<String>,
    products: FxSet<String>,
    first_names: FxSet<String>,
    fields: FxSet<String>,
    ai_kinds: FxSet<String>,
    groups: FxSet<String>,
    /// `_SUFFIXES`: suffix word -> words after it that show it is not part of a name.
    suffixes: FxMap<String, FxSet<String>>,
    /// `_SUFFIX_ENDINGS`: " " + each suffix word.
    suffix_endings: Vec<String>,
    run_rx: Rx,
    /// `_RUN` begins with `RUN_HEAD`, so `run_may_start` rules out offsets exactly.
    run_filtered: bool,
    possessive: Rx,
    /// Literals one of which every `_POSSESSIVE` match holds (None: no such gate).
    possessive_gate: Option<&'static [&'static str]>,
    hyphen_adj: Rx,
    word_after: Rx,
    series_before: Rx,
    wire_prefix: Rx,
    keep_dot: Rx,
    trail_of: Rx,
    /// Literals one of which every `_TRAIL_OF` match holds (None: no such gate).
    trail_of_gate: Option<&'static [&'static str]>,
    scaled_number: Rx,
    /// `_PIECES`: a chunk's pieces (see `pieces`).
    piece_cache: Memo<Vec<(usize, String)>>,
    /// `_token_kind`'s cache.
    kind_cache: Memo<Kind>,
    /// `is_org_like`'s answers (a pure function of the name; names recur across stories).
    org_cache: Memo<bool>,
}

fn str_set(obj: &PyAny) -> PyResult<FxSet<String>> {
    let mut out = FxSet::default();
    for item in obj.iter()? {
        out.insert(item?.extract::<String>()?);
    }
    Ok(out)
}

/// The `_POSSESSIVE` pattern `POSSESSIVE_LITERALS` was derived from: each of its matches
/// holds an apostrophe.  (`_TRAIL_OF`'s likewise holds "of" or "de".)  When the pattern in
/// names.py differs, `literal_gate` gives no gate and the regex runs on every string.
const POSSESSIVE_SOURCE: &str = "(?:['’]s|['’])$";
const POSSESSIVE_LITERALS: &[&str] = &["'", "’"];
const TRAIL_OF_SOURCE: &str = r"\s+(?:of|de)$";
const TRAIL_OF_LITERALS: &[&str] = &["of", "de"];

/// `Some(literals)` when the compiled Python pattern `rx` is `source` without flags that
/// change its meaning (IGNORECASE, VERBOSE): a string holding none of `literals` has no match.
fn literal_gate(rx: &PyAny, source: &str, literals: &'static [&'static str]) -> PyResult<Option<&'static [&'static str]>> {
    let pattern: String = rx.getattr("pattern")?.extract()?;
    let flags: u32 = rx.getattr("flags")?.extract()?;
    Ok((pattern == source && flags & (2 | 64) == 0).then_some(literals))
}

/// Python's `rx.sub("", s)`; `gate`: literals one of which every match holds (a string
/// holding none is returned as it is, without running the regex).
fn sub_gated<'s>(rx: &Rx, gate: Option<&[&str]>, s: &'s str) -> Cow<'s, str> {
    if let Some(lits) = gate {
        if !lits.iter().any(|l| s.contains(l)) {
            return Cow::Borrowed(s);
        }
    }
    sub_empty(rx, s)
}

/// Python's `rx.sub("", s)`.
fn sub_empty<'s>(rx: &Rx, s: &'s str) -> Cow<'s, str> {
    let ms = rx.find_iter(s, 0, s.len());
    if ms.is_empty() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for m in ms {
        out.push_str(&s[at..m.start()]);
        at = m.end();
    }
    out.push_str(&s[at..]);
    Cow::Owned(out)
}

/// Python's `s.split()` (Unicode whitespace) with each piece's byte offset.
pub fn split_ws(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices() {
        if chars::is_space(c) {
            if let Some(a) = start.take() {
                out.push((a, &s[a..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(a) = start {
        out.push((a, &s[a..]));
    }
    out
}

impl Names {
    /// Which of this module's exact shortcuts are on.  Each is derived from a Python
    /// pattern and switches itself off (results unchanged, only slower) when that pattern
    /// no longer has the shape it was derived from; tests/test_native_matcher.py says so.
    pub fn fast_paths(&self) -> Vec<(&'static str, bool)> {
        vec![
            ("names._RUN start test", self.run_filtered),
            ("names._POSSESSIVE literal gate", self.possessive_gate.is_some()),
            ("names._TRAIL_OF literal gate", self.trail_of_gate.is_some()),
        ]
    }

    /// Read names.py's word lists and patterns.
    pub fn load(py: Python) -> PyResult<Names> {
        let m = py.import("bot.matcher.names")?;
        let rx = |name: &str| -> PyResult<Rx> { Rx::from_py(m.getattr(name)?) };
        let suf_obj: &PyDict = m.getattr("_SUFFIXES")?.downcast()?;
        let mut suffixes = FxMap::default();
        let mut suffix_endings = Vec::new();
        for (k, v) in suf_obj.iter() {
            let k: String = k.extract()?;
            suffix_endings.push(format!(" {k}"));
            suffixes.insert(k, str_set(v)?);
        }
        // _SUFFIX_ENDINGS is derived from _SUFFIXES; check that the rule still holds.
        let endings: &PyTuple = m.getattr("_SUFFIX_ENDINGS")?.downcast()?;
        let py_endings: Vec<String> = endings.extract()?;
        if py_endings != suffix_endings {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "names._SUFFIX_ENDINGS is no longer ' ' + each _SUFFIXES key",
            ));
        }
        Ok(Names {
            stop: str_set(m.getattr("STOP")?)?,
            places: str_set(m.getattr("PLACES")?)?,
            products: str_set(m.getattr("PRODUCTS")?)?,
            first_names: str_set(m.getattr("FIRST_NAMES")?)?,
            fields: str_set(m.getattr("_FIELDS")?)?,
            ai_kinds: str_set(m.getattr("_AI_KINDS")?)?,
            groups: str_set(m.getattr("_GROUPS")?)?,
            suffixes,
            suffix_endings,
            run_filtered: run_head_checked(m.getattr("_RUN")?)?,
            run_rx: rx("_RUN")?,
            possessive: rx("_POSSESSIVE")?,
            possessive_gate: literal_gate(m.getattr("_POSSESSIVE")?, POSSESSIVE_SOURCE, POSSESSIVE_LITERALS)?,
            hyphen_adj: rx("_HYPHEN_ADJ")?,
            word_after: rx("_WORD_AFTER")?,
            series_before: rx("_SERIES_BEFORE")?,
            wire_prefix: rx("_WIRE_PREFIX")?,
            keep_dot: rx("_KEEP_DOT")?,
            trail_of: rx("_TRAIL_OF")?,
            trail_of_gate: literal_gate(m.getattr("_TRAIL_OF")?, TRAIL_OF_SOURCE, TRAIL_OF_LITERALS)?,
            scaled_number: rx("_SCALED_NUMBER")?,
            piece_cache: Memo::new(MAX_PIECES),
            kind_cache: Memo::new(MAX_KINDS),
            org_cache: Memo::new(MAX_ORG),
        })
    }

    /// Membership in names.STOP (exact word, as Python's `word in STOP`).
    pub fn is_stop(&self, word: &str) -> bool {
        self.stop.contains(word)
    }

    /// Membership in names.PLACES (exact, already folded).
    pub fn is_place(&self, word: &str) -> bool {
        self.places.contains(word)
    }

    /// Membership in names.PRODUCTS (exact, already folded).
    pub fn is_product(&self, word: &str) -> bool {
        self.products.contains(word)
    }

    /// Membership in names.FIRST_NAMES (exact, already folded).
    pub fn is_first_name(&self, word: &str) -> bool {
        self.first_names.contains(word)
    }

    /// `_POSSESSIVE.search(s)` is not None.
    fn has_possessive(&self, s: &str) -> bool {
        if let Some(lits) = self.possessive_gate {
            if !lits.iter().any(|l| s.contains(l)) {
                return false;
            }
        }
        self.possessive.is_match(s)
    }

    /// Ports `names._clean`.
    fn clean<'s>(&self, tok: &'s str) -> Cow<'s, str> {
        match sub_gated(&self.possessive, self.possessive_gate, tok.trim_end_matches(CLEAN_RSTRIP)) {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim_matches(CLEAN_STRIP)),
            Cow::Owned(s) => Cow::Owned(s.trim_matches(CLEAN_STRIP).to_string()),
        }
    }

    /// Ports `names._token_kind` (cached, as in Python).
    fn token_kind(&self, tok: &str) -> Kind {
        self.kind_cache.get_or(tok, || self.token_kind_uncached(tok))
    }

    fn token_kind_uncached(&self, tok: &str) -> Kind {
        let clean = self.clean(tok);
        let low = chars::lower_str(&clean);
        if low == "of" || low == "de" {
            return Kind::OfDe;
        }
        if self.suffixes.contains_key(clean.as_ref()) {
            return Kind::Suffix;
        }
        if self.stop.contains(&low) {
            return Kind::Stop;
        }
        if self.has_possessive(tok.trim_end_matches(CLEAN_RSTRIP)) || self.hyphen_adj.is_match(tok) {
            return Kind::Break;
        }
        if tok.ends_with('.') && char_len(&clean) > 1 && !self.keep_dot.is_match(tok) {
            return Kind::Break; // "led by Thrive Capital. Andreessen Horowitz ...": a sentence ends
        }
        Kind::Normal
    }

    /// Is `_clean(nxt).casefold()` one of the words that show suffix `tok` is used otherwise?
    fn used_otherwise(&self, tok: &str, nxt: &str) -> bool {
        let key = self.clean(tok);
        let word = chars::lower_str(&self.clean(nxt));
        self.suffixes.get(key.as_ref()).map_or(false, |set| set.contains(&word))
    }

    /// Ports `names._trim`.
    fn trim<'s>(&self, raw: &'s str) -> String {
        let mut trimmed: &'s str = raw.trim_end_matches(TRIM_RSTRIP); // "TORONTO--" of a dateline
        if raw.ends_with('.') && self.keep_dot.is_match(raw) {
            trimmed = raw; // "U.S." / "People Inc." keep their dots
        }
        let t = sub_gated(&self.possessive, self.possessive_gate, trimmed);
        sub_gated(&self.trail_of, self.trail_of_gate, &t).into_owned()
    }

    /// Ports `names._emit`.
    fn emit(&self, chunk: &str, start: usize, end: usize, out: &mut Vec<(usize, String)>) {
        let trimmed = self.trim(&chunk[start..end]);
        if !trimmed.is_empty() {
            out.push((start, trimmed));
        }
    }

    /// Ports `names._pieces`: the runs of one `_RUN` chunk as (byte offset in chunk, name).
    fn pieces(&self, chunk: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        let mut piece_start: Option<usize> = None;
        let mut piece_end = 0;
        let toks = split_ws(chunk);
        for (i, &(start, tok)) in toks.iter().enumerate() {
            let end = start + tok.len();
            let kind = self.token_kind(tok);
            if kind == Kind::Suffix {
                if let Some(ps) = piece_start.take() {
                    // "Zentrix AI Deal", "Nvidia AI Chips": the "AI" describes the noun after it.
                    let nxt = toks.get(i + 1).map_or("", |t| t.1);
                    let e = if self.used_otherwise(tok, nxt) { piece_end } else { end };
                    self.emit(chunk, ps, e, &mut out);
                }
                continue;
            }
            if kind >= Kind::Stop {
                if kind == Kind::Stop {
                    if let Some(ps) = piece_start.take() {
                        self.emit(chunk, ps, piece_end, &mut out);
                    }
                }
                continue; // "of"/"de": decided by what follows
            }
            if piece_start.is_none() {
                let mut ps = start;
                if let Some(w) = self.wire_prefix.match_at(tok, 0) {
                    if w.end() < tok.len() {
                        ps = start + w.end(); // "Exclusive-Mistral AI": a wire's tag
                    }
                }
                piece_start = Some(ps);
            }
            piece_end = end;
            if kind == Kind::Break {
                // "Amazon's Ring": the possessor is its own run; "Sequoia-backed" too.
                if let Some(ps) = piece_start.take() {
                    self.emit(chunk, ps, piece_end, &mut out);
                }
            }
        }
        if let Some(ps) = piece_start {
            self.emit(chunk, ps, piece_end, &mut out);
        }
        out
    }

    /// Ports `names._round_letter`: is the one-letter token at `start` the "B" of "Series B"?
    fn round_letter(&self, text: &str, start: usize) -> bool {
        self.series_before.is_match_in(text, back_chars(text, start, 8), start)
    }

    /// Ports `names._suffix_describes_next`.
    fn suffix_describes_next(&self, suffix: &str, text: &str, pos: usize) -> bool {
        let Some(m) = self.word_after.match_at(text, pos) else { return false };
        let Some(word) = m.group(text, 1) else { return false };
        let word = chars::lower_str(word);
        self.suffixes.get(suffix).map_or(false, |set| set.contains(&word))
    }

    /// Ports `names.runs`: capitalised runs of `text`, cut at headline stop words.
    pub fn runs(&self, text: &str) -> Vec<Run> {
        let mut out = Vec::new();
        for (base, m_end) in self.run_spans(text) {
            let chunk = &text[base..m_end];
            if self.piece_cache.with(chunk, |pieces| self.place_pieces(text, base, m_end, pieces, &mut out)).is_some() {
                continue;
            }
            let pieces = self.pieces(chunk);
            self.place_pieces(text, base, m_end, &pieces, &mut out);
            if split_ws(chunk).len() <= CACHED_TOKENS {
                self.piece_cache.put(chunk, pieces);
            }
        }
        out
    }

    /// `[m.span() for m in _RUN.finditer(text)]`.  With `run_filtered`, the pattern is tried
    /// (anchored) only at the offsets where `run_may_start` holds, in order: the first offset
    /// where it matches is where a search would have found it (its leftmost match), and
    /// scanning the bytes here is cheaper than PCRE2 trying the lookbehind at every letter.
    fn run_spans(&self, text: &str) -> Vec<(usize, usize)> {
        if !self.run_filtered {
            return self.run_rx.find_iter(text, 0, text.len()).iter().map(|m| m.span()).collect();
        }
        self.run_rx.find_iter_where(text, 0, run_may_start)
    }

    /// The runs of one chunk's pieces at `base..m_end` of `text` (the loop body of
    /// `names.runs`: the "Series B" and suffix checks).
    fn place_pieces(&self, text: &str, base: usize, m_end: usize, pieces: &[(usize, String)], out: &mut Vec<Run>) {
        for (offset, name) in pieces {
            let start = base + offset;
            if char_len(name) == 1 && self.round_letter(text, start) {
                continue;
            }
            let end = start + name.len();
            if end == m_end && self.suffix_endings.iter().any(|e| name.ends_with(e.as_str())) {
                let (head, last) = match name.rfind(' ') {
                    Some(i) => (&name[..i], &name[i + 1..]),
                    None => ("", name.as_str()),
                };
                if self.suffix_describes_next(last, text, end) {
                    // "Zentrix AI deal": the "AI" describes the deal; "Orbix Partners with"
                    let name = self.trim(head);
                    out.push(Run { start, end: start + name.len(), text: name });
                    continue;
                }
            }
            out.push(Run { start, end, text: name.clone() });
        }
    }

    /// Ports `names.is_adjective_run`.
    pub fn is_adjective_run(&self, run: &Run) -> bool {
        self.hyphen_adj.is_match(&run.text)
    }

    /// Is `t` a place, a stop word, or a place's plural ("South Africans")?  (The test in
    /// `is_org_like`'s `all(...)`.)
    fn place_or_stop(&self, t: &str) -> bool {
        let f = chars::lower_str(t);
        if self.places.contains(&f) || self.stop.contains(&f) {
            return true;
        }
        match t.strip_suffix('s') {
            Some(head) => self.places.contains(&chars::lower_str(head)),
            None => false,
        }
    }

    /// Ports `names.is_org_like`: could `name` be an organisation rather than a
    /// place/person/product?
    pub fn is_org_like(&self, name: &str) -> bool {
        self.org_cache.get_or(name, || self.is_org_like_uncached(name))
    }

    fn is_org_like_uncached(&self, name: &str) -> bool {
        let folded = chars::lower_str(name);
        if char_len(name) < 2 && !chars::str_isupper(name) {
            return false;
        }
        if self.stop.contains(&folded)
            || self.places.contains(&folded)
            || self.products.contains(&folded)
            || self.fields.contains(&folded)
        {
            return false;
        }
        if self.hyphen_adj.is_match(name) {
            return false;
        }
        let toks: Vec<&str> = split_ws(name).into_iter().map(|t| t.1).collect();
        if toks.iter().all(|t| self.place_or_stop(t)) {
            return false; // ("South Africans": a demonym's plural too)
        }
        if self.groups.contains(&folded) {
            return false; // "Big Tech": a group of companies, none named
        }
        if toks.len() == 2 && toks[1] == "AI" && self.ai_kinds.contains(&chars::lower_str(toks[0])) {
            return false; // "Agentic AI", "Generative AI": fields
        }
        if self.products.contains(&chars::lower_str(toks[0])) {
            return false; // "Llama AI model hosts", "Claude Opus"
        }
        if toks.len() >= 2
            && self.first_names.contains(&chars::lower_str(toks[0]))
            && toks[toks.len() - 1].chars().next().map_or(false, chars::is_upper)
        {
            return false; // "Sam Altman", "Mira Murati"
        }
        if chars::str_isdigit(name) || self.scaled_number.match_at(name, 0).is_some() {
            return false; // "2025", "131k", "10M": numbers, not names
        }
        true
    }
}

/// The head of `names._RUN` that `run_may_start` was derived from: a lookbehind, then one
/// `_TOKEN`.  When `_RUN` no longer begins with it, `runs` searches with the pattern alone.
const RUN_HEAD: &str = concat!(
    r"(?<![\w$€£¥₹.,'’-])",
    r"(?:[A-Z][\w&.'’+-]*|[a-z]{1,4}[A-Z][\w.&'’-]*|\d+[A-Za-z][\w.&-]*)"
);

/// Does `_RUN` (a compiled Python pattern) begin with `RUN_HEAD`, without flags that change
/// its meaning (IGNORECASE, ASCII, VERBOSE)?
fn run_head_checked(rx: &PyAny) -> PyResult<bool> {
    let pattern: String = rx.getattr("pattern")?.extract()?;
    let flags: u32 = rx.getattr("flags")?.extract()?;
    Ok(pattern.starts_with(RUN_HEAD) && flags & (2 | 64 | 256) == 0)
}

/// Can a match of `RUN_HEAD` begin at byte `p` of `b` (UTF-8)?  False only when it surely
/// cannot: the lookbehind sees an ASCII `[\w$.,'-]`, or the first character is ASCII and
/// neither `[A-Z]`, a digit, nor the start of `[a-z]{1,4}[A-Z]`, or `p` is inside a
/// character.  Non-ASCII characters are left to the pattern (`\w`, `\d` are Unicode).
#[inline]
fn run_may_start(b: &[u8], p: usize) -> bool {
    if p > 0 && RUN_BYTE[b[p - 1] as usize] & BLOCKS_AFTER != 0 {
        return false;
    }
    let k = RUN_BYTE[b[p] as usize];
    if k & STARTS != 0 {
        return true;
    }
    if k & LOWER != 0 {
        for k in 1..=4 {
            match b.get(p + k) {
                Some(x) if x.is_ascii_uppercase() => return true,
                Some(x) if x.is_ascii_lowercase() => {}
                _ => return false,
            }
        }
    }
    false
}

/// `run_may_start`'s byte classes: an ASCII `[\w$.,'-]` before `p` rules a start out; an
/// ASCII `[A-Z0-9]` or a multibyte character's lead byte (>= 0xC0) may start a run; an ASCII
/// lowercase letter may when an uppercase one follows within four letters.
const BLOCKS_AFTER: u8 = 1;
const STARTS: u8 = 2;
const LOWER: u8 = 4;
static RUN_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.' | b',' | b'\'' | b'-') {
            t[c] |= BLOCKS_AFTER;
        }
        if b.is_ascii_uppercase() || b.is_ascii_digit() || b >= 0xC0 {
            t[c] |= STARTS;
        }
        if b.is_ascii_lowercase() {
            t[c] |= LOWER;
        }
        c += 1;
    }
    t
};

/// Runs as Python tuples `(start, end, text)` with CHARACTER offsets (test hooks).
pub fn runs_to_py(text: &str, runs: &[Run]) -> Vec<(usize, usize, String)> {
    runs.iter()
        .map(|r| (crate::text::char_offset(text, r.start), crate::text::char_offset(text, r.end), r.text.clone()))
        .collect()
}

/// Test hook: names.py's public functions, answered natively (character offsets).
#[pyclass(unsendable)]
pub struct NamesProbe {
    names: Names,
}

#[pymethods]
impl NamesProbe {
    #[new]
    fn py_new(py: Python) -> PyResult<NamesProbe> {
        Ok(NamesProbe { names: Names::load(py)? })
    }
    /// `names.runs(text)` as `[(start, end, text)]`.
    fn runs(&self, text: &str) -> Vec<(usize, usize, String)> {
        runs_to_py(text, &self.names.runs(text))
    }
    /// `names.is_org_like(name)`.
    fn is_org_like(&self, name: &str) -> bool {
        self.names.is_org_like(name)
    }
    /// `names.is_adjective_run(Run(0, len(text), text))`.
    fn is_adjective_run(&self, text: &str) -> bool {
        self.names.is_adjective_run(&Run::new(0, text.len(), text))
    }
    /// Timing hook: the number of runs of all `texts` (no conversion to Python values).
    fn count_runs(&self, texts: Vec<&str>) -> usize {
        texts.iter().map(|t| self.names.runs(t).len()).sum()
    }
    /// `word in names.STOP`.
    fn is_stop(&self, word: &str) -> bool {
        self.names.is_stop(word)
    }
}

/// Register names' test hooks on the `_native` module.
pub fn register(m: &PyModule) -> PyResult<()> {
    m.add_class::<NamesProbe>()
}
