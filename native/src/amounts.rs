//! Port of bot/matcher/amounts.py: money amounts with their currency, and whether the
//! context marks them as a valuation.  Patterns and the currency / scale tables are read
//! from the Python module.

use std::collections::HashMap;

use pyo3::prelude::*;

use crate::chars;
use crate::rx::{Caps, Rx};
use crate::text::{back_chars, fwd_chars};
use crate::types::AmountHit;

/// amounts.py's compiled rules and tables.
pub struct Amounts {
    near: Rx,
    valuation_after: Rx,
    valued_at: Rx,
    prefix: HashMap<String, String>,
    suffix: HashMap<String, String>,
    scale: HashMap<String, f64>,
    lead: usize,
    g_amt: usize,
    g_pre: usize,
    g_num: usize,
    g_scale: usize,
    g_suf: usize,
}

fn group(rx: &Rx, name: &str) -> PyResult<usize> {
    rx.group_index(name).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!("amounts._AMOUNT_NEAR has no group {name:?}"))
    })
}

impl Amounts {
    /// Read _AMOUNT_NEAR, _VALUATION_AFTER, _VALUED_AT, _PREFIX, _SUFFIX, _SCALE and _LEAD
    /// from bot.matcher.amounts.
    pub fn load(py: Python) -> PyResult<Amounts> {
        let m = py.import("bot.matcher.amounts")?;
        let near = Rx::from_py(m.getattr("_AMOUNT_NEAR")?)?;
        Ok(Amounts {
            g_amt: group(&near, "amt")?,
            g_pre: group(&near, "pre")?,
            g_num: group(&near, "num")?,
            g_scale: group(&near, "scale")?,
            g_suf: group(&near, "suf")?,
            near,
            valuation_after: Rx::from_py(m.getattr("_VALUATION_AFTER")?)?,
            valued_at: Rx::from_py(m.getattr("_VALUED_AT")?)?,
            prefix: m.getattr("_PREFIX")?.extract()?,
            suffix: m.getattr("_SUFFIX")?.extract()?,
            scale: m.getattr("_SCALE")?.extract()?,
            lead: m.getattr("_LEAD")?.extract()?,
        })
    }

    /// Ports amounts.find_amounts(text, low): every money amount with a currency, left to
    /// right (byte offsets).
    ///
    /// As in Python, the scan jumps from digit run to digit run: the leftmost amount match
    /// starting in `run start - _LEAD .. run start` (characters) is `_AMOUNT_NEAR` matched
    /// there, and `pos` is where `_AMOUNT.finditer` would resume.
    pub fn find_amounts(&self, text: &str, low: &str) -> Vec<AmountHit> {
        let mut hits = Vec::new();
        let mut pos = 0usize;
        let mut prev_digit = false;
        for (d, c) in text.char_indices() {
            // _DIGIT_RUN = "\d\d*": the starts of maximal runs of decimal digits.
            let digit = chars::is_decimal(c);
            let run_start = digit && !prev_digit;
            prev_digit = digit;
            if !run_start || d < pos {
                continue;
            }
            let from = back_chars(text, d, self.lead).max(pos);
            let Some(m) = self.near.match_at(text, from) else { continue };
            let Some((start, end)) = m.get(self.g_amt) else { continue };
            pos = end;
            if let Some(hit) = self.hit(text, low, &m, start, end) {
                hits.push(hit);
            }
        }
        hits
    }

    /// Ports amounts._hit.
    fn hit(&self, text: &str, low: &str, m: &Caps, start: usize, end: usize) -> Option<AmountHit> {
        let pre = m.group(text, self.g_pre);
        let suf = m.group(text, self.g_suf);
        let scale = m.group(text, self.g_scale);
        if pre.is_none() && suf.is_none() {
            return None; // a bare number
        }
        let currency = self.currency(pre, suf, scale)?;
        let num = m.group(text, self.g_num)?;
        let mut value = py_float(num)?;
        let scaled = scale.map_or(false, |s| !s.is_empty());
        if let Some(s) = scale.filter(|s| !s.is_empty()) {
            value *= *self.scale.get(&s.to_ascii_lowercase())?;
        }
        Some(AmountHit {
            start,
            end,
            value: py_round2(value),
            currency,
            scaled,
            valuation: self.is_valuation(text, low, start, end),
        })
    }

    /// Ports amounts._currency.  (The groups' letters are ASCII: the table refuses the
    /// characters IGNORECASE equates with ASCII letters, so `upper`/`lower` are ASCII here.)
    fn currency(&self, pre: Option<&str>, suf: Option<&str>, scale: Option<&str>) -> Option<String> {
        if let Some(pre) = pre {
            return self
                .prefix
                .get(pre)
                .filter(|c| !c.is_empty())
                .or_else(|| self.prefix.get(&pre.to_ascii_uppercase()))
                .cloned();
        }
        let code = self.suffix.get(&suf?.to_ascii_lowercase()).cloned();
        if code.is_none() {
            if let Some(s) = scale.filter(|s| !s.is_empty()) {
                if matches!(s.to_ascii_lowercase().as_str(), "crore" | "crores" | "cr" | "lakh" | "lakhs") {
                    return Some("INR".into());
                }
            }
        }
        code
    }

    /// Ports amounts._is_valuation (the `low is not None` branch).  The two context regexes
    /// run on the slices `text[end:hi]` and `text[lo:start]`, as in Python (their "^" / "$"
    /// anchor at the slice's ends).
    fn is_valuation(&self, text: &str, low: &str, start: usize, end: usize) -> bool {
        let lo = back_chars(text, start, 30);
        let hi = fwd_chars(text, end, 40);
        let after_low = &low[end..hi];
        let may_after =
            after_low.contains("valuation") || after_low.contains("company") || after_low.contains("market");
        let may_before = low[lo..start].contains("valu");
        if may_after && self.valuation_after.match_at(&text[end..hi], 0).is_some() {
            return true;
        }
        may_before && self.valued_at.is_match(&text[lo..start])
    }
}

/// Python's `float(num.replace(",", ""))` for a `\d`-run number ("1,234.5").  Python's
/// float() is correctly rounded, as is Rust's parse; non-ASCII decimal digits (which
/// float() accepts) are handed to Python itself.
fn py_float(num: &str) -> Option<f64> {
    let plain: String = num.chars().filter(|&c| c != ',').collect();
    if plain.is_ascii() {
        return plain.parse::<f64>().ok();
    }
    Python::with_gil(|py| {
        let f = py.import("builtins").ok()?.getattr("float").ok()?;
        f.call1((plain.as_str(),)).ok()?.extract::<f64>().ok()
    })
}

/// Python's `round(x, 2)`: the value correctly rounded to two decimals (ties to even on
/// the exact binary value, as CPython's dtoa mode 3), read back as a float.  Rust's `{:.2}`
/// formats from the exact binary value with the same tie rule.
pub fn py_round2(x: f64) -> f64 {
    if !x.is_finite() || x.abs() >= 1e16 || x.fract() == 0.0 {
        return x; // already integral (or inf/nan): round() returns it unchanged
    }
    format!("{x:.2}").parse::<f64>().unwrap_or(x)
}

/// Ports amounts.is_bare_price(hit).
pub fn is_bare_price(hit: &AmountHit) -> bool {
    !hit.scaled && hit.value < 100_000.0
}

// ---- test hooks ---------------------------------------------------------------------------
use crate::text::char_offset;

/// Test hook: amounts.find_amounts, offsets in characters.
#[pyclass(unsendable)]
struct AmountsProbe {
    amounts: Amounts,
}

type HitTuple = (usize, usize, f64, String, bool, bool);

#[pymethods]
impl AmountsProbe {
    #[new]
    fn new(py: Python) -> PyResult<Self> {
        Ok(AmountsProbe { amounts: Amounts::load(py)? })
    }
    /// find_amounts(text, text.lower()) as (start, end, value, currency, scaled, valuation, bare).
    fn find_amounts(&self, text: &str) -> Vec<(HitTuple, bool)> {
        let low = chars::lower_str(text);
        self.amounts
            .find_amounts(text, &low)
            .into_iter()
            .map(|h| {
                let bare = is_bare_price(&h);
                ((char_offset(text, h.start), char_offset(text, h.end), h.value, h.currency, h.scaled, h.valuation), bare)
            })
            .collect()
    }
    #[staticmethod]
    fn round2(x: f64) -> f64 {
        py_round2(x)
    }
}

/// Register amounts' test hooks.
pub fn register(m: &PyModule) -> PyResult<()> {
    m.add_class::<AmountsProbe>()
}
