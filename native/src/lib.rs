//! alliance-bot's matcher, native: `bot/matcher/*.py` ported module for module.
//!
//! The Python modules stay the reference and the rule book: this crate reads their patterns
//! and word lists at start-up (nothing is copied here), and tests/test_native_classify.py
//! checks that both give the same `Match` for every story of the corpora and of fuzzed
//! variants.  bot/matcher/native.py loads it and falls back to the Python matcher for the
//! (rare) texts the port does not take (see `classify.rs`).

use pyo3::prelude::*;

pub mod chars;
pub mod memo;
pub mod classify;
pub mod events;
pub mod names;
pub mod normalize;
pub mod parties;
pub mod pyout;
pub mod rx;
pub mod text;
pub mod types;
pub mod tokens;
pub mod ai;
pub mod rounds;
pub mod amounts;
pub mod watchlist;

/// Install CPython's character table (`bot.matcher.native.char_table()`); once per process.
#[pyfunction]
fn install_chars(table: &[u8]) -> PyResult<()> {
    chars::install(table).map_err(pyo3::exceptions::PyValueError::new_err)
}

/// Does the native path take text `s` (every character accepted by the table)?
#[pyfunction]
fn text_ok(s: &str) -> bool {
    chars::text_ok(s)
}

#[pymodule]
fn _native(py: Python, m: &PyModule) -> PyResult<()> {
    let _ = py;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(install_chars, m)?)?;
    m.add_function(wrap_pyfunction!(text_ok, m)?)?;
    events::register(m)?;
    classify::register(m)?;
    tokens::register(m)?;
    ai::register(m)?;
    rounds::register(m)?;
    amounts::register(m)?;
    watchlist::register(m)?;
    names::register(m)?;
    parties::register(m)?;
    normalize::register(m)?;
    Ok(())
}
