//! Port of bot/matcher/rounds.py: the funding-round stage named in a text.

use pyo3::prelude::*;

use crate::chars;
use crate::rx::Rx;
use crate::tokens::WordStarts;

/// rounds.py's compiled rule and its group indexes.
pub struct Rounds {
    round: Rx,
    starts: Vec<String>,
    scan: WordStarts,
    g_preseed: usize,
    g_preipo: usize,
    g_series: usize,
    g_letter: usize,
    g_seed: usize,
    g_strategic: usize,
    g_growth: usize,
    g_bridge: usize,
}

fn group(rx: &Rx, name: &str) -> PyResult<usize> {
    rx.group_index(name)
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("rounds._ROUND has no group {name:?}")))
}

impl Rounds {
    /// Read _ROUND and ROUND_STARTS from bot.matcher.rounds.
    pub fn load(py: Python) -> PyResult<Rounds> {
        let m = py.import("bot.matcher.rounds")?;
        let round = Rx::from_py(m.getattr("_ROUND")?)?;
        let starts: Vec<String> = m.getattr("ROUND_STARTS")?.extract()?;
        let scan = WordStarts::new(&starts).map_err(pyo3::exceptions::PyValueError::new_err)?;
        Ok(Rounds {
            g_preseed: group(&round, "preseed")?,
            g_preipo: group(&round, "preipo")?,
            g_series: group(&round, "series")?,
            g_letter: group(&round, "letter")?,
            g_seed: group(&round, "seed")?,
            g_strategic: group(&round, "strategic")?,
            g_growth: group(&round, "growth")?,
            g_bridge: group(&round, "bridge")?,
            round,
            starts,
            scan,
        })
    }

    /// rounds.ROUND_STARTS.
    pub fn round_starts(&self) -> &[String] {
        &self.starts
    }

    /// Ports rounds.find_round(text, low, starts): the first round stage as (label, start,
    /// end), byte offsets.  `starts`, when given, are the BYTE offsets into `text` (= into
    /// `low`) where a ROUND_STARTS literal begins after a non-letter, in increasing order:
    /// classify's `_title_vetoes` takes `s.start()` of its scanner on `" " + low`, and a
    /// scanner match starts one character before the literal in the padded copy, i.e. at the
    /// literal's own offset in `low`.  None: this function finds them itself.
    pub fn find_round(&self, text: &str, low: &str, starts: Option<&[usize]>) -> Option<(String, usize, usize)> {
        let m = match starts {
            Some(starts) => starts.iter().find_map(|&i| {
                if i <= text.len() && text.is_char_boundary(i) { self.round.match_at(text, i) } else { None }
            }),
            None => self.scan.find_map(low, |i| self.round.match_at(text, i)),
        }?;
        let label = self.label(text, &m);
        Some((label, m.start(), m.end()))
    }

    /// Ports rounds._label (every labelled group is non-empty when it takes part).
    fn label(&self, text: &str, m: &crate::rx::Caps) -> String {
        let has = |g: usize| m.get(g).map_or(false, |(a, b)| b > a);
        if has(self.g_preseed) {
            return "pre-seed".into();
        }
        if has(self.g_preipo) {
            return "pre-ipo".into();
        }
        if has(self.g_series) {
            let letter = m.group(text, self.g_letter).unwrap_or("");
            return format!("series {}", chars::lower_str(letter));
        }
        if has(self.g_seed) {
            return "seed".into();
        }
        if has(self.g_strategic) {
            return "strategic".into();
        }
        if has(self.g_growth) {
            return "growth".into();
        }
        if has(self.g_bridge) {
            return "bridge".into();
        }
        "debt".into()
    }
}

// ---- test hooks ---------------------------------------------------------------------------
use crate::text::{byte_offset, char_offset};

/// Test hook: rounds.find_round, offsets in characters.
#[pyclass(unsendable)]
struct RoundsProbe {
    rounds: Rounds,
}

#[pymethods]
impl RoundsProbe {
    #[new]
    fn new(py: Python) -> PyResult<Self> {
        Ok(RoundsProbe { rounds: Rounds::load(py)? })
    }
    /// find_round(text, text.lower(), starts) with `starts` in characters.
    fn find_round(&self, text: &str, starts: Option<Vec<usize>>) -> Option<(String, usize, usize)> {
        let low = chars::lower_str(text);
        let starts: Option<Vec<usize>> = starts.map(|v| v.into_iter().map(|c| byte_offset(text, c)).collect());
        self.rounds
            .find_round(text, &low, starts.as_deref())
            .map(|(l, a, b)| (l, char_offset(text, a), char_offset(text, b)))
    }
    /// The scanner's starts, in characters.
    fn starts(&self, text: &str) -> Vec<usize> {
        let low = chars::lower_str(text);
        self.rounds.scan.all(&low).into_iter().map(|b| char_offset(text, b)).collect()
    }
    fn round_starts(&self) -> Vec<String> {
        self.rounds.round_starts().to_vec()
    }
}

/// Register rounds' test hooks.
pub fn register(m: &PyModule) -> PyResult<()> {
    m.add_class::<RoundsProbe>()
}
