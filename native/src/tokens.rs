//! Port of bot/matcher/tokens.py: a field's vocabulary bits, the money-character test and
//! the word-start scanner (the prefilter in front of the AI-keyword and round regexes).
//!
//! Python splits words with string methods and the `_EDGE` substitution; here one pass over
//! the text does the same (see `word_bits`).

use std::collections::HashMap;

use crate::chars;

/// tokens._STRIP: the punctuation `str.strip` removes at each token's edges.
const STRIP: &[char] = &[
    '.', ',', ';', ':', '!', '?', '(', ')', '[', ']', '{', '}', '"', '\'', '’', '‘', '“', '”',
    '«', '»', '*', '…',
];

/// tokens.MONEY_CHARS.
const MONEY_CHARS: &[char] = &['$', '€', '£', '¥', '₹', '₩', '₪'];

#[inline]
fn is_strip(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | '\'' | '*')
    } else {
        STRIP.contains(&c)
    }
}

/// Byte classes for the token scan: a token byte, a separator (Python `str.split()`
/// whitespace, "-", "/"), an ASCII `_STRIP` character, or the lead byte of a multibyte
/// character (decoded, to ask whether it is whitespace).  Continuation bytes are token bytes:
/// the scan only ever stops on a character's first byte.
const WORD: u8 = 0;
const SEP: u8 = 1;
const STRIP_B: u8 = 2;
const LEAD: u8 = 3;
/// The bit SEP and LEAD share: the character there may end a token.
const MAY_SEP: u8 = 1;
static CLASS: [u8; 256] = {
    let mut t = [WORD; 256];
    let seps = b"-/ \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f";
    let mut i = 0;
    while i < seps.len() {
        t[seps[i] as usize] = SEP;
        i += 1;
    }
    let strips = b".,;:!?()[]{}\"'*";
    let mut i = 0;
    while i < strips.len() {
        t[strips[i] as usize] = STRIP_B;
        i += 1;
    }
    let mut i = 0xC0;
    while i < 0x100 {
        t[i] = LEAD;
        i += 1;
    }
    t
};

/// The byte length of the separator starting at `i` (a byte whose class is SEP or LEAD),
/// 0 when the character there is not one.
#[inline]
fn sep_len(low: &str, i: usize, class: u8) -> usize {
    if class == SEP {
        return 1;
    }
    match low.get(i..).and_then(|t| t.chars().next()) {
        Some(ch) if chars::is_space(ch) => ch.len_utf8(),
        _ => 0,
    }
}

/// The next token of `low` at or after byte `i`, stripped of `_STRIP` at both ends (empty
/// when it was punctuation only), and the offset after it: one step of
/// `_EDGE.sub("", low.replace("-", " ").replace("/", " ")).split()`.
///
/// (`_EDGE` deletes exactly the `_STRIP` runs touching a token's start or end, i.e.
/// `str.strip(_STRIP)` per token; a token of punctuation only disappears.)
#[inline(always)]
fn next_token(low: &str, mut i: usize) -> Option<(usize, usize, usize)> {
    let b = low.as_bytes();
    let n = b.len();
    // Skip separators.
    loop {
        if i >= n {
            return None;
        }
        let c = CLASS[b[i] as usize];
        if c & MAY_SEP != 0 {
            let l = sep_len(low, i, c);
            if l > 0 {
                i += l;
                continue;
            }
        }
        break;
    }
    let start = i;
    i += 1;
    while i < n {
        let c = CLASS[b[i] as usize];
        if c & MAY_SEP != 0 && sep_len(low, i, c) > 0 {
            break;
        }
        i += 1;
    }
    let (mut s, mut e) = (start, i);
    while s < e && CLASS[b[s] as usize] == STRIP_B {
        s += 1;
    }
    while s < e && CLASS[b[e - 1] as usize] == STRIP_B {
        e -= 1;
    }
    if s < e && (b[s] >= 0x80 || b[e - 1] >= 0x80) {
        // A multibyte character at an edge: strip with every `_STRIP` member (the ASCII
        // ones already removed are a subset, so the result is `str.strip(_STRIP)`'s).
        let t = strip_edges(&low[s..e]);
        let base = low.as_ptr() as usize;
        s = t.as_ptr() as usize - base;
        e = s + t.len();
    }
    Some((s, e, i))
}

/// Call `f` with each non-empty stripped token of `low` (see `next_token`).
#[inline]
fn for_each_token<'a>(low: &'a str, mut f: impl FnMut(&'a str)) {
    let mut i = 0;
    while let Some((s, e, next)) = next_token(low, i) {
        if s < e {
            f(&low[s..e]);
        }
        i = next;
    }
}

/// `tok.strip(_STRIP)`, with byte tests for the ASCII members.
#[inline]
fn strip_edges(tok: &str) -> &str {
    let b = tok.as_bytes();
    let (mut a, mut z) = (0, b.len());
    while a < z {
        let c = b[a];
        if c < 0x80 {
            if !is_strip(c as char) {
                break;
            }
            a += 1;
        } else {
            match tok[a..z].chars().next() {
                Some(ch) if is_strip(ch) => a += ch.len_utf8(),
                _ => break,
            }
        }
    }
    while a < z {
        let c = b[z - 1];
        if c < 0x80 {
            if !is_strip(c as char) {
                break;
            }
            z -= 1;
        } else {
            match tok[a..z].chars().next_back() {
                Some(ch) if is_strip(ch) => z -= ch.len_utf8(),
                _ => break,
            }
        }
    }
    &tok[a..z]
}

/// A word -> bits table for `word_bits` (e.g. `Matcher._vocab`): open addressing on a
/// multiplicative hash of the word's bytes, probed without allocating.  Most tokens of a
/// story are not in it: the probe reads only `slots` (4 bytes a slot, a few KB, cache
/// resident), whose 16-bit hash tags reject nearly every absent word before an entry is
/// read.  Words of up to 8 bytes (most) are hashed and compared as one masked 8-byte load.
pub struct Vocab {
    /// `tag << 16 | (entry index + 1)`; 0 marks a free slot.
    slots: Vec<u32>,
    entries: Vec<VocabEntry>,
    /// The bytes of keys longer than 8, after their first 8.
    tails: Vec<u8>,
    mask: usize,
    max_len: usize,
    /// A necessary test before hashing: bit `len_bit(len)` of `filter[filter_slot(first,
    /// last byte)]` is set for every key.
    filter: Vec<u32>,
}

const FILTER_SLOTS: usize = 1024;

#[inline]
fn filter_slot(first: u8, last: u8) -> usize {
    (first as usize * 37 + last as usize) & (FILTER_SLOTS - 1)
}

#[inline]
fn len_bit(len: usize) -> u32 {
    if len < 32 { 1 << len } else { 1 }
}

struct VocabEntry {
    head: u64,
    len: u32,
    tail_off: u32,
    bits: u128,
}

const HASH_K: u64 = 0x9E37_79B9_7F4A_7C15;

/// The first `min(len, 8)` bytes of `buf[start..start + len]`, little-endian, zero-padded.
#[inline]
fn head_of(buf: &[u8], start: usize, len: usize) -> u64 {
    let n = len.min(8);
    match buf.get(start..start + 8) {
        Some(w) => {
            let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            if n == 8 { x } else { x & ((1u64 << (8 * n)) - 1) }
        }
        None => {
            let mut x = 0u64;
            for (i, &c) in buf[start..start + n].iter().enumerate() {
                x |= (c as u64) << (8 * i);
            }
            x
        }
    }
}

/// The hash of a word from its head and its bytes past 8 (`rest`).
#[inline]
fn word_hash(head: u64, len: usize, rest: &[u8]) -> u64 {
    let mut h = (head ^ (len as u64).rotate_left(56)).wrapping_mul(HASH_K);
    let mut chunks = rest.chunks(8);
    for c in &mut chunks {
        let mut x = 0u64;
        for (i, &b) in c.iter().enumerate() {
            x |= (b as u64) << (8 * i);
        }
        h = (h.rotate_left(29) ^ x).wrapping_mul(HASH_K);
    }
    h ^ (h >> 29)
}

#[inline]
fn slot_tag(h: u64) -> u32 {
    ((h >> 48) as u32) << 16
}

impl Vocab {
    /// Fails on more than 65,535 words (the slots hold a 16-bit entry index).
    pub fn new(table: &HashMap<String, u128>) -> Result<Vocab, String> {
        let size = (table.len() * 2).max(16).next_power_of_two();
        let mut v = Vocab { slots: vec![0; size], entries: Vec::new(), tails: Vec::new(), mask: size - 1, max_len: 0,
                           filter: vec![0; FILTER_SLOTS] };
        let mut words: Vec<(&String, &u128)> = table.iter().collect();
        words.sort(); // deterministic layout
        for (w, &bits) in words {
            let k = w.as_bytes();
            let head = head_of(k, 0, k.len());
            let rest = if k.len() > 8 { &k[8..] } else { &[][..] };
            let h = word_hash(head, k.len(), rest);
            let mut i = h as usize & v.mask;
            while v.slots[i] != 0 {
                i = (i + 1) & v.mask;
            }
            v.entries.push(VocabEntry { head, len: k.len() as u32, tail_off: v.tails.len() as u32, bits });
            v.tails.extend_from_slice(rest);
            v.max_len = v.max_len.max(k.len());
            if let (Some(&f), Some(&l)) = (k.first(), k.last()) {
                v.filter[filter_slot(f, l)] |= len_bit(k.len());
            }
            let idx = v.entries.len() as u32;
            if idx >= 1 << 16 {
                return Err(format!("vocabulary of {} words: too large for Vocab", table.len()));
            }
            v.slots[i] = slot_tag(h) | idx;
        }
        Ok(v)
    }

    /// `table.get(buf[start..end])`.
    #[inline]
    pub fn get_in(&self, buf: &[u8], start: usize, end: usize) -> Option<u128> {
        let len = end - start;
        if len > self.max_len {
            return None;
        }
        if len > 0 {
            let slot = filter_slot(buf[start], buf[end - 1]);
            if self.filter[slot] & len_bit(len) == 0 {
                return None;
            }
        }
        let head = head_of(buf, start, len);
        let rest = if len > 8 { &buf[start + 8..end] } else { &[][..] };
        let h = word_hash(head, len, rest);
        let tag = slot_tag(h);
        let mut i = h as usize & self.mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            if s & 0xffff_0000 == tag {
                let e = &self.entries[(s & 0xffff) as usize - 1];
                if e.head == head
                    && e.len as usize == len
                    && (len <= 8 || self.tails[e.tail_off as usize..e.tail_off as usize + len - 8] == *rest)
                {
                    return Some(e.bits);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// `table.get(w)`.
    #[inline]
    pub fn get(&self, w: &str) -> Option<u128> {
        self.get_in(w.as_bytes(), 0, w.len())
    }
}

/// Ports tokens.word_bits(low, table): the OR of `table[w]` over the field's tokens found in
/// `table` (a table built by `with_possessives`, e.g. `Matcher._vocab`: tokens keep their
/// trailing "'s", which the table maps to the word's value).
pub fn word_bits(low: &str, table: &Vocab) -> u128 {
    let mut bits = 0u128;
    let b = low.as_bytes();
    let mut i = 0;
    while let Some((s, e, next)) = next_token(low, i) {
        if s < e {
            if let Some(v) = table.get_in(b, s, e) {
                bits |= v;
            }
        }
        i = next;
    }
    bits
}

/// Ports tokens.words_of_lower(low): the field's words (one trailing "'s"/"’s" dropped per
/// token), sorted (Python returns a set).
pub fn words_of_lower(low: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for_each_token(low, |w| {
        // _POSS_END: "['’]s(?!\S)" -- one trailing possessive per token.
        let w = w
            .strip_suffix("'s")
            .or_else(|| w.strip_suffix("’s"))
            .unwrap_or(w);
        out.push(w.to_string());
    });
    out.sort();
    out.dedup();
    out
}

/// Ports tokens.with_possessives(table).
pub fn with_possessives(table: &HashMap<String, u128>) -> HashMap<String, u128> {
    let mut out = HashMap::with_capacity(table.len() * 3);
    for (w, v) in table {
        if !(w.ends_with("'s") || w.ends_with("’s")) {
            out.insert(w.clone(), *v);
        }
        out.insert(format!("{w}'s"), *v);
        out.insert(format!("{w}’s"), *v);
    }
    out
}

/// Ports tokens.has_money_char(text).
pub fn has_money_char(text: &str) -> bool {
    let b = text.as_bytes();
    if b.contains(&b'$') {
        return true;
    }
    // The other money characters are multibyte: decode only at lead bytes (>= 0xC0).
    !text.is_ascii()
        && b.iter().enumerate().any(|(i, &c)| {
            c >= 0xC0 && text.get(i..).and_then(|t| t.chars().next()).map_or(false, |ch| MONEY_CHARS.contains(&ch))
        })
}

/// Ports tokens.word_start_scanner(literals) as used on `" " + low`: the offsets `i` of
/// `low` where some literal begins and the character before `i` (if any) is not an ASCII
/// lowercase letter, in increasing order.  Offsets are byte offsets into `low` (= `text`):
/// the scanner's match *start* on the padded copy is exactly that offset.
pub struct WordStarts {
    /// The literals (each starts with an ASCII lowercase letter), as one key of a LitIndex.
    index: crate::events::LitIndex,
}

impl WordStarts {
    pub fn new(literals: &[String]) -> Result<WordStarts, String> {
        for lit in literals {
            if !lit.as_bytes().first().map_or(false, |b| b.is_ascii_lowercase()) {
                return Err(format!("literal must start with a lowercase ASCII letter: {lit:?}"));
            }
        }
        Ok(WordStarts { index: crate::events::LitIndex::new(&[(0, literals.to_vec())]) })
    }

    /// Does a literal begin at byte offset `i` of `low`?
    #[inline]
    fn literal_at(&self, low: &[u8], i: usize, _b: u8) -> bool {
        self.index.mask_at(low, i) != 0
    }

    /// Call `f(i)` for each start, in order, until it returns `Some`; that value is returned.
    #[inline]
    pub fn find_map<T>(&self, low: &str, mut f: impl FnMut(usize) -> Option<T>) -> Option<T> {
        let b = low.as_bytes();
        let mut prev_lower = false;
        for i in 0..b.len() {
            let c = b[i];
            let lower = c.is_ascii_lowercase();
            // A non-ASCII character's bytes are >= 0x80: never a-z, as in Python's "[^a-z]".
            if lower && !prev_lower && self.literal_at(b, i, c) {
                if let Some(v) = f(i) {
                    return Some(v);
                }
            }
            prev_lower = lower;
        }
        None
    }

    /// Every start (as `[s.start() for s in scanner.finditer(" " + low)]`).
    pub fn all(&self, low: &str) -> Vec<usize> {
        let mut out = Vec::new();
        let _: Option<()> = self.find_map(low, |i| {
            out.push(i);
            None
        });
        out
    }
}

// ---- test hooks ---------------------------------------------------------------------------
use pyo3::prelude::*;

/// Test hook: tokens.py's functions on a vocabulary table (e.g. `Matcher._vocab`).
#[pyclass(unsendable)]
struct TokensProbe {
    table: Vocab,
}

#[pymethods]
impl TokensProbe {
    #[new]
    fn new(table: HashMap<String, u128>) -> PyResult<Self> {
        Ok(TokensProbe { table: Vocab::new(&table).map_err(pyo3::exceptions::PyValueError::new_err)? })
    }
    fn word_bits(&self, low: &str) -> u128 {
        word_bits(low, &self.table)
    }
    #[staticmethod]
    fn words_of_lower(low: &str) -> Vec<String> {
        words_of_lower(low)
    }
    #[staticmethod]
    fn has_money_char(text: &str) -> bool {
        has_money_char(text)
    }
    #[staticmethod]
    fn with_possessives(table: HashMap<String, u128>) -> HashMap<String, u128> {
        with_possessives(&table)
    }
}

/// Register tokens' test hooks.
pub fn register(m: &PyModule) -> PyResult<()> {
    m.add_class::<TokensProbe>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_strip_edges_and_split_on_dash_slash() {
        let mut t = HashMap::new();
        t.insert("ai".to_string(), 1u128);
        t.insert("deal's".to_string(), 2u128);
        t.insert("x.y".to_string(), 4u128);
        let t = Vocab::new(&t).unwrap();
        assert_eq!(word_bits("(ai) the-deal's \"x.y\"", &t), 7);
        assert_eq!(word_bits("aix deal x.y.z", &t), 0);
        assert_eq!(word_bits("“ai…” — «deal's»", &t), 3);
        assert_eq!(words_of_lower("a-b/c d's (e)... ''"), vec!["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn word_starts_follow_non_letters() {
        let ws = WordStarts::new(&["ai".to_string(), "seed".to_string()]).unwrap();
        assert_eq!(ws.all("ai xai 5ai _seed seedai"), vec![0, 8, 12, 17]);
        assert!(WordStarts::new(&["Ai".to_string()]).is_err());
    }
}
