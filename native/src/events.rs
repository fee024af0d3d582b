//! Port of `bot/matcher/events.py`: the event rules (read from `events.RULES` at start-up)
//! and `find_hits`, with the same prefilters (gate bits, start literals at word starts,
//! `_RULE_PRE` necessary conditions, the background-literal gate).  Rules without start
//! literals whose every alternative begins with a bounded `_NAME` are tried only where a name
//! can begin (`Heads`, derived from the pattern at start-up, off when the pattern changes).
//!
//! Offsets are byte offsets into the field text; the lowercase copy `low` is byte-aligned
//! with it (see chars.rs).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::chars;
use crate::rx::Rx;
use crate::text::{back_chars, char_offset};
use crate::types::{Field, Hit};

/// How parties are read around a rule's match (`Rule.role`, see classify.py).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Raise,
    InvestorSubject,
    InvestmentNoun,
    Pair,
    Acq,
    Sell,
    AcqNoun,
    /// A role classify.py has no branch for (it then finds no parties).
    Other,
}

impl Role {
    fn parse(s: &str) -> Role {
        match s {
            "raise" => Role::Raise,
            "investor-subject" => Role::InvestorSubject,
            "investment-noun" => Role::InvestmentNoun,
            "pair" => Role::Pair,
            "acq" => Role::Acq,
            "sell" => Role::Sell,
            "acq-noun" => Role::AcqNoun,
            _ => Role::Other,
        }
    }
}

/// Lowercase literals, one of which every match of a pattern starts with (`_STARTS`),
/// bucketed by first byte: `at(low, i)` is "some literal starts at `i`".
pub struct Lits {
    buckets: Vec<Vec<Box<[u8]>>>,
}

impl Lits {
    pub fn new<S: AsRef<str>>(lits: &[S]) -> Lits {
        let mut buckets: Vec<Vec<Box<[u8]>>> = (0..256).map(|_| Vec::new()).collect();
        for l in lits {
            let b = l.as_ref().as_bytes();
            if let Some(&f) = b.first() {
                buckets[f as usize].push(b.into());
            }
        }
        Lits { buckets }
    }

    /// Does one of the literals start at byte `i` of `low`?
    #[inline]
    pub fn at(&self, low: &[u8], i: usize) -> bool {
        match low.get(i) {
            Some(&f) => self.buckets[f as usize].iter().any(|l| prefix_at(low, i, l)),
            None => false,
        }
    }
}

/// Does `lit` occur at byte `i` of `low`?  (A byte loop: literals are a few bytes long, and
/// a call to memcmp per literal cost more than the comparison.)
#[inline]
fn prefix_at(low: &[u8], i: usize, lit: &[u8]) -> bool {
    match low.get(i..i + lit.len()) {
        Some(w) => w.iter().zip(lit).all(|(a, b)| a == b),
        None => false,
    }
}

/// One literal of a `LitIndex`: its first (up to) 8 bytes as a little-endian word and a
/// mask, so that one load and one comparison test most literals at an offset.
struct Lit {
    key: u16,
    len: usize,
    head: u64,
    mask: u64,
    /// The bytes after the first 8.
    tail: Box<[u8]>,
}

impl Lit {
    fn new(key: u16, b: &[u8]) -> Lit {
        let n = b.len().min(8);
        let mut head = 0u64;
        for (i, &c) in b[..n].iter().enumerate() {
            head |= (c as u64) << (8 * i);
        }
        let mask = if n == 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 };
        Lit { key, len: b.len(), head, mask, tail: b[n..].into() }
    }

    /// Does the literal occur at `i` of `low`, whose 8 bytes from `i` (zero-padded) are `w`?
    #[inline]
    fn at(&self, low: &[u8], i: usize, w: u64) -> bool {
        w & self.mask == self.head
            && i + self.len <= low.len()
            && (self.len <= 8 || low[i + 8..i + self.len] == *self.tail)
    }
}

/// The 8 bytes of `low` from `i`, little-endian, zero-padded past the end.
#[inline]
fn load8(low: &[u8], i: usize) -> u64 {
    match low.get(i..i + 8) {
        Some(w) => u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]),
        None => {
            let mut x = 0u64;
            for (k, &c) in low[i.min(low.len())..].iter().enumerate() {
                x |= (c as u64) << (8 * k);
            }
            x
        }
    }
}

/// Several sets of lowercase literals (each set named by a key), indexed by their first
/// three bytes: at an offset, which sets have a literal starting there.  One lookup per word
/// start replaces asking each set (a rule's `_STARTS`, a veto's start words) in turn.
pub struct LitIndex {
    /// Open addressing on the first three bytes: `prefix << 32 | (1 + group)`, 0 when free.
    table: Vec<u64>,
    shift: u32,
    /// Ranges of `lits` sharing a three-byte prefix.
    groups: Vec<(u32, u32)>,
    lits: Vec<Lit>,
    /// Literals shorter than three bytes, asked at every offset.
    short: Vec<Lit>,
    /// Bit `x` set when some literal can begin with the two bytes `x` (little-endian; a
    /// one-byte literal sets every second byte): most offsets end at this one test.
    pairs: Vec<u64>,
}

fn set_pair(pairs: &mut [u64], x: usize) {
    pairs[x >> 6] |= 1 << (x & 63);
}

#[inline]
fn slot3(prefix: u64, shift: u32) -> usize {
    (prefix.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

impl LitIndex {
    /// `sets`: (key, literals); keys must fit in u16.
    pub fn new<S: AsRef<str>>(sets: &[(usize, Vec<S>)]) -> LitIndex {
        let mut by_prefix: Vec<(u64, Vec<Lit>)> = Vec::new();
        let mut short = Vec::new();
        for (key, ls) in sets {
            for l in ls {
                let b = l.as_ref().as_bytes();
                let lit = Lit::new(*key as u16, b);
                if b.len() < 3 {
                    if !b.is_empty() {
                        short.push(lit);
                    }
                    continue;
                }
                let prefix = lit.head & 0xff_ffff;
                match by_prefix.iter_mut().find(|(p, _)| *p == prefix) {
                    Some((_, v)) => v.push(lit),
                    None => by_prefix.push((prefix, vec![lit])),
                }
            }
        }
        let size = (by_prefix.len() * 4).max(16).next_power_of_two();
        let shift = 64 - size.trailing_zeros();
        let mut pairs = vec![0u64; 65536 / 64];
        for (_, ls) in sets {
            for l in ls {
                match l.as_ref().as_bytes() {
                    [] => {}
                    [a] => (0..256usize).for_each(|c| set_pair(&mut pairs, *a as usize | c << 8)),
                    [a, b, ..] => set_pair(&mut pairs, *a as usize | (*b as usize) << 8),
                }
            }
        }
        let mut ix = LitIndex { table: vec![0; size], shift, groups: Vec::new(), lits: Vec::new(), short, pairs };
        for (prefix, v) in by_prefix {
            let start = ix.lits.len() as u32;
            ix.lits.extend(v);
            ix.groups.push((start, ix.lits.len() as u32));
            let mut k = slot3(prefix, shift);
            while ix.table[k] != 0 {
                k = (k + 1) & (size - 1);
            }
            ix.table[k] = prefix << 32 | ix.groups.len() as u64;
        }
        ix
    }

    /// Call `f(key)` for each literal starting at byte `i` of `low` (a key may come twice).
    #[inline]
    pub fn for_each_at(&self, low: &[u8], i: usize, mut f: impl FnMut(usize)) {
        if i >= low.len() {
            return;
        }
        let w = load8(low, i);
        let pair = (w & 0xffff) as usize;
        if self.pairs[pair >> 6] >> (pair & 63) & 1 == 0 {
            return;
        }
        for lit in &self.short {
            if lit.at(low, i, w) {
                f(lit.key as usize);
            }
        }
        // (Past the text's end the padding is NUL, which no literal holds.)
        let prefix = w & 0xff_ffff;
        let mask = self.table.len() - 1;
        let mut k = slot3(prefix, self.shift);
        loop {
            let e = self.table[k];
            if e == 0 {
                return;
            }
            if e >> 32 == prefix {
                let (a, b) = self.groups[(e & 0xffff_ffff) as usize - 1];
                for lit in &self.lits[a as usize..b as usize] {
                    if lit.at(low, i, w) {
                        f(lit.key as usize);
                    }
                }
                return;
            }
            k = (k + 1) & mask;
        }
    }

    /// The keys (< 64) with a literal at `i`, as a bit set.
    #[inline]
    pub fn mask_at(&self, low: &[u8], i: usize) -> u64 {
        let mut m = 0u64;
        self.for_each_at(low, i, |k| m |= 1u64.checked_shl(k as u32).unwrap_or(0));
        m
    }

    /// (key, word start) for every word start of `low` where a literal of the key begins,
    /// sorted by key then offset (each pair once).
    pub fn candidates(&self, low: &str) -> Vec<(u16, usize)> {
        self.candidates_of(low, |_| true)
    }

    /// `candidates`, for the keys where `keep(key)` only.
    pub fn candidates_of(&self, low: &str, keep: impl Fn(u16) -> bool) -> Vec<(u16, usize)> {
        let b = low.as_bytes();
        let mut out: Vec<(u16, usize)> = Vec::new();
        for_each_word_start(b, |i| {
            let mark = out.len();
            self.for_each_at(b, i, |k| {
                let k = k as u16;
                if keep(k) && !out[mark..].iter().any(|&(r, _)| r == k) {
                    out.push((k, i));
                }
            });
        });
        out.sort_by_key(|&(r, _)| r); // stable: offsets stay in order within a key
        out
    }
}

/// Call `f(i)` for each `i` of `word_starts(b)`, in order: eight bytes at a time, a mask
/// of the ASCII lowercase bytes (bit 7 of each byte) without the ones after another.
#[inline]
fn for_each_word_start(b: &[u8], mut f: impl FnMut(usize)) {
    const H: u64 = 0x8080_8080_8080_8080;
    const L: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut carry = 0u64; // bit 7 set when the previous chunk ended in a lowercase letter
    let mut base = 0;
    while base < b.len() {
        let x = load8(b, base); // zero padding is no letter
        let y = x & L;
        // 0x61..=0x7a: y + 0x1f reaches 0x80, y + 0x05 does not (no carry between bytes:
        // y <= 0x7f); bytes with bit 7 set (non-ASCII) are not letters.
        let lower = (y.wrapping_add(0x1f1f_1f1f_1f1f_1f1f)) & !(y.wrapping_add(0x0505_0505_0505_0505)) & !x & H;
        let mut starts = lower & !((lower << 8) | carry);
        carry = (lower >> 56) & 0x80;
        while starts != 0 {
            let i = base + (starts.trailing_zeros() / 8) as usize;
            f(i);
            starts &= starts - 1;
        }
        base += 8;
    }
}

/// The offsets where `tokens.word_start_scanner` stops on `" " + low`: a lowercase ASCII
/// letter not preceded by one (every scanner literal starts with such a letter).  A byte of
/// a multibyte character is never a-z, so the byte test is the character test.
pub fn word_starts(low: &str) -> Vec<usize> {
    let b = low.as_bytes();
    let mut out = Vec::new();
    let mut prev_letter = false;
    for (i, &c) in b.iter().enumerate() {
        let letter = c.is_ascii_lowercase();
        if letter && !prev_letter {
            out.push(i);
        }
        prev_letter = letter;
    }
    out
}

/// A `_RULE_PRE` entry: a necessary condition searched before the rule's full scan.
struct Pre {
    rx: Rx,
    /// Searched on `" " + low` (else on the text itself).
    on_low: bool,
    /// How far before the condition's first hit a match can start (characters; negative:
    /// back to the previous space; None: anywhere).
    back: Option<i64>,
}

/// One `events.Rule` plus what the hot loop needs.
pub struct Rule {
    pub signal: String,
    pub event: String,
    /// Index of `event` in `bot.types.EVENT_TYPES`.
    pub event_idx: usize,
    pub rx: Rx,
    pub strength: String,
    pub strong: bool,
    pub summary: bool,
    pub role_name: String,
    pub role: Role,
    pub min_parties: usize,
    pub money: bool,
    need: u128,
    /// The rule's `_STARTS` literals (None: the rule is searched for everywhere).
    start_list: Option<Vec<String>>,
    pre: Option<Pre>,
    /// For a rule without start literals: where a match can begin (None: anywhere).
    heads: Option<Heads>,
}

/// `events.py`'s rule table and gate tables.
pub struct Events {
    pub rules: Vec<Rule>,
    pub gate_word_bits: Vec<(String, u128)>,
    pub title_first_bits: u128,
    pub summary_first_bits: u128,
    pub gate_bits_mask: u128,
    summary_mask: u128,
    background_before: Rx,
    background_lits: Rx,
    /// `_BACKGROUND_LITS` by first byte, when `_BACKGROUND_LITS_RX` is their plain
    /// alternation (checked at load); None: the regex decides.
    background_set: Option<LitSet>,
    amount_next: Rx,
    start_index: LitIndex,
    /// Each rule's `need` (gate bits), by rule index.
    need: Vec<u128>,
    /// `[title][money]`: the rules that pass `_candidates`' title and money tests, as a
    /// bit set by rule index (the gate test remains).
    pre_run: [[RuleSet; 2]; 2],
}

/// A set of rule indices (`events.RULES` has at most `MAX_RULES`, checked at load).
type RuleSet = [u64; 4];
const MAX_RULES: usize = 256;

fn get_u128(m: &PyAny, name: &str) -> PyResult<u128> {
    m.getattr(name)?.extract()
}

impl Events {
    /// Which of this module's exact shortcuts are on (see `Names::fast_paths`).
    pub fn fast_paths(&self) -> Vec<(&'static str, bool)> {
        vec![
            ("events name-first rule starts", self.rules.iter().any(|r| r.heads.is_some())),
            ("events._BACKGROUND_LITS_RX literal gate", self.background_set.is_some()),
        ]
    }

    /// Read `bot.matcher.events` (RULES, the gate tables, _STARTS, _RULE_PRE, ...).
    pub fn load(py: Python) -> PyResult<Events> {
        let m = py.import("bot.matcher.events")?;
        let event_types: Vec<String> = py.import("bot.types")?.getattr("EVENT_TYPES")?.extract()?;
        let starts: &PyDict = m.getattr("_STARTS")?.downcast()?;
        let pres: &PyDict = m.getattr("_RULE_PRE")?.downcast()?;
        let needs: Vec<u128> = m.getattr("_RULE_NEED")?.extract()?;
        let name: String = m.getattr("_NAME")?.extract()?;
        let amt: String = m.getattr("AMT")?.extract()?;
        let mut rules = Vec::new();
        for (i, r) in m.getattr("RULES")?.iter()?.enumerate() {
            let r = r?;
            let signal: String = r.getattr("signal")?.extract()?;
            let event: String = r.getattr("event")?.extract()?;
            let event_idx = event_types.iter().position(|e| *e == event).ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err(format!("unknown event {event}"))
            })?;
            let strength: String = r.getattr("strength")?.extract()?;
            let role_name: String = r.getattr("role")?.extract()?;
            let lits = match starts.get_item(signal.as_str()) {
                Some(t) => Some(t.extract::<Vec<String>>()?),
                None => None,
            };
            let pre = match pres.get_item(signal.as_str()) {
                Some(t) => {
                    let t: &PyTuple = t.downcast()?;
                    Some(Pre {
                        rx: Rx::from_py(t.get_item(0)?)?,
                        on_low: t.get_item(1)?.extract()?,
                        back: t.get_item(2)?.extract()?,
                    })
                }
                None => None,
            };
            let heads = if lits.is_none() { Heads::of(r.getattr("regex")?, &name, &amt)? } else { None };
            rules.push(Rule {
                heads,
                rx: Rx::from_py(r.getattr("regex")?)?,
                event,
                event_idx,
                strong: strength == "strong",
                strength,
                summary: r.getattr("summary")?.extract()?,
                role: Role::parse(&role_name),
                role_name,
                min_parties: r.getattr("min_parties")?.extract()?,
                money: r.getattr("money")?.extract()?,
                need: needs.get(i).copied().unwrap_or(0),
                start_list: lits,
                pre,
                signal,
            });
        }
        let start_lits: Vec<(usize, Vec<String>)> = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r): (usize, &Rule)| r.start_list.clone().map(|l| (i, l)))
            .collect();
        if rules.len() > MAX_RULES {
            return Err(pyo3::exceptions::PyValueError::new_err("too many event rules"));
        }
        let need: Vec<u128> = rules.iter().map(|r: &Rule| r.need).collect();
        let mut pre_run: [[RuleSet; 2]; 2] = [[[0; 4]; 2]; 2];
        for (t, row) in pre_run.iter_mut().enumerate() {
            for (mo, set) in row.iter_mut().enumerate() {
                for (i, r) in rules.iter().enumerate() {
                    if (t == 1 || r.summary) && (mo == 1 || !r.money) {
                        set[i >> 6] |= 1 << (i & 63);
                    }
                }
            }
        }
        let gwb: &PyDict = m.getattr("GATE_WORD_BITS")?.downcast()?;
        let mut gate_word_bits = Vec::new();
        for (k, v) in gwb.iter() {
            gate_word_bits.push((k.extract()?, v.extract()?));
        }
        Ok(Events {
            rules,
            gate_word_bits,
            title_first_bits: get_u128(m, "TITLE_FIRST_BITS")?,
            summary_first_bits: get_u128(m, "SUMMARY_FIRST_BITS")?,
            gate_bits_mask: get_u128(m, "GATE_BITS_MASK")?,
            summary_mask: get_u128(m, "_SUMMARY_MASK")?,
            background_before: Rx::from_py(m.getattr("BACKGROUND_BEFORE")?)?,
            background_lits: Rx::from_py(m.getattr("_BACKGROUND_LITS_RX")?)?,
            background_set: LitSet::from_alternation(py, m.getattr("_BACKGROUND_LITS")?, m.getattr("_BACKGROUND_LITS_RX")?)?,
            amount_next: Rx::from_py(m.getattr("_AMOUNT_NEXT")?)?,
            start_index: LitIndex::new(&start_lits),
            need,
            pre_run,
        })
    }

    #[inline]
    pub fn rule(&self, i: usize) -> &Rule {
        &self.rules[i]
    }
    pub fn signal(&self, i: usize) -> &str {
        &self.rules[i].signal
    }
    pub fn event(&self, i: usize) -> &str {
        &self.rules[i].event
    }
    pub fn strength(&self, i: usize) -> &str {
        &self.rules[i].strength
    }
    pub fn role(&self, i: usize) -> Role {
        self.rules[i].role
    }
    pub fn min_parties(&self, i: usize) -> usize {
        self.rules[i].min_parties
    }

    /// Ports `events.find_hits` (the `low is not None` path): every rule match in `text`
    /// (one per rule and position), skipping background clauses, in rule order.
    pub fn find_hits(&self, text: &str, field: Field, bits: u128, money: bool, low: &str) -> Vec<Hit> {
        let title = field == Field::Title;
        let first = if title { self.title_first_bits } else { self.summary_first_bits };
        if text.is_empty() || (!money && bits & first == 0) {
            return Vec::new();
        }
        let mask = bits & if title { self.gate_bits_mask } else { self.summary_mask };
        let mut hits = Vec::new();
        let mut padded: Option<String> = None;
        let mut cands: Option<Vec<(u16, usize)>> = None;
        let mut cursor = 0;
        let mut bg_seen: Vec<(usize, bool)> = Vec::new();
        let run = self.runnable(title, money, mask);
        let runs = |k: usize| run.get(k >> 6).map_or(false, |w| w & (1 << (k & 63)) != 0);
        for ri in set_bits(&run) {
            let rule = &self.rules[ri];
            let mut pos = 0;
            if let Some(pre) = &rule.pre {
                if !pre.on_low {
                    let Some(c) = pre.rx.search(text) else { continue };
                    if let Some(back) = pre.back {
                        let at = c.start();
                        pos = if back < 0 {
                            text[..at].rfind(' ').map_or(0, |p| p + 1)
                        } else {
                            back_chars(text, at, back as usize)
                        };
                    }
                } else {
                    let p = padded.get_or_insert_with(|| format!(" {low}"));
                    if !pre.rx.is_match(p) {
                        continue;
                    }
                }
            }
            let found: Vec<(usize, usize)> = match &rule.start_list {
                None => match &rule.heads {
                    Some(h) => h.find_iter(&rule.rx, text, pos),
                    None => rule.rx.find_iter(text, pos, text.len()).iter().map(|c| c.span()).collect(),
                },
                Some(_) => {
                    // Try the rule only at the word starts holding one of its literals,
                    // keeping finditer's non-overlap.
                    // Only the rules that may run need their word starts.
                    let cs = cands.get_or_insert_with(|| {
                        let n = self.rules.len();
                        self.start_index.candidates_of(low, |k| k as usize >= n || runs(k as usize))
                    });
                    let ri16 = ri as u16;
                    while cursor < cs.len() && cs[cursor].0 < ri16 {
                        cursor += 1;
                    }
                    let mut out = Vec::new();
                    let mut end = 0;
                    while cursor < cs.len() && cs[cursor].0 == ri16 {
                        let p = cs[cursor].1;
                        cursor += 1;
                        if p < end {
                            continue;
                        }
                        if let Some(c) = rule.rx.match_at(text, p) {
                            end = c.end();
                            out.push(c.span());
                        }
                    }
                    out
                }
            };
            for (start, end) in found {
                if rule.role == Role::Acq && self.amount_next.match_at(text, end).is_some() {
                    continue; // "nabs $3M" is a raise, not a purchase
                }
                // The same offset is often a match of several rules: ask once.
                let bg = match bg_seen.iter().find(|&&(s, _)| s == start) {
                    Some(&(_, v)) => v,
                    None => {
                        let v = self.background(text, low, start);
                        bg_seen.push((start, v));
                        v
                    }
                };
                if bg {
                    continue;
                }
                hits.push(Hit { rule: ri, field, start, end });
            }
        }
        hits
    }

    /// The rules `find_hits` runs (`events._candidates(mask, title, money)`), as a set.
    fn runnable(&self, title: bool, money: bool, mask: u128) -> RuleSet {
        let mut out = self.pre_run[title as usize][money as usize];
        for (wi, w) in out.iter_mut().enumerate() {
            let mut rest = *w;
            while rest != 0 {
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                let need = self.need[wi * 64 + b];
                if mask & need != need {
                    *w &= !(1u64 << b);
                }
            }
        }
        out
    }

    /// `events._background(text, low, start)`.
    fn background(&self, text: &str, low: &str, start: usize) -> bool {
        let a = back_chars(text, start, 40);
        let lit = match &self.background_set {
            Some(set) => set.any_within(&low.as_bytes()[a..start]),
            None => self.background_lits.is_match_in(low, a, start),
        };
        lit && self.background_before.is_match_in(text, a, start)
    }
}

/// The members of `set`, in increasing order.
fn set_bits(set: &RuleSet) -> impl Iterator<Item = usize> + '_ {
    set.iter().enumerate().flat_map(|(wi, &w)| {
        let mut rest = w;
        std::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let b = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            Some(wi * 64 + b)
        })
    })
}

// ---- plain literal sets ------------------------------------------------------------------

/// Literals grouped by their first byte: "does some literal lie wholly inside this slice",
/// without a regex's per-offset alternation.
#[derive(Debug, Default)]
pub struct LitSet {
    by_first: Vec<Vec<SetLit>>,
}

/// One literal: its first (up to) 8 bytes as a little-endian word and the mask of those bytes,
/// and all its bytes.
#[derive(Debug, Clone)]
struct SetLit {
    head: u64,
    mask: u64,
    bytes: Box<[u8]>,
}

/// The (up to) 8 bytes of `hay` at `i`, little-endian, zero-padded.
#[inline]
fn word_at(hay: &[u8], i: usize) -> u64 {
    match hay.get(i..i + 8) {
        Some(w) => u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]),
        None => hay[i.min(hay.len())..].iter().rev().fold(0u64, |x, &c| (x << 8) | c as u64),
    }
}

impl LitSet {
    pub fn new(lits: &[String]) -> LitSet {
        let mut by_first: Vec<Vec<SetLit>> = vec![Vec::new(); 256];
        for l in lits {
            let b = l.as_bytes();
            if let Some(&f) = b.first() {
                let n = b.len().min(8);
                let mask = if n == 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 };
                by_first[f as usize].push(SetLit { head: word_at(b, 0) & mask, mask, bytes: b.into() });
            }
        }
        LitSet { by_first }
    }

    /// The set of `lits`, when `rx` is `re.compile("|".join(re.escape(l) for l in lits))`
    /// (no flags but re.UNICODE, no empty literal): then `rx.search(s, a, e)` finds a match
    /// exactly when some literal lies wholly inside `s[a:e]`.  Otherwise None.
    pub fn from_alternation(py: Python, lits: &PyAny, rx: &PyAny) -> PyResult<Option<LitSet>> {
        let lits: Vec<String> = lits.extract()?;
        let re = py.import("re")?;
        let mut joined = Vec::new();
        for l in &lits {
            joined.push(re.call_method1("escape", (l.as_str(),))?.extract::<String>()?);
        }
        let pattern: String = rx.getattr("pattern")?.extract()?;
        let flags: u32 = rx.getattr("flags")?.extract()?;
        let unicode: u32 = re.getattr("UNICODE")?.extract()?;
        if pattern != joined.join("|") || flags != unicode || lits.iter().any(|l| l.is_empty()) {
            return Ok(None);
        }
        Ok(Some(LitSet::new(&lits)))
    }

    /// Some literal occurs in `hay` (byte for byte; on UTF-8 text and literals a byte match
    /// is a character match).
    pub fn any_within(&self, hay: &[u8]) -> bool {
        for (i, &b) in hay.iter().enumerate() {
            let group = &self.by_first[b as usize];
            if group.is_empty() {
                continue;
            }
            let w = word_at(hay, i);
            let rest = hay.len() - i;
            for l in group {
                // The masked word test is exact for literals of up to 8 bytes (zero padding
                // cannot match a literal's byte past the end: the length is checked).
                if l.bytes.len() <= rest && w & l.mask == l.head && (l.bytes.len() <= 8 || hay[i..].starts_with(&l.bytes)) {
                    return true;
                }
            }
        }
        false
    }
}

// ---- where a rule without start literals can match --------------------------------------

/// `events._NAME` as `Heads` was written for: `name_head` tests its first character.  When
/// `_NAME` changes, no rule is filtered by it (the regex alone decides).
const NAME_HEAD: &str = r"(?:[A-Z][\w&.'’+-]*|[a-z]{1,4}[A-Z][\w.&'’-]*|\d+[A-Za-z][\w.&-]*)";
/// The head of `events.AMT`: a lookahead on its first character (`amt_head`).
const AMT_HEAD: &str = r"(?=[UCANHSRMEGDIJKBZ$€£¥₹₩₪\d])";

/// Where a match of a rule can begin, from the heads of its pattern's top-level
/// alternatives: each one `_NAME`, `\b` or `(?<![\w-])` then `_NAME`, or `(?:` then `AMT`.
/// The tests are byte tests that are false only where no match can begin, so the regex,
/// tried anchored at the remaining offsets in order, finds what `finditer` finds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Heads {
    /// Some alternative begins with `_NAME` anywhere.
    name_any: bool,
    /// Some alternative begins with `_NAME` not after a word character.
    name_bounded: bool,
    /// Some alternative begins with `AMT`.
    amt: bool,
}

impl Heads {
    /// The heads of a compiled rule pattern, or None when one alternative begins otherwise
    /// (or the pattern has flags that change what the heads mean).
    fn of(rx: &PyAny, name: &str, amt: &str) -> PyResult<Option<Heads>> {
        let pattern: String = rx.getattr("pattern")?.extract()?;
        let flags: u32 = rx.getattr("flags")?.extract()?;
        Ok(Heads::parse(&pattern, flags, name, amt))
    }

    fn parse(pattern: &str, flags: u32, name: &str, amt: &str) -> Option<Heads> {
        // IGNORECASE, MULTILINE, VERBOSE, ASCII would change what a head admits.
        if flags & (2 | 8 | 64 | 256) != 0 {
            return None;
        }
        let name_ok = name == NAME_HEAD;
        let amt_ok = amt.starts_with(AMT_HEAD);
        let mut h = Heads::default();
        for alt in top_alternatives(pattern) {
            if name_ok && alt.starts_with(name) {
                h.name_any = true;
            } else if name_ok
                && [r"\b", r"(?<![\w-])"].iter().any(|b| alt.strip_prefix(b).is_some_and(|r| r.starts_with(name)))
            {
                h.name_bounded = true;
            } else if amt_ok && alt.strip_prefix("(?:").is_some_and(|r| r.starts_with(amt)) {
                h.amt = true;
            } else {
                return None;
            }
        }
        // Measured (callgrind, dev corpus): an anchored attempt costs more than PCRE2's own
        // scan to the next start, so the filter pays only where it rules out most letters,
        // i.e. for heads that need a word boundary; `_NAME` anywhere or `AMT` heads (capitals,
        // digits) are left to the plain search.
        if h.name_any || h.amt {
            return None;
        }
        Some(h)
    }

    /// Can a match begin at byte `p` of `b`?
    #[inline]
    fn may_start(&self, b: &[u8], p: usize) -> bool {
        (self.amt && amt_head(b[p]))
            || ((self.name_any || (self.name_bounded && !(p > 0 && is_ascii_word(b[p - 1])))) && name_head(b, p))
    }

    /// `[m.span() for m in rx.finditer(text, pos)]`, trying `rx` only where `may_start`.
    /// Every head consumes a character, so matches are never empty.
    fn find_iter(&self, rx: &Rx, text: &str, pos: usize) -> Vec<(usize, usize)> {
        rx.find_iter_where(text, pos, |b, p| self.may_start(b, p))
    }
}

#[inline]
fn is_ascii_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Can `NAME_HEAD` match at `p`: `[A-Z]`, a digit, `[a-z]{1,4}[A-Z]`, or a non-ASCII
/// character (a Unicode digit is `\d`); never inside a character.
#[inline]
fn name_head(b: &[u8], p: usize) -> bool {
    let c = b[p];
    if c.is_ascii_uppercase() || c.is_ascii_digit() {
        return true;
    }
    if c.is_ascii_lowercase() {
        for k in 1..=4 {
            match b.get(p + k) {
                Some(x) if x.is_ascii_uppercase() => return true,
                Some(x) if x.is_ascii_lowercase() => {}
                _ => return false,
            }
        }
        return false;
    }
    c >= 0xC0
}

/// Can `AMT_HEAD` hold at a character starting with byte `c`: ASCII in its class, or a
/// non-ASCII character (currency signs, Unicode digits).
#[inline]
fn amt_head(c: u8) -> bool {
    c.is_ascii_digit() || b"UCANHSRMEGDIJKBZ$".contains(&c) || c >= 0xC0
}

/// The top-level alternatives of a regex (split at `|` outside groups and classes).
fn top_alternatives(p: &str) -> Vec<&str> {
    let b = p.as_bytes();
    let (mut out, mut depth, mut in_class, mut last, mut i) = (Vec::new(), 0i32, false, 0, 0);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' if !in_class => {
                in_class = true;
                // "[]" or "[^]" : a "]" right after the opening is a literal.
                if b.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if b.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b']' if in_class => in_class = false,
            b'(' if !in_class => depth += 1,
            b')' if !in_class => depth -= 1,
            b'|' if !in_class && depth == 0 => {
                out.push(&p[last..i]);
                last = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&p[last..]);
    out
}

// ---- test hook ----------------------------------------------------------------------------

/// `find_hits` for the parity test: hits as (signal, field, start, end), CHARACTER offsets.
#[pyclass(unsendable)]
pub struct EventsTest {
    ev: Events,
}

#[pymethods]
impl EventsTest {
    #[new]
    fn new(py: Python) -> PyResult<EventsTest> {
        Ok(EventsTest { ev: Events::load(py)? })
    }

    /// The rules whose scan is tried only where a head of theirs can begin.
    fn filtered_rules(&self) -> Vec<String> {
        self.ev.rules.iter().filter(|r| r.heads.is_some()).map(|r| r.signal.clone()).collect()
    }

    fn find_hits(&self, text: &str, field: &str, bits: u128, money: bool) -> Vec<(String, String, usize, usize)> {
        let f = if field == "title" { Field::Title } else { Field::Summary };
        let low = chars::lower_str(text);
        self.ev
            .find_hits(text, f, bits, money, &low)
            .into_iter()
            .map(|h| {
                (
                    self.ev.signal(h.rule).to_string(),
                    f.as_str().to_string(),
                    char_offset(text, h.start),
                    char_offset(text, h.end),
                )
            })
            .collect()
    }
}

pub fn register(m: &PyModule) -> PyResult<()> {
    m.add_class::<EventsTest>()
}

#[cfg(test)]
mod tests {

    #[test]
    fn lit_set_finds_whole_literals_only() {
        let set = super::LitSet::new(&["no".into(), "n’t".into(), "open to".into()]);
        assert!(set.any_within(b"we know"));
        assert!(set.any_within("isn’t".as_bytes()));
        assert!(!set.any_within(b"we kn"));
        assert!(!set.any_within(b"open t"));
        assert!(set.any_within(b"is open to"));
        assert!(!set.any_within(b""));
    }

    use super::*;

    #[test]
    fn word_starts_eight_at_a_time() {
        let texts = [
            "", "a", "ab", "a b", "abcdefgh", "abcdefghi", "abcdefg h", "1234567a", "1234567ab",
            "acme raises $30m series b — led by ﬁrst é round", "zzzzzzzz{zzzzzzz`aaaaaaa@",
            "’s partner’ship ÿa é€a", "\u{80}a\u{7ff}b\u{ffff}c", "xxxxxxxxxxxxxxxxxxxxxxxxa b c d e f g h i",
        ];
        for t in texts {
            let mut got = Vec::new();
            for_each_word_start(t.as_bytes(), |i| got.push(i));
            assert_eq!(got, word_starts(t), "{t:?}");
        }
        // Every byte value at every position of a chunk.
        for pos in 0..10 {
            for c in 0..=255u8 {
                let mut b = vec![b' '; 12];
                b[pos] = c;
                b[(pos + 1) % 12] = b'q';
                let mut got = Vec::new();
                for_each_word_start(&b, |i| got.push(i));
                let mut want = Vec::new();
                let mut prev = false;
                for (i, &x) in b.iter().enumerate() {
                    let l = x.is_ascii_lowercase();
                    if l && !prev {
                        want.push(i);
                    }
                    prev = l;
                }
                assert_eq!(got, want, "{pos} {c}");
            }
        }
    }

    #[test]
    fn heads_follow_the_pattern() {
        let name = NAME_HEAD;
        let amt = format!("{AMT_HEAD}(?:x)");
        let b = Heads::parse(&format!(r"\b{name}-x|\b{name}\sand"), 32, name, &amt);
        assert_eq!(b, Some(Heads { name_any: false, name_bounded: true, amt: false }));
        assert_eq!(Heads::parse(&format!(r"(?<![\w-]){name}\s"), 32, name, &amt).map(|h| h.name_bounded), Some(true));
        // An alternative with another head, a flag, or another _NAME: no filter.
        assert_eq!(Heads::parse(&format!(r"\b{name}-x|\sand"), 32, name, &amt), None);
        assert_eq!(Heads::parse(&format!(r"\b{name}-x"), 32 | 2, name, &amt), None);
        assert_eq!(Heads::parse(r"\b(?:[A-Z]\w*)-x", 32, r"(?:[A-Z]\w*)", &amt), None);
        // Groups and classes hide their "|".
        assert_eq!(top_alternatives(r"a(b|c)[|\]]|d\|e|[]|]"), vec![r"a(b|c)[|\]]", r"d\|e", "[]|]"]);
        let t = "x Acme eBay-Foo _Bar 11x.ai é3M";
        let h = Heads { name_any: false, name_bounded: true, amt: false };
        let starts: Vec<usize> = (0..t.len()).filter(|&p| t.is_char_boundary(p) && h.may_start(t.as_bytes(), p)).collect();
        // (30: "3" after "é" is left to the regex, which knows "é" is a word character.)
        assert_eq!(starts, vec![2, 7, 12, 21, 28, 30]);
    }
}
