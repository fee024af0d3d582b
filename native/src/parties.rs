//! Port of `bot/matcher/parties.py`: reading the parties of an event from the words around
//! its trigger (subject before the verb, object after it, investor lists).
//!
//! Every pattern and word list is read from the Python module in `PartiesData::load`.
//! Offsets are byte offsets into the field's text; Python's character windows
//! (`text[pos:pos + limit]`, `len(gap) > 40`, `first.start > m.end() + 25`) are done with
//! `text.rs`.  Where Python slices the text and matches a pattern on the slice (so `^`, `$`
//! and `\b` see the slice's ends), the port matches on the same `&str` slice.
//!
//! Runs are returned BY VALUE (clones of the Slots' runs), except `org_runs`, which returns a
//! slice of a list computed once.

use crate::chars;
use crate::names::{runs_to_py, split_ws, Names};
use crate::rx::Rx;
use crate::text::{back_chars, byte_offset, fwd_chars};
use crate::types::Run;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::cell::{Cell, OnceCell};

/// The rule data of parties.py, read once.
pub struct PartiesData {
    filler: Rx,
    stopper: Rx,
    /// `_STOPPER_READ`: the characters a `_STOPPER` match starting by offset k reads past k.
    stopper_read: usize,
    list_join: Rx,
    leading_prep: Rx,
    /// `parties.CLAUSE_BREAK` (classify uses it too).
    pub clause_break: Rx,
    before_blockers: Rx,
    investor_intro: Rx,
    investor_intro_words: Vec<String>,
    appositive_start: Rx,
    backed_by: Rx,
    investor_verb: Rx,
    investor_list_intro: Rx,
    investor_list_tail: Rx,
    investor_sentence_words: Vec<String>,
}

impl PartiesData {
    /// Read parties.py's patterns and word lists.
    pub fn load(py: Python) -> PyResult<PartiesData> {
        let m = py.import("bot.matcher.parties")?;
        let rx = |name: &str| -> PyResult<Rx> { Rx::from_py(m.getattr(name)?) };
        Ok(PartiesData {
            filler: rx("_FILLER")?,
            stopper: rx("_STOPPER")?,
            stopper_read: m.getattr("_STOPPER_READ")?.extract()?,
            list_join: rx("_LIST_JOIN")?,
            leading_prep: rx("_LEADING_PREP")?,
            clause_break: rx("CLAUSE_BREAK")?,
            before_blockers: rx("_BEFORE_BLOCKERS")?,
            investor_intro: rx("_INVESTOR_INTRO")?,
            investor_intro_words: m.getattr("_INVESTOR_INTRO_WORDS")?.extract()?,
            appositive_start: rx("_APPOSITIVE_START")?,
            backed_by: rx("_BACKED_BY")?,
            investor_verb: rx("_INVESTOR_VERB")?,
            investor_list_intro: rx("_INVESTOR_LIST_INTRO")?,
            investor_list_tail: rx("_INVESTOR_LIST_TAIL")?,
            investor_sentence_words: m.getattr("_INVESTOR_SENTENCE_WORDS")?.extract()?,
        })
    }

    /// Ports `parties.may_name_investors` (a method: the word list is rule data): false when
    /// `low` (the lowercase text) holds no investor sentence.
    pub fn may_name_investors(&self, low: &str) -> bool {
        self.investor_sentence_words.iter().any(|w| low.contains(w.as_str()))
    }
}

/// Python's `s.strip()` (Unicode whitespace).
fn py_strip(s: &str) -> &str {
    s.trim_matches(chars::is_space)
}

/// Ports `parties.Slots`: runs of one text and helpers to read slots around a position.
/// `low` is `text.lower()` (byte-aligned with `text`, see chars.rs).
pub struct Slots<'a> {
    data: &'a PartiesData,
    names: &'a Names,
    text: &'a str,
    runs: Vec<Run>,
    low: &'a str,
    /// `is_org_like(r.text)` per run, each computed on first use (0: not yet, 1: no, 2:
    /// yes), as Python asks it only of the runs a query reaches.
    org: Vec<Cell<u8>>,
    org_runs: OnceCell<Vec<Run>>,
}

impl<'a> Slots<'a> {
    pub fn new(data: &'a PartiesData, names: &'a Names, text: &'a str, runs: Vec<Run>, low: &'a str) -> Slots<'a> {
        let org = vec![Cell::new(0); runs.len()];
        Slots { data, names, text, runs, low, org, org_runs: OnceCell::new() }
    }

    /// The runs (Python's `Slots.runs`).
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// `is_org_like(self.runs[i].text)`.
    fn org(&self, i: usize) -> bool {
        let c = &self.org[i];
        match c.get() {
            0 => {
                let v = self.names.is_org_like(&self.runs[i].text);
                c.set(1 + v as u8);
                v
            }
            v => v == 2,
        }
    }

    /// Python's `self.text[a:b]` on byte offsets ("" when a >= b, clamped to the text).
    fn sl(&self, a: usize, b: usize) -> &'a str {
        let n = self.text.len();
        let (a, b) = (a.min(n), b.min(n));
        if a >= b {
            ""
        } else {
            &self.text[a..b]
        }
    }

    /// The index of `r` in the runs (Python's `self.runs.index(r)`).
    fn index_of(&self, r: &Run) -> Option<usize> {
        self.runs.iter().position(|x| x == r)
    }

    /// Ports `Slots.org_runs` (computed once; a slice of it).
    pub fn org_runs(&self) -> &[Run] {
        self.org_runs.get_or_init(|| {
            (0..self.runs.len()).filter(|&i| self.org(i)).map(|i| self.runs[i].clone()).collect()
        })
    }

    /// Ports `Slots.subject_before`: the org run that ends right before `pos` (allowing
    /// auxiliaries/adverbs).
    pub fn subject_before(&self, pos: usize) -> Option<Run> {
        self.subject_before_idx(pos).map(|i| self.runs[i].clone())
    }

    fn subject_before_idx(&self, pos: usize) -> Option<usize> {
        for i in (0..self.runs.len()).rev() {
            let r = &self.runs[i];
            if r.end > pos {
                continue;
            }
            let gap = self.sl(r.end, pos);
            if gap == " " {
                // "Acme raises": the filler, no comma (the checks below, settled).
                return if self.org(i) { Some(i) } else { None };
            }
            if gap.chars().nth(40).is_some() || self.data.filler.match_at(gap, 0).is_none() {
                return None;
            }
            if !self.org(i) {
                return None;
            }
            if py_strip(gap).starts_with(',') || gap.trim_end_matches(chars::is_space).ends_with(',') {
                return self.appositive_owner(i).or(Some(i));
            }
            return Some(i);
        }
        None
    }

    /// Ports `Slots._appositive_owner`: for "Acme, which makes Foo, raised", Acme.
    fn appositive_owner(&self, i: usize) -> Option<usize> {
        let start = self.runs[i].start;
        let comma = self.text[..start.min(self.text.len())].rfind(',')?;
        let segment = self.sl(comma + 1, start);
        self.data.appositive_start.match_at(segment, 0)?;
        self.subject_before_idx(comma + 1).or_else(|| self.run_ending_at(comma))
    }

    /// Ports `Slots._run_ending_at`.
    fn run_ending_at(&self, pos: usize) -> Option<usize> {
        (0..self.runs.len()).find(|&i| {
            let r = &self.runs[i];
            r.end <= pos
                && self.sl(r.end, pos).chars().all(|c| matches!(c, ' ' | '\'' | '’' | 's'))
                && self.org(i)
        })
    }

    /// Ports `Slots.leading_appositive`: headline-initial "Acme, an AI startup, raises ...".
    pub fn leading_appositive(&self) -> Option<Run> {
        let first = self.runs.first()?;
        // Python's `first.start > 2` counts characters.
        if self.text[..first.start].chars().take(3).count() > 2 || !self.org(0) {
            return None;
        }
        let rest = self.sl(first.end, self.text.len());
        if rest.starts_with(',') && self.data.appositive_start.match_at(&rest[1..], 0).is_some() {
            return Some(first.clone());
        }
        None
    }

    /// Ports `Slots.list_backward`: `r` and the runs joined to it on the left by commas/"and"
    /// ("A, B and C").  `r` must be one of the runs (Python raises ValueError; here: `[r]`).
    pub fn list_backward(&self, r: &Run) -> Vec<Run> {
        let mut out = vec![r.clone()];
        let Some(mut idx) = self.index_of(r) else { return out };
        while idx > 0 {
            let prev = &self.runs[idx - 1];
            let last_start = out[out.len() - 1].start;
            if self.data.list_join.match_at(self.sl(prev.end, last_start), 0).is_none() {
                break;
            }
            if !self.org(idx - 1) {
                break;
            }
            out.push(prev.clone());
            idx -= 1;
        }
        out.reverse();
        out
    }

    /// Ports `Slots.list_forward`: `r` and the runs joined to it on the right.  `r` must be
    /// one of the runs (Python raises ValueError; here: `[r]`).
    pub fn list_forward(&self, r: &Run) -> Vec<Run> {
        let mut out = vec![r.clone()];
        let Some(mut idx) = self.index_of(r) else { return out };
        while idx + 1 < self.runs.len() {
            let nxt = &self.runs[idx + 1];
            let last_end = out[out.len() - 1].end;
            if self.data.list_join.match_at(self.sl(last_end, nxt.start), 0).is_none() {
                break;
            }
            if !self.org(idx + 1) {
                break;
            }
            out.push(nxt.clone());
            idx += 1;
        }
        out
    }

    /// Ports `Slots.object_after(pos, skip_prep=..., limit=...)` (Python defaults: true, 70;
    /// `limit` counts characters): the first org run after `pos` before a clause boundary.
    pub fn object_after(&self, pos: usize, skip_prep: bool, limit: usize) -> Option<Run> {
        self.object_after_idx(pos, skip_prep, limit).map(|i| self.runs[i].clone())
    }

    fn object_after_idx(&self, pos: usize, skip_prep: bool, limit: usize) -> Option<usize> {
        let text = self.text;
        let mut pos = pos.min(text.len());
        let region_end = fwd_chars(text, pos, limit);
        if skip_prep {
            let mut skipped = "";
            while let Some(m) = self.data.leading_prep.match_at(&text[pos..region_end], 0) {
                if m.end() == 0 {
                    break;
                }
                skipped = &text[pos..pos + m.end()];
                pos += m.end();
            }
            let region = &text[pos..region_end];
            if chars::lower_str(py_strip(skipped)) == "to" && region.chars().next().map_or(false, chars::is_alpha) {
                // "deal to Use Face Recognition": "to" before a verb starts a purpose clause.
                if let Some(&(_, word)) = split_ws(region).first() {
                    if self.names.is_stop(&chars::lower_str(word)) {
                        return None;
                    }
                }
            }
        }
        // The runs are in text order: the answer is the first org run from `pos` on, if it
        // starts inside the region and before the first stopper.
        let i = (0..self.runs.len()).find(|&i| self.runs[i].start >= pos && self.org(i))?;
        let start = self.runs[i].start;
        if start >= region_end {
            return None;
        }
        let region = &text[pos..region_end];
        let k = start - pos;
        let endpos = fwd_chars(region, k, self.data.stopper_read);
        match self.data.stopper.search_in(region, 0, endpos) {
            Some(stop) if stop.start() <= k => None,
            _ => Some(i),
        }
    }

    /// Ports `Slots.first_run_after(pos, limit)` (Python default limit 45 characters).
    pub fn first_run_after(&self, pos: usize, limit: usize) -> Option<Run> {
        let r = self.runs.iter().find(|r| r.start >= pos)?;
        if r.start < fwd_chars(self.text, pos, limit) {
            Some(r.clone())
        } else {
            None
        }
    }

    /// Ports `Slots.clause_subjects`: org runs in the clause before `pos` that are not
    /// objects of a preposition.
    pub fn clause_subjects(&self, pos: usize) -> Vec<Run> {
        let text = self.text;
        let start = self.data.clause_break.find_iter(text, 0, pos).last().map_or(0, |m| m.end());
        let mut out = Vec::new();
        for (i, r) in self.runs.iter().enumerate() {
            if r.start < start || r.end > pos || !self.org(i) {
                continue;
            }
            if self.data.before_blockers.is_match_in(text, back_chars(text, r.start, 25), r.start) {
                continue;
            }
            out.push(r.clone());
        }
        out
    }

    /// Ports `Slots.inside`: org runs within `start..end`.
    pub fn inside(&self, start: usize, end: usize) -> Vec<Run> {
        (0..self.runs.len())
            .filter(|&i| self.runs[i].start >= start && self.runs[i].end <= end && self.org(i))
            .map(|i| self.runs[i].clone())
            .collect()
    }

    /// `object_after(at, skip_prep=False, limit=40)` when it starts within 25 characters of
    /// `at` (the list intro's end), as `investors_after` / `investor_sentences` read it.
    fn list_head(&self, at: usize) -> Option<usize> {
        let i = self.object_after_idx(at, false, 40)?;
        if self.runs[i].start > fwd_chars(self.text, at, 25) {
            return None;
        }
        Some(i)
    }

    /// Ports `Slots.investors_after(pos, limit)` (Python default 90 characters): investors
    /// named after a funding trigger: "led by X", "from X, Y and Z".
    pub fn investors_after(&self, pos: usize, limit: usize) -> Vec<Run> {
        let text = self.text;
        let pos = pos.min(text.len());
        let end = fwd_chars(text, pos, limit);
        // Usually none of the intro words follows the trigger: skip the regex scan.
        let window = &self.low[pos..end];
        if !self.data.investor_intro_words.iter().any(|w| window.contains(w.as_str())) {
            return Vec::new();
        }
        let Some(m) = self.data.investor_intro.search_in(text, pos, end) else { return Vec::new() };
        match self.list_head(m.end()) {
            Some(i) => self.list_forward(&self.runs[i]),
            None => Vec::new(),
        }
    }

    /// Ports `Slots.investor_sentences`: investors a round's text names in its own sentences.
    pub fn investor_sentences(&self) -> Vec<Run> {
        let text = self.text;
        if !self.data.may_name_investors(self.low) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for m in self.data.investor_verb.find_iter(text, 0, text.len()) {
            if let Some(i) = self.subject_before_idx(m.start()) {
                out.extend(self.list_backward(&self.runs[i]));
            }
        }
        for m in self.data.investor_list_intro.find_iter(text, 0, text.len()) {
            let Some(i) = self.list_head(m.end()) else { continue };
            let names = self.list_forward(&self.runs[i]);
            let last_end = names[names.len() - 1].end;
            if self.low[m.start()..m.end()].starts_with("with")
                && self.data.investor_list_tail.match_at(text, last_end).is_none()
            {
                continue; // "with Foo" alone is a partner, not an investor
            }
            out.extend(names);
        }
        out
    }

    /// Ports `Slots.investors_leading`: headline-initial "Backed by X and Y, Acme raises ...".
    pub fn investors_leading(&self) -> Vec<Run> {
        let Some(m) = self.data.backed_by.match_at(self.text, 0) else { return Vec::new() };
        match self.object_after_idx(m.end(), false, 30) {
            Some(i) => self.list_forward(&self.runs[i]),
            None => Vec::new(),
        }
    }
}

// ---- test hook --------------------------------------------------------------------------

/// Test hook: builds a Slots from a text and its runs (CHARACTER offsets) and answers a batch
/// of queries, with character offsets, as Python values.
#[pyclass(unsendable)]
pub struct PartiesProbe {
    names: Names,
    data: PartiesData,
}

fn run_py(py: Python, text: &str, r: Option<Run>) -> PyObject {
    match r {
        Some(r) => runs_to_py(text, &[r]).remove(0).into_py(py),
        None => py.None(),
    }
}

#[pymethods]
impl PartiesProbe {
    #[new]
    fn py_new(py: Python) -> PyResult<PartiesProbe> {
        Ok(PartiesProbe { names: Names::load(py)?, data: PartiesData::load(py)? })
    }

    /// `parties.may_name_investors(low)`.
    fn may_name_investors(&self, low: &str) -> bool {
        self.data.may_name_investors(low)
    }

    /// Answer `queries` (`(method, args)`, args as in Python with character offsets; a run
    /// argument is its index in `runs`) on `Slots(text, runs, text.lower())`.
    fn query(&self, py: Python, text: &str, runs: Vec<(usize, usize, String)>, queries: Vec<(String, Vec<usize>)>) -> PyResult<Vec<PyObject>> {
        let low = chars::lower_str(text);
        if low.len() != text.len() {
            return Err(PyValueError::new_err("text not taken by the native path"));
        }
        let runs: Vec<Run> = runs
            .into_iter()
            .map(|(s, e, t)| Run::new(byte_offset(text, s), byte_offset(text, e), t))
            .collect();
        let slots = Slots::new(&self.data, &self.names, text, runs, &low);
        let b = |ci: usize| byte_offset(text, ci);
        let list = |v: Vec<Run>| runs_to_py(text, &v).into_py(py);
        let mut out = Vec::with_capacity(queries.len());
        for (name, a) in queries {
            let arg = |i: usize| a.get(i).copied().ok_or_else(|| PyValueError::new_err(format!("{name}: missing argument {i}")));
            let run_arg = |i: usize| -> PyResult<Run> {
                slots.runs().get(arg(i)?).cloned().ok_or_else(|| PyValueError::new_err("run index"))
            };
            let v: PyObject = match name.as_str() {
                "org_runs" => list(slots.org_runs().to_vec()),
                "subject_before" => run_py(py, text, slots.subject_before(b(arg(0)?))),
                "leading_appositive" => run_py(py, text, slots.leading_appositive()),
                "list_backward" => list(slots.list_backward(&run_arg(0)?)),
                "list_forward" => list(slots.list_forward(&run_arg(0)?)),
                "object_after" => run_py(py, text, slots.object_after(b(arg(0)?), arg(1)? != 0, arg(2)?)),
                "first_run_after" => run_py(py, text, slots.first_run_after(b(arg(0)?), arg(1)?)),
                "clause_subjects" => list(slots.clause_subjects(b(arg(0)?))),
                "inside" => list(slots.inside(b(arg(0)?), b(arg(1)?))),
                "investors_after" => list(slots.investors_after(b(arg(0)?), arg(1)?)),
                "investor_sentences" => list(slots.investor_sentences()),
                "investors_leading" => list(slots.investors_leading()),
                _ => return Err(PyValueError::new_err(format!("unknown query {name}"))),
            };
            out.push(v);
        }
        Ok(out)
    }
}

/// Register parties' test hooks on the `_native` module.
pub fn register(m: &PyModule) -> PyResult<()> {
    m.add_class::<PartiesProbe>()
}
