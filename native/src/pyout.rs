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

/// A result constructor (classify's `_match` / `_evidence`, `bot.types.Amount`).
///
/// When it is the function `classify._fast_constructor` generates (`o = _new(_cls)`, then
/// `_set_<field>(o, <field>)` for each parameter, referring to no other global), its steps
/// are run here with the very objects it holds: `_new` (`object.__new__`) through
/// `object`'s `tp_new`, each `_set_<field>` (a member descriptor's `__set__`) through the
/// descriptor type's `tp_descr_set`.  Same object, same slots, without interpreting the
/// function's frame (most of a story's cost on the Python side).  Any other constructor is
/// called as it is.
pub struct Ctor {
    f: PyObject,
    fast: Option<Fast>,
}

struct Fast {
    cls: PyObject,
    /// The member descriptors, in parameter order.
    descrs: Vec<PyObject>,
    /// Each descriptor's slot offset in the instance, when every one is a writable object
    /// slot (`T_OBJECT_EX`): `PyMember_SetOne`'s own store is then done here directly.
    offsets: Option<Vec<isize>>,
    empty: PyObject,
}

/// structmember.h's `T_OBJECT_EX` and `READONLY`.
const T_OBJECT_EX: i32 = 16;
const READONLY: i32 = 1;

/// The slot offset a `member_descriptor` writes, when it is a writable object slot.
///
/// SAFETY: `descr` must be a `member_descriptor` (a `PyMemberDescrObject`; pyo3-ffi types
/// its `d_member` as a getset pointer: it is the `PyMemberDef` of structmember.h).
unsafe fn member_offset(descr: *mut ffi::PyObject) -> Option<isize> {
    let d = descr as *mut ffi::PyMemberDescrObject;
    let m = (*d).d_member as *const ffi::structmember::PyMemberDef;
    if m.is_null() {
        return None;
    }
    let m = &*m;
    if m.type_code != T_OBJECT_EX || m.flags & READONLY != 0 || m.offset <= 0 {
        return None;
    }
    Some(m.offset as isize)
}

impl Ctor {
    pub fn new(py: Python, f: PyObject) -> PyResult<Ctor> {
        let fast = Fast::detect(py, f.as_ref(py)).unwrap_or(None);
        Ok(Ctor { f, fast })
    }

    /// Does this constructor run natively (for tests and the start-up log)?
    pub fn is_fast(&self) -> bool {
        self.fast.is_some()
    }

    /// `f(*args)`.
    #[inline]
    pub fn call(&self, py: Python, args: &[&PyObject]) -> PyResult<PyObject> {
        match &self.fast {
            Some(fast) if fast.descrs.len() == args.len() => fast.build(py, args),
            _ => vcall(py, &self.f, args),
        }
    }
}

impl Fast {
    /// The steps of a `_fast_constructor` function, or None when `f` is something else.
    fn detect(py: Python, f: &PyAny) -> PyResult<Option<Fast>> {
        if !f.hasattr("__code__")? || !f.hasattr("__globals__")? {
            return Ok(None);
        }
        let code = f.getattr("__code__")?;
        let name: String = code.getattr("co_name")?.extract()?;
        let argc: usize = code.getattr("co_argcount")?.extract()?;
        let varnames: Vec<String> = code.getattr("co_varnames")?.extract()?;
        let mut globals: Vec<String> = code.getattr("co_names")?.extract()?;
        if name != "make" || varnames.len() < argc || f.getattr("__defaults__")?.is_true()? {
            return Ok(None);
        }
        let params = &varnames[..argc];
        // The body refers to `_new`, `_cls` and one setter per parameter, nothing else.
        let mut want: Vec<String> = vec!["_new".into(), "_cls".into()];
        want.extend(params.iter().map(|p| format!("_set_{p}")));
        globals.sort();
        want.sort();
        if globals != want {
            return Ok(None);
        }
        let g = f.getattr("__globals__")?;
        let object_new = py.import("builtins")?.getattr("object")?.getattr("__new__")?;
        if !g.get_item("_new")?.is(object_new) {
            return Ok(None);
        }
        let cls = g.get_item("_cls")?;
        if !cls.is_instance_of::<pyo3::types::PyType>()? {
            return Ok(None);
        }
        let member_descriptor = py.import("types")?.getattr("MemberDescriptorType")?;
        let cls_dict = cls.getattr("__dict__")?;
        let mut descrs = Vec::with_capacity(argc);
        for p in params {
            let setter = g.get_item(format!("_set_{p}").as_str())?;
            let descr = setter.getattr("__self__")?;
            if !descr.get_type().is(member_descriptor) || !cls_dict.get_item(p.as_str())?.is(descr)
                || setter.getattr("__name__")?.extract::<String>()? != "__set__"
            {
                return Ok(None);
            }
            descrs.push(descr.into_py(py));
        }
        // SAFETY: each is a member_descriptor (checked above).
        let offsets: Option<Vec<isize>> = descrs.iter().map(|d| unsafe { member_offset(d.as_ptr()) }).collect();
        Ok(Some(Fast { cls: cls.into_py(py), descrs, offsets, empty: pyo3::types::PyTuple::empty(py).into_py(py) }))
    }

    /// `o = object.__new__(cls)`; `descr.__set__(o, arg)` for each field.
    fn build(&self, py: Python, args: &[&PyObject]) -> PyResult<PyObject> {
        // SAFETY: the GIL is held; `cls` is a type whose instances `object.__new__` makes
        // (checked in `detect`: the constructor itself calls it); every descriptor is a
        // `member_descriptor` of `cls`, whose `tp_descr_set` is what its `__set__` calls.
        unsafe {
            let tp_new = (*std::ptr::addr_of_mut!(ffi::PyBaseObject_Type)).tp_new;
            let Some(tp_new) = tp_new else { return Err(pyo3::exceptions::PyTypeError::new_err("object has no tp_new")) };
            let o = tp_new(self.cls.as_ptr() as *mut ffi::PyTypeObject, self.empty.as_ptr(), std::ptr::null_mut());
            let o = PyObject::from_owned_ptr_or_err(py, o)?;
            if let Some(offsets) = &self.offsets {
                // PyMember_SetOne for T_OBJECT_EX: the slot takes a new reference (it is
                // NULL in a fresh instance; any old value is released as there).
                for (&off, a) in offsets.iter().zip(args) {
                    let slot = (o.as_ptr() as *mut u8).offset(off) as *mut *mut ffi::PyObject;
                    let v = a.as_ptr();
                    ffi::Py_INCREF(v);
                    let old = *slot;
                    *slot = v;
                    ffi::Py_XDECREF(old);
                }
                return Ok(o);
            }
            for (d, a) in self.descrs.iter().zip(args) {
                let set = (*ffi::Py_TYPE(d.as_ptr())).tp_descr_set;
                let Some(set) = set else { return Err(pyo3::exceptions::PyTypeError::new_err("descriptor has no __set__")) };
                if set(d.as_ptr(), o.as_ptr(), a.as_ptr()) < 0 {
                    return Err(PyErr::fetch(py));
                }
            }
            Ok(o)
        }
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
