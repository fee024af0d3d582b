//! Port of the matching half of bot/matcher/watchlist.py: finding watched names in a text
//! and looking a spelling up.  Everything is read from a Python `Watchlist` object (its
//! entries, its compiled `_regex`, its `_by_spelling` and `_by_folded` tables).

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::AsPyPointer;

use crate::chars;
use crate::names::FxMap;
use crate::events::LitIndex;
use crate::rx::Rx;
use crate::types::WatchHit;

/// One watchlist entry (watchlist.WatchEntry): what the port needs of it.
struct Entry {
    name: String,
    kind: String,
    ai_first: bool,
}

/// A Python `Watchlist`, for matching.
pub struct Watch {
    entries: Vec<Entry>,
    regex: Option<Rx>,
    /// Where a match can begin (see `find_all`), when every spelling begins with a word
    /// character: the spellings as literals, and their first bytes.
    starts: Option<(LitIndex, [bool; 256])>,
    by_spelling: FxMap<String, usize>,
    by_folded: FxMap<String, usize>,
}

/// The index in `entries` of each dict value (entries are found by identity, as Python's
/// `WatchHit.entry` is the very entry object; the first index wins for a repeated object).
fn index_dict(d: &PyAny, index: &HashMap<usize, usize>) -> PyResult<FxMap<String, usize>> {
    let d: &PyDict = d.downcast()?;
    let mut out = FxMap::with_capacity_and_hasher(d.len(), Default::default());
    for (k, v) in d.iter() {
        let key: String = k.extract()?;
        let i = index.get(&(v.as_ptr() as usize)).copied().ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(format!("watchlist entry for {key:?} is not in entries"))
        })?;
        out.insert(key, i);
    }
    Ok(out)
}

impl Watch {
    /// Which of this module's exact shortcuts are on (see `Names::fast_paths`; this one
    /// also depends on the watchlist: off when a spelling starts with a non-word character).
    pub fn fast_paths(&self) -> Vec<(&'static str, bool)> {
        vec![("watchlist spelling starts", self.starts.is_some())]
    }

    /// Read a Python `bot.matcher.watchlist.Watchlist`.
    pub fn from_py(watchlist: &PyAny) -> PyResult<Watch> {
        let mut entries = Vec::new();
        let mut index: HashMap<usize, usize> = HashMap::new();
        for (i, e) in watchlist.getattr("entries")?.iter()?.enumerate() {
            let e = e?;
            index.entry(e.as_ptr() as usize).or_insert(i);
            entries.push(Entry {
                name: e.getattr("name")?.extract()?,
                kind: e.getattr("kind")?.extract()?,
                ai_first: e.getattr("ai_first")?.extract()?,
            });
        }
        let rx = watchlist.getattr("_regex")?;
        let regex = if rx.is_none() { None } else { Some(Rx::from_py(rx)?) };
        let by_spelling = index_dict(watchlist.getattr("_by_spelling")?, &index)?;
        Ok(Watch {
            starts: start_filter(&by_spelling),
            by_spelling,
            by_folded: index_dict(watchlist.getattr("_by_folded")?, &index)?,
            entries,
            regex,
        })
    }

    /// Ports Watchlist.find_all(text): every whole-word, case-sensitive mention, left to
    /// right (byte offsets; `entry` indexes `entries`).
    pub fn find_all(&self, text: &str) -> Vec<WatchHit> {
        let Some(rx) = &self.regex else { return Vec::new() };
        let Some((lits, first)) = &self.starts else {
            return rx
                .find_iter(text, 0, text.len())
                .into_iter()
                .filter_map(|m| self.hit(text, m.span()))
                .collect();
        };
        // The regex (watchlist._compile: a trie of the spellings behind "\b", or with
        // "(?<!\w.)" after the first character) matches only a spelling, case-sensitively,
        // not preceded by a word character.  So it is tried (anchored) only at offsets not
        // after an ASCII word character where a spelling begins, in order: the first that
        // matches is the search's leftmost match.
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut p = 0;
        while p < b.len() {
            let c = b[p];
            if first[c as usize]
                && (p == 0 || !is_ascii_word(b[p - 1]))
                && lits.mask_at(b, p) != 0
            {
                if let Some(m) = rx.match_at(text, p) {
                    let (s, e) = m.span();
                    out.extend(self.hit(text, (s, e)));
                    p = e.max(p + 1);
                    continue;
                }
            }
            p += 1;
        }
        out
    }

    /// The hit for a match of the regex (it matches only spellings, so the lookup holds).
    #[inline]
    fn hit(&self, text: &str, (start, end): (usize, usize)) -> Option<WatchHit> {
        self.by_spelling.get(&text[start..end]).map(|&entry| WatchHit { start, end, entry })
    }

    /// Ports Watchlist.lookup(text): the entry whose name or alias equals `text` (exact case
    /// first, then folded).  For text the native path accepts (`chars::text_ok`).
    pub fn lookup(&self, text: &str) -> Option<usize> {
        let t = text.trim_matches(chars::is_space);
        if let Some(&i) = self.by_spelling.get(t) {
            return Some(i);
        }
        self.by_folded.get(&fold(t)).copied()
    }

    /// Ports Watchlist.canonical(text).
    pub fn canonical(&self, text: &str) -> String {
        match self.lookup(text) {
            Some(i) => self.entries[i].name.clone(),
            None => text.to_string(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// WatchEntry.name.
    pub fn entry_name(&self, i: usize) -> &str {
        &self.entries[i].name
    }

    /// WatchEntry.kind.
    pub fn entry_kind(&self, i: usize) -> &str {
        &self.entries[i].kind
    }

    /// WatchEntry.ai_first.
    pub fn entry_ai_first(&self, i: usize) -> bool {
        self.entries[i].ai_first
    }
}

#[inline]
fn is_ascii_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `Watch::starts`: None when some spelling does not begin with a word character (the
/// regex then begins with "\b" before a non-word character, which the filter does not
/// model; the regex is searched as it is).
fn start_filter(by_spelling: &FxMap<String, usize>) -> Option<(LitIndex, [bool; 256])> {
    let mut first = [false; 256];
    let mut spellings: Vec<&str> = Vec::with_capacity(by_spelling.len());
    for s in by_spelling.keys() {
        let c = s.chars().next()?;
        if !chars::is_word(c) {
            return None;
        }
        first[s.as_bytes()[0] as usize] = true;
        spellings.push(s);
    }
    spellings.sort_unstable(); // deterministic layout
    Some((LitIndex::new(&[(0, spellings)]), first))
}

/// Ports watchlist._fold: `" ".join(s.casefold().replace("’", "'").split())`.  On accepted
/// text casefold() == lower() (the char table only accepts such characters).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split(chars::is_space).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in w.chars() {
            let c = chars::lower(c);
            out.push(if c == '\u{2019}' { '\'' } else { c });
        }
    }
    out
}

// ---- test hooks ---------------------------------------------------------------------------
use crate::text::char_offset;

/// Test hook: a Watchlist's matching half, offsets in characters.
#[pyclass(unsendable)]
struct WatchProbe {
    watch: Watch,
}

#[pymethods]
impl WatchProbe {
    #[new]
    fn new(watchlist: &PyAny) -> PyResult<Self> {
        Ok(WatchProbe { watch: Watch::from_py(watchlist)? })
    }
    fn find_all(&self, text: &str) -> Vec<(usize, usize, usize)> {
        self.watch
            .find_all(text)
            .into_iter()
            .map(|h| (char_offset(text, h.start), char_offset(text, h.end), h.entry))
            .collect()
    }
    fn lookup(&self, text: &str) -> Option<usize> {
        self.watch.lookup(text)
    }
    fn canonical(&self, text: &str) -> String {
        self.watch.canonical(text)
    }
    /// (name, kind, ai_first) of entry `i`.
    fn entry(&self, i: usize) -> PyResult<(String, String, bool)> {
        if i >= self.watch.len() {
            return Err(pyo3::exceptions::PyIndexError::new_err(i));
        }
        Ok((self.watch.entry_name(i).into(), self.watch.entry_kind(i).into(), self.watch.entry_ai_first(i)))
    }
}

/// Register the watchlist's test hooks.
pub fn register(m: &PyModule) -> PyResult<()> {
    m.add_class::<WatchProbe>()
}
