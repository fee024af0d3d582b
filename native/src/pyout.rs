//! Building the Python result objects (`Match`, `Evidence`, `Amount`) cheaply.
//!
//! Why: a story's own matching takes a few microseconds natively, and handing its result to
//! Python cost about as much again when every call built an argument tuple and fresh
//! strings for constant values ("title", a rule's signal, the event names).  Here the
//! constructors (classify's `_match` / `_evidence`, `bot.types.Amount`) are still what
//! builds each object, but they are called through vectorcall (no argument tuple), with
//! strings and tuples that never change built once, at start-up.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::{AsPyPointer, IntoPyPointer};
use pyo3::types::{PyString, PyTuple};

use crate::types::Field;

/// Python objects every story reuses.
pub struct Consts {
    /// "title", "summary" (indexed by `field_idx`).
    field: [PyObject; 2],
    /// Each event rule's signal, by rule index.
    pub rule_signal: Vec<PyObject>,
    pub amount: PyObject,
    pub round: PyObject,
    pub ai_keyword: PyObject,
    pub ai_watchlist: PyObject,
    /// The events tuple for each set of event bits (`EVENT_TYPES` order).
    events: Vec<PyObject>,
    zero: PyObject,
}

#[inline]
fn field_idx(f: Field) -> usize {
    match f {
        Field::Title => 0,
        Field::Summary => 1,
    }
}

fn interned(py: Python, s: &str) -> PyObject {
    PyString::intern(py, s).into_py(py)
}

impl Consts {
    /// `signals`: the event rules' signals in rule order; `event_names`: `EVENT_TYPES`.
    pub fn new(py: Python, signals: &[&str], event_names: &[String]) -> PyResult<Consts> {
        if event_names.len() > 16 {
            return Err(pyo3::exceptions::PyValueError::new_err("too many event types"));
        }
        let events = (0..1usize << event_names.len())
            .map(|bits| {
                let names: Vec<&str> = event_names
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, e)| e.as_str())
                    .collect();
                PyTuple::new(py, names.into_iter().map(|n| PyString::intern(py, n))).into_py(py)
            })
            .collect();
        Ok(Consts {
            field: [interned(py, Field::Title.as_str()), interned(py, Field::Summary.as_str())],
            rule_signal: signals.iter().map(|s| interned(py, s)).collect(),
            amount: interned(py, "amount"),
            round: interned(py, "round"),
            ai_keyword: interned(py, "ai:keyword"),
            ai_watchlist: interned(py, "ai:watchlist"),
            events,
            zero: 0.0f64.into_py(py),
        })
    }

    #[inline]
    pub fn field(&self, f: Field) -> &PyObject {
        &self.field[field_idx(f)]
    }

    /// The events tuple for `bits` (bit i: `EVENT_TYPES[i]`).
    #[inline]
    pub fn events(&self, bits: u32) -> &PyObject {
        &self.events[bits as usize]
    }

    /// The float 0.0.
    #[inline]
    pub fn zero(&self) -> &PyObject {
        &self.zero
    }
}

/// `f(*args)` by vectorcall; `args` are borrowed.
#[inline]
pub fn vcall(py: Python, f: &PyObject, args: &[&PyObject]) -> PyResult<PyObject> {
    let mut ptrs: [*mut ffi::PyObject; 8] = [std::ptr::null_mut(); 8];
    assert!(args.len() <= ptrs.len());
    for (p, a) in ptrs.iter_mut().zip(args) {
        *p = a.as_ptr();
    }
    // SAFETY: the GIL is held (`py`), every pointer is a live object borrowed for the call,
    // and the result is a new reference (or NULL with an exception set).
    unsafe {
        let r = ffi::PyObject_Vectorcall(f.as_ptr(), ptrs.as_ptr(), args.len(), std::ptr::null_mut());
        PyObject::from_owned_ptr_or_err(py, r)
    }
}

/// A tuple owning `items` (moved in, no reference count traffic).
pub fn tuple(py: Python, items: Vec<PyObject>) -> PyObject {
    // SAFETY: PyTuple_New gives a tuple of `len` NULL slots, each filled exactly once with
    // a reference we own (PyTuple_SET_ITEM steals it).
    unsafe {
        let t = ffi::PyTuple_New(items.len() as ffi::Py_ssize_t);
        let t = PyObject::from_owned_ptr(py, t);
        for (i, item) in items.into_iter().enumerate() {
            ffi::PyTuple_SET_ITEM(t.as_ptr(), i as ffi::Py_ssize_t, item.into_ptr());
        }
        t
    }
}

/// A tuple of new strings.
pub fn str_tuple<S: AsRef<str>>(py: Python, items: &[S]) -> PyObject {
    tuple(py, items.iter().map(|s| PyString::new(py, s.as_ref()).into_py(py)).collect())
}
