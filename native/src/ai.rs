//! Port of bot/matcher/ai.py: the AI keyword and phrase tests (fast paths on the lowercase
//! copy).  The patterns and literal lists are read from the Python module.

use pyo3::prelude::*;

use crate::rx::Rx;
use crate::tokens::WordStarts;

/// ai.py's compiled rules.
pub struct Ai {
    keywords: Rx,
    phrase: Rx,
    phrase_subs: Vec<String>,
    keyword_starts: WordStarts,
}

impl Ai {
    /// Read AI_KEYWORDS, _AI_PHRASE, _AI_PHRASE_SUBS and _AI_KEYWORD_STARTS from bot.matcher.ai.
    pub fn load(py: Python) -> PyResult<Ai> {
        let m = py.import("bot.matcher.ai")?;
        let starts: Vec<String> = m.getattr("_AI_KEYWORD_STARTS")?.extract()?;
        Ok(Ai {
            keywords: Rx::from_py(m.getattr("AI_KEYWORDS")?)?,
            phrase: Rx::from_py(m.getattr("_AI_PHRASE")?)?,
            phrase_subs: m.getattr("_AI_PHRASE_SUBS")?.extract()?,
            keyword_starts: WordStarts::new(&starts).map_err(pyo3::exceptions::PyValueError::new_err)?,
        })
    }

    /// Ports ai.ai_phrase_low(text, low) (`low` = text.lower(), not None).
    pub fn ai_phrase_low(&self, text: &str, low: &str) -> bool {
        if !self.phrase_subs.iter().any(|s| low.contains(s.as_str())) {
            return false;
        }
        self.phrase.is_match(text)
    }

    /// Ports ai.ai_keyword_low(text, low): the span (byte offsets) of the first AI keyword.
    /// Every alternative of AI_KEYWORDS starts at a word start holding one of the start
    /// literals, so it is tried there only, in order.
    pub fn ai_keyword_low(&self, text: &str, low: &str) -> Option<(usize, usize)> {
        self.keyword_starts.find_map(low, |i| self.keywords.match_at(text, i).map(|m| m.span()))
    }

    /// Ports ai.ai_keyword(text) (the plain search; for tests).
    pub fn ai_keyword(&self, text: &str) -> Option<(usize, usize)> {
        self.keywords.search(text).map(|m| m.span())
    }
}

// ---- test hooks ---------------------------------------------------------------------------
use crate::text::char_offset;

/// Test hook: ai.py's fast paths, offsets in characters.
#[pyclass(unsendable)]
struct AiProbe {
    ai: Ai,
}

#[pymethods]
impl AiProbe {
    #[new]
    fn new(py: Python) -> PyResult<Self> {
        Ok(AiProbe { ai: Ai::load(py)? })
    }
    /// ai_keyword_low(text, text.lower()) as a character span.
    fn ai_keyword_low(&self, text: &str) -> Option<(usize, usize)> {
        let low = crate::chars::lower_str(text);
        self.ai.ai_keyword_low(text, &low).map(|(a, b)| (char_offset(text, a), char_offset(text, b)))
    }
    fn ai_keyword(&self, text: &str) -> Option<(usize, usize)> {
        self.ai.ai_keyword(text).map(|(a, b)| (char_offset(text, a), char_offset(text, b)))
    }
    fn ai_phrase_low(&self, text: &str) -> bool {
        let low = crate::chars::lower_str(text);
        self.ai.ai_phrase_low(text, &low)
    }
}

/// Register ai's test hooks.
pub fn register(m: &PyModule) -> PyResult<()> {
    m.add_class::<AiProbe>()
}
