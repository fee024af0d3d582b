//! Port of the fast path of `bot/matcher/normalize.py`: per-character folds (NFKC of one
//! character, format characters dropped) with a segment map back to the original text.
//!
//! Text holding a character outside the char table (`chars::ok`) used to go to the Python
//! matcher whole.  Most such characters ("…", NO-BREAK SPACE, "™", zero-width spaces) are
//! ones the Python matcher itself folds before running the rules: `_normalize_chars` ->
//! `_apply_edits`.  CPython computes each character's fold (`normalize._fold_char`) once at
//! start-up (`bot.matcher.native.fold_table`); here a text is folded with that table, and
//! the rules run on the folded text exactly as `_FieldView` runs them on `NormText.text`.
//! Evidence spans are mapped back with `NormText::span`, as `_FieldView.evidence` does.
//!
//! Offsets here are BYTE offsets (Python's segments are in characters).  The two agree:
//! segments start and end on character boundaries, an identity segment maps character for
//! character and so byte for byte, and a fold segment maps to one whole original character.

use std::collections::HashMap;
use std::sync::OnceLock;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::chars;
use crate::text::{byte_offset, char_len, char_offset};

/// Character -> its fold ("" for a dropped format character).  Only characters the char
/// table refuses, whose fold is made of characters it accepts.
static FOLDS: OnceLock<HashMap<char, Box<str>>> = OnceLock::new();

/// Install the fold table (`bot.matcher.native.fold_table()`); once per process, after the
/// char table.  Entries whose fold holds a character the char table does not accept after
/// its PCRE2 agreement filtering (chars::install) are dropped: texts holding those
/// characters keep going to the Python matcher.  Returns the number of entries kept.
pub fn install(folds: Vec<(char, String)>) -> usize {
    let table: HashMap<char, Box<str>> = folds
        .into_iter()
        .filter(|(c, f)| !chars::ok(*c) && f.chars().all(chars::ok))
        .map(|(c, f)| (c, f.into_boxed_str()))
        .collect();
    let n = table.len();
    let _ = FOLDS.set(table);
    FOLDS.get().map_or(n, |t| t.len())
}

/// One piece of the map, as `NormText.segments` holds them (byte offsets): normalised
/// `ns..ne` came from original `os..oe`; identity pieces map byte for byte, the others (a
/// folded character) map every output byte to the whole original character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seg {
    pub ns: usize,
    pub ne: usize,
    pub os: usize,
    pub oe: usize,
    pub identity: bool,
}

/// `NormText` without `original` (the caller keeps it): the text the rules see and its map.
#[derive(Debug, Default)]
pub struct NormText {
    pub text: String,
    pub segs: Vec<Seg>,
}

/// `normalize.normalize(original)` for text whose every character is accepted or has a fold
/// in the table; None for any other text (a combining mark, a character beyond plane 1,
/// a stable character the char table refuses such as "ß"): the Python matcher takes it.
/// Ports `_normalize_chars` + `_apply_edits`; called only on text failing `chars::text_ok`,
/// so there is at least one edit.
pub fn fold(original: &str) -> Option<NormText> {
    let folds = FOLDS.get()?;
    let mut out = NormText { text: String::with_capacity(original.len() + 8), segs: Vec::new() };
    let (mut npos, mut opos) = (0usize, 0usize);
    let mut at = 0;
    loop {
        // Skip the accepted characters in one scan (ASCII 8 bytes at a time).
        at = chars::ok_prefix(original, at);
        let Some(c) = original.get(at..).and_then(|r| r.chars().next()) else { break };
        let repl: &str = folds.get(&c)?;
        if at > opos {
            out.text.push_str(&original[opos..at]);
            out.segs.push(Seg { ns: npos, ne: npos + at - opos, os: opos, oe: at, identity: true });
            npos += at - opos;
        }
        let next = at + c.len_utf8();
        if !repl.is_empty() {
            out.text.push_str(repl);
            out.segs.push(Seg { ns: npos, ne: npos + repl.len(), os: at, oe: next, identity: false });
            npos += repl.len();
        }
        opos = next;
        at = next;
    }
    if opos < original.len() {
        out.text.push_str(&original[opos..]);
        out.segs.push(Seg { ns: npos, ne: npos + original.len() - opos, os: opos, oe: original.len(), identity: true });
    }
    Some(out)
}

impl NormText {
    /// The segment holding normalised byte `i` (`_locate`'s binary search: the last one
    /// with `ns <= i`).
    fn seg(&self, i: usize) -> Option<&Seg> {
        let k = self.segs.partition_point(|s| s.ns <= i);
        self.segs.get(k.checked_sub(1)?)
    }

    /// `NormText.span`: a half-open span of `self.text` (bytes) to the span of the original
    /// (bytes; `original_len` is its length).
    pub fn span(&self, original_len: usize, start: usize, end: usize) -> (usize, usize) {
        if start >= end {
            // Python: _locate(start)[0] if start < len(text) else len(original)
            let pos = if start < self.text.len() { self.seg(start).map_or(0, |s| self.orig_start(s, start)) } else { original_len };
            return (pos, pos);
        }
        let a = self.seg(start).map_or(0, |s| self.orig_start(s, start));
        // _locate(end - 1)[1]: byte end - 1 lies in the last character's segment.
        let b = match self.seg(end - 1) {
            Some(s) if s.identity => s.os + (end - s.ns),
            Some(s) => s.oe,
            None => a,
        };
        (a, b.max(a))
    }

    fn orig_start(&self, s: &Seg, i: usize) -> usize {
        if s.identity { s.os + (i - s.ns) } else { s.os }
    }
}

// ---- test hooks (CHARACTER offsets, as Python has them) ---------------------------------

/// Install the fold table: `{character: fold}`.
#[pyfunction]
fn install_folds(folds: &PyDict) -> PyResult<usize> {
    let mut v = Vec::with_capacity(folds.len());
    for (k, f) in folds.iter() {
        let k: String = k.extract()?;
        let mut it = k.chars();
        let (Some(c), None) = (it.next(), it.next()) else {
            return Err(pyo3::exceptions::PyValueError::new_err(format!("fold table key {k:?}: not one character")));
        };
        v.push((c, f.extract::<String>()?));
    }
    Ok(install(v))
}

/// `normalize(text)` as (text, segments in character offsets), or None when the native
/// path does not take `text`; for plain text (`text_ok`) (text, None) as `segments is None`.
#[pyfunction]
#[pyo3(name = "_test_normalize")]
fn fold_test(text: &str) -> Option<(String, Option<Vec<(usize, usize, usize, usize, bool)>>)> {
    if chars::text_ok(text) {
        return Some((text.to_string(), None));
    }
    let n = fold(text)?;
    let segs = n
        .segs
        .iter()
        .map(|s| {
            (char_offset(&n.text, s.ns), char_offset(&n.text, s.ne), char_offset(text, s.os), char_offset(text, s.oe), s.identity)
        })
        .collect();
    Some((n.text, Some(segs)))
}

/// `normalize(text).span(start, end)` in character offsets (None: not taken).
#[pyfunction]
#[pyo3(name = "_test_span")]
fn span_test(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    if chars::text_ok(text) {
        return Some((start, end));
    }
    let n = fold(text)?;
    let (bs, be) = (byte_offset(&n.text, start), byte_offset(&n.text, end));
    let (a, b) = n.span(text.len(), bs, be);
    let ca = char_offset(text, a);
    Some((ca, ca + char_len(text.get(a..b)?)))
}

pub fn register(m: &PyModule) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(install_folds, m)?)?;
    m.add_function(wrap_pyfunction!(fold_test, m)?)?;
    m.add_function(wrap_pyfunction!(span_test, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Open\u{200b}AI…" folded: "OpenAI..." (the map `_apply_edits` builds, in bytes).
    fn open_ai() -> (&'static str, NormText) {
        let original = "Open\u{200b}AI\u{2026}";
        let segs = vec![
            Seg { ns: 0, ne: 4, os: 0, oe: 4, identity: true },
            Seg { ns: 4, ne: 6, os: 7, oe: 9, identity: true },
            Seg { ns: 6, ne: 9, os: 9, oe: 12, identity: false },
        ];
        (original, NormText { text: "OpenAI...".to_string(), segs })
    }

    #[test]
    fn spans_map_to_the_original() {
        let (o, n) = open_ai();
        assert_eq!(n.span(o.len(), 0, 6), (0, 9)); // "Open\u{200b}AI"
        assert_eq!(&o[0..9], "Open\u{200b}AI");
        assert_eq!(n.span(o.len(), 4, 7), (7, 12)); // "AI." -> "AI…"
        assert_eq!(n.span(o.len(), 7, 8), (9, 12)); // inside the fold: the whole "…"
        assert_eq!(n.span(o.len(), 5, 5), (8, 8)); // empty: where it starts
        assert_eq!(n.span(o.len(), 9, 9), (o.len(), o.len())); // empty at the end
        let empty = NormText::default();
        assert_eq!(empty.span(3, 0, 0), (3, 3));
        assert_eq!(empty.span(3, 0, 2), (0, 0)); // never asked; no panic
    }
}
