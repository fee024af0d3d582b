//! The values that pass between the ported modules (Python's NamedTuples and dataclasses).
//! All offsets are BYTE offsets into the field's text (see text.rs for character windows);
//! test hooks convert them to character offsets before handing them to Python.

/// names.Run: a capitalised run, `text == field[start..end]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl Run {
    pub fn new(start: usize, end: usize, text: impl Into<String>) -> Run {
        Run { start, end, text: text.into() }
    }
}

/// watchlist.WatchHit: a watchlist mention; `entry` indexes `Watchlist::entries`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchHit {
    pub start: usize,
    pub end: usize,
    pub entry: usize,
}

/// amounts.AmountHit.
#[derive(Clone, Debug, PartialEq)]
pub struct AmountHit {
    pub start: usize,
    pub end: usize,
    pub value: f64,
    pub currency: String,
    pub scaled: bool,
    pub valuation: bool,
}

/// "title" / "summary".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Title,
    Summary,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
        }
    }
}

/// events.Hit: rule `rule` (an index into events' rule table) matched field[start..end].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    pub rule: usize,
    pub field: Field,
    pub start: usize,
    pub end: usize,
}
