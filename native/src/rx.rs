//! Python `re` patterns run by PCRE2 (JIT), with `re.Pattern`'s search / match / finditer
//! semantics.
//!
//! Why PCRE2: the rules are written for Python's backtracking engine (lookbehinds, lazy
//! quantifiers, leftmost-first alternation, captures).  PCRE2 is a backtracking engine with
//! the same semantics for every construct the rules use, and its JIT runs them 6-7x faster
//! than `re` on the corpus; the `regex` crate has no lookaround, and `fancy-regex` was slower
//! than `re` on the veto patterns (measured while choosing; see native/README.md).
//!
//! The pattern text itself comes from the Python modules (`Rx::from_py` reads a compiled
//! `re.Pattern`'s `.pattern` and `.flags`), so a rule is written once, in Python.
//! `translate` rewrites the few spellings PCRE2 reads differently.
//!
//! Offsets are byte offsets into the `&str` (see text.rs for character windows).

use pcre2::bytes::{CaptureLocations, Regex, RegexBuilder};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;

// re module flag values (re.RegexFlag).
const RE_IGNORECASE: u32 = 2;
const RE_MULTILINE: u32 = 8;
const RE_DOTALL: u32 = 16;
const RE_VERBOSE: u32 = 64;
const RE_ASCII: u32 = 256;

/// A compiled pattern: unanchored (search) and anchored at the start offset (match).
pub struct Rx {
    search: Regex,
    anchored: Regex,
    names: HashMap<String, usize>,
    ngroups: usize,
    /// Capture slots reused across calls (the engine is used from one thread at a time:
    /// the GIL is held while classifying).
    locs: RefCell<Option<(CaptureLocations, CaptureLocations)>>,
    pub pattern: String,
}

/// One match: group spans (byte offsets), group 0 the whole match.
///
/// Patterns of up to `INLINE` groups (nearly all) keep the spans inline: a match costs no
/// allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caps {
    n: usize,
    inline: [(usize, usize); INLINE],
    more: Vec<Option<(usize, usize)>>,
}

const INLINE: usize = 6;
/// An inline span for a group that did not take part.
const UNSET: (usize, usize) = (usize::MAX, usize::MAX);

impl Caps {
    fn from_locs(n: usize, locs: &CaptureLocations) -> Caps {
        if n <= INLINE {
            let mut inline = [UNSET; INLINE];
            for (i, slot) in inline.iter_mut().enumerate().take(n) {
                if let Some(sp) = locs.get(i) {
                    *slot = sp;
                }
            }
            Caps { n, inline, more: Vec::new() }
        } else {
            Caps { n, inline: [UNSET; INLINE], more: (0..n).map(|i| locs.get(i)).collect() }
        }
    }

    /// The whole match's span (group 0 always takes part in a match).
    #[inline]
    pub fn span(&self) -> (usize, usize) {
        self.get(0).unwrap_or((0, 0))
    }
    #[inline]
    pub fn start(&self) -> usize {
        self.span().0
    }
    #[inline]
    pub fn end(&self) -> usize {
        self.span().1
    }
    /// Python's `m.span(i)` (None when the group did not take part).
    #[inline]
    pub fn get(&self, i: usize) -> Option<(usize, usize)> {
        if i >= self.n {
            return None;
        }
        if self.n <= INLINE {
            let sp = self.inline[i];
            if sp == UNSET { None } else { Some(sp) }
        } else {
            self.more[i]
        }
    }
    /// Python's `m.group(i)` on `text`.
    #[inline]
    pub fn group<'t>(&self, text: &'t str, i: usize) -> Option<&'t str> {
        self.get(i).map(|(a, b)| &text[a..b])
    }
}

/// Rewrite the Python-only spellings of a pattern for PCRE2.
///
/// * `\Z` (Python: end of string only) is PCRE2's `\z` (PCRE2's `\Z` also matches before a
///   final newline);
/// * `{,n}` (Python: `{0,n}`) is literal text to PCRE2 10.42;
/// * `\uXXXX` / `\UXXXXXXXX` (Python escapes) are PCRE2's `\x{...}`.
///
/// Escapes and character classes are walked so that `\\Z` or `[{,]` are left alone.
pub fn translate(p: &str) -> String {
    let b: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < b.len() {
        let c = b[i];
        if c == '\\' && i + 1 < b.len() {
            let n = b[i + 1];
            if n == 'Z' && !in_class {
                out.push_str("\\z");
                i += 2;
                continue;
            }
            if (n == 'u' && i + 6 <= b.len())
                || (n == 'U' && i + 10 <= b.len())
            {
                let len = if n == 'u' { 4 } else { 8 };
                let hex: String = b[i + 2..i + 2 + len].iter().collect();
                if hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    out.push_str("\\x{");
                    out.push_str(&hex);
                    out.push('}');
                    i += 2 + len;
                    continue;
                }
            }
            out.push(c);
            out.push(n);
            i += 2;
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c == '[' {
            in_class = true;
            out.push(c);
            i += 1;
            // A ']' (or '^]') right after '[' is a literal member, as in Python.
            if i < b.len() && b[i] == '^' {
                out.push('^');
                i += 1;
            }
            if i < b.len() && b[i] == ']' {
                out.push(']');
                i += 1;
            }
            continue;
        }
        if c == '{' && i + 1 < b.len() && b[i + 1] == ',' {
            // "{,n}" -> "{0,n}" when it is a quantifier ("{," digits "}").
            let mut j = i + 2;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > i + 2 && j < b.len() && b[j] == '}' {
                out.push_str("{0");
                i += 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn build(pattern: &str, flags: u32) -> Result<Regex, String> {
    let mut b = RegexBuilder::new();
    b.utf(true)
        .ucp(flags & RE_ASCII == 0)
        .caseless(flags & RE_IGNORECASE != 0)
        .multi_line(flags & RE_MULTILINE != 0)
        .dotall(flags & RE_DOTALL != 0)
        .extended(flags & RE_VERBOSE != 0)
        .jit_if_available(true);
    // SAFETY: every subject is a &str, hence valid UTF-8, so PCRE2's own check is redundant.
    unsafe {
        b.disable_utf_check();
    }
    b.build(pattern).map_err(|e| format!("PCRE2 cannot compile {pattern:?}: {e}"))
}

impl Rx {
    /// Compile a Python pattern (text as written for `re`, `re` flag bits).
    pub fn new(pattern: &str, flags: u32) -> Result<Rx, String> {
        let t = translate(pattern);
        let search = build(&t, flags)?;
        let anchored = build(&format!("\\G(?:{t})"), flags)?;
        let mut names = HashMap::new();
        for (i, n) in search.capture_names().iter().enumerate() {
            if let Some(n) = n {
                names.insert(n.clone(), i);
            }
        }
        let ngroups = search.captures_len();
        Ok(Rx { search, anchored, names, ngroups, locs: RefCell::new(None), pattern: pattern.to_string() })
    }

    /// The compiled `re.Pattern` `obj`, read from its `.pattern` and `.flags`.
    pub fn from_py(obj: &PyAny) -> PyResult<Rx> {
        let pattern: String = obj.getattr("pattern")?.extract()?;
        let flags: u32 = obj.getattr("flags")?.extract()?;
        Rx::new(&pattern, flags).map_err(PyValueError::new_err)
    }

    /// Compile Python pattern text with no flags (PyValueError on failure).
    pub fn py_new(pattern: &str) -> PyResult<Rx> {
        Rx::new(pattern, 0).map_err(PyValueError::new_err)
    }

    /// The index of the named group (Python's `m.group("name")`).
    pub fn group_index(&self, name: &str) -> Option<usize> {
        self.names.get(name).copied()
    }

    fn run(&self, anchored: bool, text: &str, pos: usize, endpos: usize) -> Option<Caps> {
        let endpos = endpos.min(text.len());
        if pos > endpos {
            return None;
        }
        let subject = &text.as_bytes()[..endpos];
        let mut slot = self.locs.borrow_mut();
        if slot.is_none() {
            *slot = Some((self.search.capture_locations(), self.anchored.capture_locations()));
        }
        let (ls, la) = slot.as_mut().unwrap();
        let (re, locs) = if anchored { (&self.anchored, la) } else { (&self.search, ls) };
        match re.captures_read_at(locs, subject, pos) {
            Ok(Some(_)) => {
                Some(Caps::from_locs(self.ngroups, locs))
            }
            // A match error (resource limit) counts as no match, as the safe outcome.
            _ => None,
        }
    }

    /// Python's `rx.search(text, pos, endpos)`.
    #[inline]
    pub fn search_in(&self, text: &str, pos: usize, endpos: usize) -> Option<Caps> {
        self.run(false, text, pos, endpos)
    }
    /// Python's `rx.search(text)`.
    #[inline]
    pub fn search(&self, text: &str) -> Option<Caps> {
        self.run(false, text, 0, text.len())
    }
    /// Python's `rx.search(text) is not None`, without building the spans.
    #[inline]
    pub fn is_match(&self, text: &str) -> bool {
        self.search.is_match(text.as_bytes()).unwrap_or(false)
    }
    /// Python's `rx.search(text, pos, endpos) is not None`, without building the spans.
    #[inline]
    pub fn is_match_in(&self, text: &str, pos: usize, endpos: usize) -> bool {
        let endpos = endpos.min(text.len());
        pos <= endpos && self.search.is_match_at(&text.as_bytes()[..endpos], pos).unwrap_or(false)
    }
    /// Python's `rx.match(text, pos)`.
    #[inline]
    pub fn match_at(&self, text: &str, pos: usize) -> Option<Caps> {
        self.run(true, text, pos, text.len())
    }
    /// Python's `rx.match(text, pos, endpos)`.
    #[inline]
    pub fn match_in(&self, text: &str, pos: usize, endpos: usize) -> Option<Caps> {
        self.run(true, text, pos, endpos)
    }
    /// The spans of `list(rx.finditer(text, pos))` for a pattern whose matches are never
    /// empty, trying it (anchored) only at the offsets where `may_start(bytes, p)` holds.
    ///
    /// Exact when `may_start` is false only where no match can begin: the first offset, in
    /// order, where the anchored pattern matches is the leftmost match a search finds.
    /// Cheaper than a search when PCRE2 would try a lookbehind at nearly every byte.
    pub fn find_iter_where(&self, text: &str, pos: usize, may_start: impl Fn(&[u8], usize) -> bool)
        -> Vec<(usize, usize)> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut p = pos;
        while p < b.len() {
            if may_start(b, p) {
                if let Some(m) = self.match_at(text, p) {
                    let (s, e) = m.span();
                    out.push((s, e));
                    p = e.max(p + 1); // (never empty: e > p; max() guards a pattern that is)
                    continue;
                }
            }
            p += 1;
        }
        out
    }

    /// Python's `list(rx.finditer(text, pos, endpos))`.
    ///
    /// After an empty match at p the next search starts at p but must not return an empty
    /// match at p again (Python 3.7+): it is retried one character further on when it does.
    pub fn find_iter(&self, text: &str, pos: usize, endpos: usize) -> Vec<Caps> {
        let endpos = endpos.min(text.len());
        let mut out = Vec::new();
        let mut at = pos;
        let mut last_empty_at: Option<usize> = None;
        while at <= endpos {
            let Some(c) = self.run(false, text, at, endpos) else { break };
            let (s, e) = c.span();
            if s == e && last_empty_at == Some(s) {
                // Python's "must advance": no second empty match at one offset.
                match text[s..endpos].chars().next() {
                    Some(ch) => {
                        at = s + ch.len_utf8();
                        last_empty_at = None;
                        continue;
                    }
                    None => break,
                }
            }
            last_empty_at = if s == e { Some(e) } else { None };
            at = e;
            out.push(c);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_python_spellings() {
        assert_eq!(translate(r"a\Z"), r"a\z");
        assert_eq!(translate(r"a{,3}"), r"a{0,3}");
        assert_eq!(translate(r"[{,]"), r"[{,]");
        assert_eq!(translate(r"\u2019"), r"\x{2019}");
        assert_eq!(translate(r"\\Z"), r"\\Z");
        assert_eq!(translate(r"[]Z]\Z"), r"[]Z]\z");
    }
}
