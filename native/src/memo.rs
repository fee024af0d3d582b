//! A bounded memo table for pure lookups keyed by a string (canonical names, token kinds,
//! "is it an organisation", a chunk's pieces, signal strings): names recur across stories,
//! so answers are kept, and the table is emptied when it reaches its capacity (as the
//! Python matcher's memo dicts are) rather than growing with a long-running bot.
//!
//! The engine is used from one thread at a time (the GIL is held), hence `RefCell`; no
//! borrow is held while a value is computed, so a computation may use other memos.

use std::cell::RefCell;

use crate::names::FxMap;

pub struct Memo<V> {
    map: RefCell<FxMap<String, V>>,
    cap: usize,
}

impl<V> Memo<V> {
    pub fn new(cap: usize) -> Memo<V> {
        Memo { map: RefCell::new(FxMap::default()), cap }
    }

    /// `f(value)` for the value kept under `key`, without copying it; None when absent.
    pub fn with<R>(&self, key: &str, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.map.borrow().get(key).map(f)
    }

    /// Keep `value` under `key` (emptying the table first when it is full).
    pub fn put(&self, key: &str, value: V) {
        let mut map = self.map.borrow_mut();
        if map.len() >= self.cap {
            map.clear();
        }
        map.insert(key.to_string(), value);
    }
}

impl<V: Clone> Memo<V> {
    /// The value kept under `key`, else `compute()`, kept.
    pub fn get_or(&self, key: &str, compute: impl FnOnce() -> V) -> V {
        if let Some(v) = self.with(key, V::clone) {
            return v;
        }
        let v = compute();
        self.put(key, v.clone());
        v
    }
}
