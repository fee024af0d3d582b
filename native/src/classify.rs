//! Port of `bot/matcher/classify.py`: the `Matcher` (story -> `Match`), exposed to Python as
//! `Engine`.  Every pattern, word list and table is read from the Python modules (and the
//! Python `Matcher` object's watchlist and vocabulary) at construction; only the procedural
//! logic lives here.
//!
//! The native path takes a story only when both fields pass `chars::text_ok`, or fold (see
//! normalize.rs) to text that does: on such text `safe_lower` is `chars::lower_str`,
//! byte-aligned with the text, so one `&str` and its lowercase copy serve every module.  Offsets are byte offsets
//! internally; evidence is handed to Python with CHARACTER offsets.

use std::cell::{Cell, OnceCell};
use std::collections::{HashMap, HashSet};

use pyo3::prelude::*;
use pyo3::types::{PyFrozenSet, PyString};

use crate::ai::Ai;
use crate::amounts::{is_bare_price, Amounts};
use crate::chars;
use crate::memo::Memo;
use crate::events::{Events, LitIndex, Role};
#[cfg(test)]
use crate::events::{word_starts, Lits};
use crate::names::{FxSet, Names};
use crate::normalize::{self, NormText};
use crate::parties::{PartiesData, Slots};
use crate::pyout::{self, Consts, Ctor};
use crate::rounds::Rounds;
use crate::rx::Rx;
use crate::text::{back_chars, char_len, char_offset, fwd_chars};
use crate::tokens::{has_money_char, word_bits, Vocab};
use crate::types::{AmountHit, Field, Hit, Run, WatchHit};
use crate::watchlist::Watch;

/// The name `_PUBLISHER` stands for: a party that counts but is not reported.
const PUBLISHER: &str = "\x00publisher";
/// Size at which the canonical-name cache is emptied (as names.rs's caches).
const MAX_CANON: usize = 20_000;
/// Distinct signal strings kept (a bounded set of rule, veto and watchlist-kind names).
const MAX_SIGNAL_STRS: usize = 4096;

/// classify.py's whole-story veto keys, in `_VETO_REGEX` order.
const VETO_KEYS: [&str; 7] = ["promo", "ipo", "fund", "grant", "advice", "lawsuit", "trade"];
const PROMO: usize = 0;
const IPO: usize = 1;
const FUND: usize = 2;
const GRANT: usize = 3;
const ADVICE: usize = 4;
const LAWSUIT: usize = 5;
const TRADE: usize = 6;
/// The round's start literals' key in `Engine::veto_index`.
const ROUND_KEY: usize = 7;

/// Rule indices the procedural code names by signal.
struct Named {
    commits: usize,
    amount_round: usize,
    invests_in: usize,
    pair_deal: usize,
    agrees_to_supply: usize,
    backs: usize,
}

/// One field of a story: `_FieldView` (text, its lowercase copy, lazily computed words,
/// watchlist hits, slots and amounts).
struct View<'a> {
    name: Field,
    text: &'a str,
    low: &'a str,
    /// `_FieldView.norm`: the original text and its map when `text` is its fold (None:
    /// `text` is the original, evidence maps one to one).
    norm: Option<(&'a str, &'a NormText)>,
    bits: Cell<Option<u128>>,
    watch_hits: OnceCell<Vec<WatchHit>>,
    slots: OnceCell<Slots<'a>>,
    amounts: OnceCell<Vec<AmountHit>>,
}

/// `_Parties`.
#[derive(Default)]
struct Parties {
    raisers: Vec<String>,
    investors: Vec<String>,
    others: Vec<String>,
}

impl Parties {
    fn any(&self) -> bool {
        !(self.raisers.is_empty() && self.investors.is_empty() && self.others.is_empty())
    }
}

/// The native Matcher.
#[pyclass(unsendable)]
pub struct Engine {
    ev: Events,
    ai: Ai,
    amounts: Amounts,
    rounds: Rounds,
    watch: Watch,
    names: Names,
    parties: PartiesData,
    vocab: Vocab,
    money_bit: u128,
    ai_bit: u128,
    ai_first_bit: u128,
    veto_rx: Vec<Rx>,
    /// The veto keys' start literals (key k = VETO_KEYS[k]) and the round's (ROUND_KEY).
    veto_index: LitIndex,
    promo_num: Rx,
    fund_close_pre: Rx,
    investor_name: Rx,
    anaphor: Rx,
    aggregate_subject: Rx,
    gerund_after: Rx,
    first_person: Rx,
    title_clause: Rx,
    pair_anaphor: Rx,
    /// Per rule: in `_GENERIC_DEAL`, `_DEAL_MONEY_RULES`, `_STRATEGIC_RULES`.
    generic_deal: Vec<bool>,
    deal_money: Vec<bool>,
    strategic_rule: Vec<bool>,
    /// Per rule: `_STRENGTH[rule.strength]`.
    strength_value: Vec<f64>,
    funding_bit: u32,
    partnership_bit: u32,
    acquisition_idx: usize,
    funding_idx: usize,
    partnership_idx: usize,
    named: Named,
    make_match: Ctor,
    make_evidence: Ctor,
    make_amount: Ctor,
    consts: Consts,
    /// `Matcher._canon_cache`: a run's canonical name (pure in the run's text).
    canon_cache: Memo<String>,
    /// Signal strings handed to Python, made once (signals come from a bounded set of
    /// rule, veto and watchlist-kind names; the cache is cleared should it ever grow large).
    signal_strs: Memo<Py<PyString>>,
}

fn err(msg: String) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(msg)
}

fn str_set(obj: &PyAny) -> PyResult<HashSet<String>> {
    let s: &PyFrozenSet = obj.downcast()?;
    s.iter().map(|x| x.extract::<String>()).collect()
}

impl<'a> View<'a> {
    fn new(name: Field, text: &'a str, low: &'a str, norm: Option<(&'a str, &'a NormText)>) -> View<'a> {
        View {
            name,
            text,
            low,
            norm,
            bits: Cell::new(None),
            watch_hits: OnceCell::new(),
            slots: OnceCell::new(),
            amounts: OnceCell::new(),
        }
    }
}

impl Engine {
    /// `_FieldView.bits`: the vocabulary bits of the field's words.
    fn bits(&self, v: &View) -> u128 {
        if let Some(b) = v.bits.get() {
            return b;
        }
        let b = word_bits(v.low, &self.vocab);
        v.bits.set(Some(b));
        b
    }

    /// `_FieldView.hits()`.
    fn hits(&self, v: &View) -> Vec<Hit> {
        if v.text.is_empty() {
            return Vec::new();
        }
        let bits = self.bits(v);
        let money = bits & self.money_bit != 0 || has_money_char(v.text);
        let first = if v.name == Field::Title { self.ev.title_first_bits } else { self.ev.summary_first_bits };
        if !money && bits & first == 0 {
            return Vec::new();
        }
        self.ev.find_hits(v.text, v.name, bits, money, v.low)
    }

    fn watch_hits<'v>(&self, v: &'v View) -> &'v [WatchHit] {
        v.watch_hits.get_or_init(|| self.watch.find_all(v.text))
    }

    fn slots<'a, 'v>(&'a self, v: &'v View<'a>) -> &'v Slots<'a> {
        v.slots.get_or_init(|| {
            let runs = self.merge_watch_runs(v.text, self.watch_hits(v));
            Slots::new(&self.parties, &self.names, v.text, runs, v.low)
        })
    }

    fn amounts<'v>(&self, v: &'v View) -> &'v [AmountHit] {
        v.amounts.get_or_init(|| self.amounts.find_amounts(v.text, v.low))
    }

    /// `_FieldView.evidence`: an `Evidence` with character offsets and the quoted span.
    fn evidence(&self, py: Python, v: &View, signal: &PyObject, start: usize, end: usize) -> PyResult<PyObject> {
        if let Some((original, norm)) = v.norm {
            // norm.span(start, end), quoting the original
            let (a, b) = norm.span(original.len(), start, end);
            let quote = original.get(a..b).ok_or_else(|| err(format!("evidence span {a}..{b} off the text")))?;
            let ca = char_offset(original, a);
            let (a, b, quote) =
                (ca.into_py(py), (ca + char_len(quote)).into_py(py), PyString::new(py, quote).into_py(py));
            return self.make_evidence.call(py, &[signal, self.consts.field(v.name), &a, &b, &quote]);
        }
        let a = char_offset(v.text, start);
        let b = a + char_len(&v.text[start..end]);
        let (a, b, quote) = (a.into_py(py), b.into_py(py), PyString::new(py, &v.text[start..end]).into_py(py));
        self.make_evidence.call(py, &[signal, self.consts.field(v.name), &a, &b, &quote])
    }

    // ---- runs -----------------------------------------------------------------------------

    /// `_merge_watch_runs`: capitalised runs, with watchlist mentions kept whole.
    fn merge_watch_runs(&self, text: &str, hits: &[WatchHit]) -> Vec<Run> {
        let mut base = self.names.runs(text);
        if hits.is_empty() {
            return base;
        }
        if base.iter().any(|r| r.text.contains(" & ")) {
            base = base.into_iter().flat_map(|r| split_known_pair(r, hits)).collect();
        }
        // Usually each mention is exactly one of the runs: the result is the runs themselves.
        // (Python's dict of run starts keeps the last run per start: so does `rev().find`;
        // a few runs are scanned faster than a map is built.)
        let run_end = |start: usize| base.iter().rev().find(|r| r.start == start).map(|r| r.end);
        if hits.iter().all(|h| run_end(h.start) == Some(h.end)) {
            return base;
        }
        let mut out: Vec<Run> = Vec::with_capacity(base.len() + hits.len());
        for r in base {
            let (rs, re) = (r.start, r.end);
            let clash = hits.iter().any(|h| {
                let (hs, he) = (h.start, h.end);
                hs < re
                    && rs < he
                    && !(rs <= hs
                        && re >= he
                        && char_len(&text[rs..re]) > char_len(&text[hs..he]))
            });
            if !clash {
                out.push(r);
            }
        }
        let covered: Vec<(usize, usize)> = out.iter().map(|r| (r.start, r.end)).collect();
        for h in hits {
            let (hs, he) = (h.start, h.end);
            if !covered.iter().any(|&(a, b)| a <= hs && he <= b) {
                out.push(Run::new(hs, he, &text[hs..he]));
            }
        }
        out.sort_by_key(|r| r.start);
        out
    }

    /// `_split_pair`: "Apple-Alibaba" names two parties when both sides look like
    /// organisations.
    fn split_pair(&self, r: Run) -> Vec<Run> {
        let Some(dash) = r.text.find('-') else { return vec![r] };
        let (left, right) = (&r.text[..dash], &r.text[dash + 1..]);
        if right.contains('-') || !(self.names.is_org_like(left) && self.names.is_org_like(right)) {
            return vec![r];
        }
        let cut = r.start + left.len();
        vec![Run::new(r.start, cut, left), Run::new(cut + 1, r.end, right)]
    }

    // ---- names ----------------------------------------------------------------------------

    /// `Matcher._canon`.
    fn canon(&self, run: &Run) -> String {
        self.canon_cache.get_or(&run.text, || self.canon_uncached(run))
    }

    fn canon_uncached(&self, run: &Run) -> String {
        let mut name = self.watch.canonical(&run.text);
        if name == run.text && name.ends_with(" AI") {
            // names.runs keeps a trailing "AI"; after a known organisation it names a unit
            // or product: report the owner.
            let owner = &name[..name.len() - 3];
            if self.watch.lookup(owner).is_some() {
                name = self.watch.canonical(owner);
            }
        }
        name
    }

    /// `Matcher._is_investor`.
    fn is_investor(&self, name: &str) -> bool {
        match self.watch.lookup(name) {
            Some(e) => self.watch.entry_kind(e) == "investor",
            None => self.investor_name.is_match(name),
        }
    }

    // ---- antecedents ----------------------------------------------------------------------

    /// `_sentence_naming_none`.
    fn sentence_naming_none<'a>(&'a self, pos: usize, v: &View<'a>) -> Option<usize> {
        let start = v.text[..pos].rfind(". ").map_or(0, |p| p + 2);
        if self.slots(v).org_runs().iter().any(|r| start <= r.start && r.end <= pos) {
            return None;
        }
        Some(start)
    }

    /// `_antecedent`.
    fn antecedent<'a>(&'a self, pos: usize, v: &View<'a>, title: &View<'a>) -> Option<Run> {
        let start = self.sentence_naming_none(pos, v)?;
        self.anaphor.match_at(v.text, start)?;
        let clause = self.title_clause.find_iter(title.text, 0, title.text.len()).last().map_or(0, |m| m.end());
        self.slots(title).org_runs().iter().find(|r| r.start >= clause).cloned()
    }

    /// `_pair_antecedent`.
    fn pair_antecedent<'a>(&'a self, pos: usize, end: usize, v: &View<'a>, title: &View<'a>) -> Vec<Run> {
        let Some(start) = self.sentence_naming_none(pos, v) else { return Vec::new() };
        if !self.pair_anaphor.is_match_in(v.text, start, end) {
            return Vec::new();
        }
        let orgs = self.slots(title).org_runs();
        if orgs.len() >= 2 {
            orgs[..2].to_vec()
        } else {
            Vec::new()
        }
    }

    // ---- title vetoes ---------------------------------------------------------------------

    /// `_title_vetoes`: which veto keys hold for the title (indices into VETO_KEYS), and the
    /// offsets where a round literal starts (for `find_round`).
    fn title_vetoes(&self, v: &View) -> ([bool; 7], Vec<usize>) {
        let (text, low) = (v.text, v.low);
        let mut found = [false; 7];
        let mut round_starts = Vec::new();
        if low.contains(" off") && self.promo_num.is_match(low) && self.veto_rx[PROMO].is_match(text) {
            found[PROMO] = true;
        }
        let lowb = low.as_bytes();
        let mut padded: Option<String> = None;
        let mut fund_gate = false;
        let mut prev_letter = false;
        for (i, &c) in lowb.iter().enumerate() {
            // The word starts (see `events::word_starts`), without collecting them.
            let letter = c.is_ascii_lowercase();
            let start = letter && !prev_letter;
            prev_letter = letter;
            if !start {
                continue;
            }
            let at = self.veto_index.mask_at(lowb, i);
            if at == 0 {
                continue;
            }
            if at & (1 << ROUND_KEY) != 0 {
                round_starts.push(i);
            }
            for k in 0..VETO_KEYS.len() {
                if found[k] || at & (1 << k) == 0 {
                    continue;
                }
                if k == FUND {
                    if !fund_gate {
                        // _FUND_CLOSE_PRE.match(" " + low, <the character before i>)
                        let p = padded.get_or_insert_with(|| format!(" {low}"));
                        let at = back_chars(p, i + 1, 1);
                        fund_gate = self.fund_close_pre.match_at(p, at).is_some();
                    }
                } else if self.veto_rx[k].match_at(text, i).is_some() {
                    found[k] = true;
                }
            }
        }
        if fund_gate && self.veto_rx[FUND].is_match(text) {
            found[FUND] = true;
        }
        (found, round_starts)
    }
}

/// `_split_known_pair`: "Microsoft & OpenAI", two watchlist organisations joined by "&",
/// are two parties.
fn split_known_pair(r: Run, hits: &[WatchHit]) -> Vec<Run> {
    let Some(amp) = r.text.find(" & ") else { return vec![r] };
    let (left, right) = (&r.text[..amp], &r.text[amp + 3..]);
    if right.contains(" & ") {
        return vec![r];
    }
    let cut = r.start + left.len();
    if !(hits.iter().any(|h| r.start <= h.start && h.end <= cut)
        && hits.iter().any(|h| cut + 3 <= h.start && h.end <= r.end))
    {
        return vec![r];
    }
    let (l, rt) = (left.to_string(), right.to_string());
    vec![Run::new(r.start, cut, l), Run::new(cut + 3, r.end, rt)]
}

/// Python's `str.casefold()` for a party name: on text the native path takes it is
/// `lower()` (the character table's condition); a watchlist name may hold anything, so
/// CPython is asked then.
fn casefold(py: Python, name: &str) -> String {
    if chars::text_ok(name) {
        return chars::lower_str(name);
    }
    pyo3::types::PyString::new(py, name)
        .call_method0("casefold")
        .and_then(|s| s.extract::<String>())
        .unwrap_or_else(|_| name.to_lowercase())
}

/// `_Parties.ordered()`: raisers, investors, others, first of each casefolded name.
fn ordered(py: Python, p: &Parties) -> Vec<String> {
    let mut seen: FxSet<String> = FxSet::default();
    let mut out = Vec::new();
    for name in p.raisers.iter().chain(&p.investors).chain(&p.others) {
        if seen.insert(casefold(py, name)) {
            out.push(name.clone());
        }
    }
    out
}

/// `dict.fromkeys(signals)`: first occurrences, in order.
fn dedup(signals: Vec<String>) -> Vec<String> {
    // (A story has a handful of signals: a scan beats hashing and cloning each.)
    let mut out: Vec<String> = Vec::with_capacity(signals.len());
    for s in signals {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

impl Engine {
    fn load(py: Python, matcher: &PyAny, make_match: PyObject, make_evidence: PyObject,
            make_amount: PyObject) -> PyResult<Engine> {
        let cm = py.import("bot.matcher.classify")?;
        let ev = Events::load(py)?;
        let event_names: Vec<String> = py.import("bot.types")?.getattr("EVENT_TYPES")?.extract()?;
        let idx = |e: &str| event_names.iter().position(|x| x == e).ok_or_else(|| err(format!("no event {e}")));
        let (partnership_idx, funding_idx, acquisition_idx) = (idx("partnership")?, idx("funding")?, idx("acquisition")?);
        let veto_regex = cm.getattr("_VETO_REGEX")?;
        let veto_starts = cm.getattr("_VETO_STARTS")?;
        let mut veto_rx = Vec::new();
        let mut veto_lits: Vec<(usize, Vec<String>)> = Vec::new();
        for k in VETO_KEYS {
            veto_rx.push(Rx::from_py(veto_regex.get_item(k)?)?);
            veto_lits.push((veto_lits.len(), veto_starts.get_item(k)?.extract::<Vec<String>>()?));
        }
        veto_lits.push((ROUND_KEY, veto_starts.get_item("round")?.extract::<Vec<String>>()?));
        let rx = |name: &str| -> PyResult<Rx> { Rx::from_py(cm.getattr(name)?) };
        let generic = str_set(cm.getattr("_GENERIC_DEAL")?)?;
        let deal_money = str_set(cm.getattr("_DEAL_MONEY_RULES")?)?;
        let strategic = str_set(cm.getattr("_STRATEGIC_RULES")?)?;
        let strength: HashMap<String, f64> = cm.getattr("_STRENGTH")?.extract()?;
        let find = |s: &str| -> PyResult<usize> {
            ev.rules.iter().position(|r| r.signal == s).ok_or_else(|| err(format!("no rule {s}")))
        };
        let named = Named {
            commits: find("partnership:commits")?,
            amount_round: find("funding:amount-round")?,
            invests_in: find("funding:invests-in")?,
            pair_deal: find("partnership:pair-deal")?,
            agrees_to_supply: find("partnership:agrees-to-supply")?,
            backs: find("funding:backs")?,
        };
        let mut strength_value = Vec::new();
        for r in &ev.rules {
            strength_value.push(*strength.get(&r.strength).ok_or_else(|| err(format!("no strength {}", r.strength)))?);
        }
        let signals: Vec<&str> = ev.rules.iter().map(|r| r.signal.as_str()).collect();
        let consts = Consts::new(py, &signals, &event_names)?;
        Ok(Engine {
            generic_deal: ev.rules.iter().map(|r| generic.contains(&r.signal)).collect(),
            deal_money: ev.rules.iter().map(|r| deal_money.contains(&r.signal)).collect(),
            strategic_rule: ev.rules.iter().map(|r| strategic.contains(&r.signal)).collect(),
            strength_value,
            ai: Ai::load(py)?,
            amounts: Amounts::load(py)?,
            rounds: Rounds::load(py)?,
            watch: Watch::from_py(matcher.getattr("watchlist")?)?,
            names: Names::load(py)?,
            parties: PartiesData::load(py)?,
            vocab: Vocab::new(&matcher.getattr("_vocab")?.extract()?).map_err(err)?,
            money_bit: cm.getattr("_MONEY_BIT")?.extract()?,
            ai_bit: cm.getattr("_AI_BIT")?.extract()?,
            ai_first_bit: cm.getattr("_AI_FIRST_BIT")?.extract()?,
            veto_rx,
            veto_index: LitIndex::new(&veto_lits),
            promo_num: rx("_PROMO_NUM")?,
            fund_close_pre: rx("_FUND_CLOSE_PRE")?,
            investor_name: rx("_INVESTOR_NAME")?,
            anaphor: rx("_ANAPHOR")?,
            aggregate_subject: rx("_AGGREGATE_SUBJECT")?,
            gerund_after: rx("_GERUND_AFTER")?,
            first_person: rx("_FIRST_PERSON")?,
            title_clause: rx("_TITLE_CLAUSE")?,
            pair_anaphor: rx("_PAIR_ANAPHOR")?,
            funding_bit: 1 << funding_idx,
            partnership_bit: 1 << partnership_idx,

            acquisition_idx,
            funding_idx,
            partnership_idx,
            named,
            ev,
            make_match: Ctor::new(py, make_match)?,
            make_evidence: Ctor::new(py, make_evidence)?,
            make_amount: Ctor::new(py, make_amount)?,
            consts,
            canon_cache: Memo::new(MAX_CANON),
            signal_strs: Memo::new(MAX_SIGNAL_STRS),
        })
    }

    fn view_of<'a, 'v>(&self, h: &Hit, title: &'v View<'a>, summary: &'v View<'a>) -> &'v View<'a> {
        if h.field == Field::Title {
            title
        } else {
            summary
        }
    }

    // ---- ai -------------------------------------------------------------------------------

    /// `Matcher._ai`.
    fn ai<'a>(&self, py: Python, views: [&View<'a>; 2], signals: &mut Vec<String>,
          evidence: &mut Vec<PyObject>) -> PyResult<bool> {
        for v in views {
            if !v.text.is_empty() && (self.bits(v) & self.ai_bit != 0 || self.ai.ai_phrase_low(v.text, v.low)) {
                if let Some((a, b)) = self.ai.ai_keyword_low(v.text, v.low) {
                    signals.push("ai:keyword".into());
                    evidence.push(self.evidence(py, v, &self.consts.ai_keyword, a, b)?);
                    return Ok(true);
                }
            }
        }
        for v in views {
            if self.bits(v) & self.ai_first_bit == 0 {
                continue;
            }
            for h in self.watch_hits(v) {
                if self.watch.entry_ai_first(h.entry) {
                    signals.push(format!("ai:watchlist:{}", self.watch.entry_kind(h.entry)));
                    evidence.push(self.evidence(py, v, &self.consts.ai_watchlist, h.start, h.end)?);
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    // ---- events ---------------------------------------------------------------------------

    /// `Matcher._events`: the kept hits.
    #[allow(clippy::too_many_arguments)]
    fn events<'a>(&'a self, found: &[bool; 7], title: &View<'a>, summary: &View<'a>, title_hits: Vec<Hit>,
              mut summary_hits: Option<Vec<Hit>>, parties: &mut Parties,
              signals: &mut Vec<String>) -> Vec<Hit> {
        if found[PROMO] {
            signals.push("veto:promo".into());
            return Vec::new();
        }
        let vetoes = self.vetoes(found, signals);
        let mut title_hits = title_hits;
        if found[GRANT] || found[FUND] {
            // "commits $50 million in grants to nonprofits through new fund": philanthropy
            title_hits.retain(|h| h.rule != self.named.commits);
        }
        let mut kept = self.keep(&title_hits, title, vetoes, parties, signals, None);
        if kept.is_empty() && !summary.text.is_empty() {
            let sh = summary_hits.get_or_insert_with(|| self.hits(summary));
            kept = self.keep(sh, summary, vetoes, parties, signals, Some(title));
        } else if !kept.is_empty() && !summary.text.is_empty() && kept.iter().all(|h| self.generic_deal[h.rule]) {
            // The title only says "deal"; a summary that says "agreed to buy" tells which kind.
            let sh = summary_hits.get_or_insert_with(|| self.hits(summary));
            let buys: Vec<Hit> = sh
                .iter()
                .filter(|h| {
                    let r = self.ev.rule(h.rule);
                    r.event_idx == self.acquisition_idx && r.strong
                })
                .copied()
                .collect();
            if !buys.is_empty() {
                let more = self.keep(&buys, summary, vetoes, parties, signals, Some(title));
                kept.extend(more);
            }
        }
        let mut kept = self.arbitrate(kept);
        if !kept.is_empty() {
            kept = self.deal_money_drop(kept, title, summary, signals);
        }
        if !kept.is_empty() {
            self.fallback_parties(title, summary, parties);
        }
        kept
    }

    /// `Matcher._vetoes`: the event types (bits) the title's vetoes rule out.
    fn vetoes(&self, found: &[bool; 7], signals: &mut Vec<String>) -> u32 {
        let mut out = 0;
        if found[IPO] {
            out |= self.funding_bit;
            signals.push("veto:ipo".into());
        }
        if found[FUND] || found[GRANT] {
            out |= self.funding_bit;
            signals.push("veto:fund-or-grant".into());
        }
        if found[ADVICE] {
            out |= self.funding_bit;
            signals.push("veto:advice".into());
        }
        if found[LAWSUIT] {
            out |= self.funding_bit;
            signals.push("veto:lawsuit".into());
        }
        if found[TRADE] {
            out |= self.partnership_bit;
            signals.push("veto:trade-deal".into());
        }
        out
    }

    /// `Matcher._keep`.
    fn keep<'a>(&'a self, hits: &[Hit], v: &View<'a>, vetoes: u32, parties: &mut Parties,
            signals: &mut Vec<String>, title: Option<&View<'a>>) -> Vec<Hit> {
        let mut kept = Vec::new();
        for h in hits {
            let rule = self.ev.rule(h.rule);
            if vetoes & (1 << rule.event_idx) != 0 {
                continue;
            }
            if rule.role == Role::Raise && self.only_prices(h, v) {
                signals.push(format!("drop:{}:price", rule.signal));
                continue;
            }
            let marks = (parties.raisers.len(), parties.investors.len(), parties.others.len());
            let names = self.hit_parties(h, v, parties, title, signals);
            let mut need = if rule.min_parties != 0 { rule.min_parties } else if rule.strong { 0 } else { 1 };
            if h.field == Field::Summary {
                need = need.max(if rule.event_idx == self.partnership_idx { 2 } else { 1 });
            }
            let ok = match &names {
                None => false,
                Some(n) => n.iter().collect::<FxSet<_>>().len() >= need,
            };
            if !ok {
                signals.push(if names.is_none() {
                    format!("drop:{}", rule.signal)
                } else {
                    format!("drop:{}:parties", rule.signal)
                });
                parties.raisers.truncate(marks.0);
                parties.investors.truncate(marks.1);
                parties.others.truncate(marks.2);
                continue;
            }
            kept.push(*h);
            signals.push(rule.signal.clone());
        }
        kept
    }

    /// `Matcher._only_prices`: some amount lies inside the hit (up to two characters past
    /// it), and every such amount is a bare price.
    fn only_prices(&self, h: &Hit, v: &View) -> bool {
        let (start, end) = (h.start, fwd_chars(v.text, h.end, 2));
        let mut inside = false;
        for a in self.amounts(v) {
            if start <= a.start && a.end <= end {
                if !is_bare_price(a) {
                    return false;
                }
                inside = true;
            }
        }
        inside
    }

    /// `Matcher._arbitrate`.
    fn arbitrate(&self, kept: Vec<Hit>) -> Vec<Hit> {
        let acq = kept.iter().any(|h| {
            let r = self.ev.rule(h.rule);
            r.event_idx == self.acquisition_idx && r.strong
        });
        if acq {
            kept.into_iter().filter(|h| !self.generic_deal[h.rule]).collect()
        } else {
            kept
        }
    }

    /// `Matcher._deal_money`.
    fn deal_money_drop<'a>(&self, kept: Vec<Hit>, title: &View<'a>, summary: &View<'a>, signals: &mut Vec<String>) -> Vec<Hit> {
        let money: Vec<Hit> = kept.iter().filter(|h| self.deal_money[h.rule]).copied().collect();
        if money.is_empty()
            || kept.iter().any(|h| self.ev.rule(h.rule).event_idx == self.funding_idx && !self.deal_money[h.rule])
        {
            return kept;
        }
        let mut drop: Vec<Hit> = Vec::new();
        for h in &money {
            let text = if h.field == Field::Title { title.low } else { summary.low };
            if h.rule == self.named.amount_round && !text[h.start..h.end].ends_with("investment") {
                continue;
            }
            if kept.iter().any(|d| {
                let r = self.ev.rule(d.rule);
                d.field == h.field && d.start < h.start && r.event_idx != self.funding_idx && r.strong
            }) {
                drop.push(*h);
            }
        }
        for h in &drop {
            signals.push(format!("drop:{}:deal-money", self.ev.signal(h.rule)));
        }
        kept.into_iter().filter(|h| !drop.contains(h)).collect()
    }

    /// `Matcher._fallback_parties`.
    fn fallback_parties<'a>(&'a self, title: &View<'a>, summary: &View<'a>, parties: &mut Parties) {
        if parties.any() {
            return;
        }
        for v in [title, summary] {
            for r in self.slots(v).org_runs().iter().take(3) {
                if v.name == Field::Title || self.watch.lookup(&r.text).is_some() {
                    parties.others.push(self.canon(r));
                }
            }
            if parties.any() {
                return;
            }
        }
    }

    /// `Matcher._strategic`.
    fn strategic(&self, kept: &[Hit], parties: &Parties) -> bool {
        if !kept.iter().any(|h| self.strategic_rule[h.rule] || h.rule == self.named.backs) {
            return false;
        }
        !parties.raisers.is_empty() && parties.investors.iter().any(|n| !self.is_investor(n))
    }

    // ---- parties --------------------------------------------------------------------------

    /// `Matcher._hit_parties`: add the parties the trigger's slots name; None vetoes the hit.
    fn hit_parties<'a>(&'a self, h: &Hit, v: &View<'a>, parties: &mut Parties, title: Option<&View<'a>>,
                   signals: &mut Vec<String>) -> Option<Vec<String>> {
        let s = self.slots(v);
        let rule = self.ev.rule(h.rule);
        let text = v.text;
        let mut found: Vec<String> = Vec::new();
        match rule.role {
            Role::Raise => {
                let mut subj = s.subject_before(h.start).or_else(|| s.leading_appositive());
                if subj.is_none() && self.aggregate_subject.is_match_in(text, back_chars(text, h.start, 40), h.start) {
                    return None; // "European AI startups raised €12bn in Q3": a market total
                }
                if subj.is_none() && !rule.strong {
                    subj = s.clause_subjects(h.start).pop();
                }
                if subj.is_none() {
                    if let Some(obj) = s.object_after(h.end, true, 40) {
                        let gap = text[h.end..obj.start].trim_matches(|c| c == ' ' || c == ',');
                        if gap.is_empty() || gap == "for" {
                            subj = Some(obj);
                        }
                    }
                }
                if subj.is_none() {
                    if let Some(t) = title {
                        subj = self.antecedent(h.start, v, t);
                        if subj.is_some() {
                            signals.push("parties:title-antecedent".into());
                        }
                    }
                }
                if let Some(subj) = subj {
                    let name = self.canon(&subj);
                    if self.is_investor(&name) && h.rule != self.named.amount_round {
                        return None; // a VC firm raising its own fund
                    }
                    parties.raisers.push(name.clone());
                    found.push(name);
                }
                let mut inv_runs = s.investors_after(h.end, 90);
                inv_runs.extend(s.investors_leading());
                for r in &inv_runs {
                    let n = self.canon(r);
                    parties.investors.push(n.clone());
                    found.push(n);
                }
            }
            Role::InvestorSubject => {
                let subj = s.subject_before(h.start);
                let mut obj = s.object_after(h.end, true, 70);
                if obj.is_none() {
                    // "invests in and partners with Acme": look past the clause.
                    let mut nxt = s.first_run_after(h.end, 45);
                    if let Some(n) = &nxt {
                        if self.parties.clause_break.is_match_in(text, h.end, n.start) {
                            nxt = None; // a byline
                        }
                    }
                    if let Some(n) = &nxt {
                        if !self.names.is_org_like(&n.text) {
                            return None;
                        }
                    }
                    obj = nxt;
                }
                if h.rule == self.named.invests_in && self.gerund_after.match_at(text, h.end).is_some() {
                    return None; // "to invest in training 1 million people": no company
                }
                if obj.is_none() && h.rule == self.named.invests_in {
                    return None;
                }
                if obj.is_none() && subj.is_none() {
                    return Some(Vec::new());
                }
                if let Some(o) = &obj {
                    let n = self.canon(o);
                    parties.raisers.push(n.clone());
                    found.push(n);
                }
                if let Some(sj) = &subj {
                    let n = self.canon(sj);
                    parties.investors.push(n.clone());
                    found.push(n);
                }
                for r in s.investors_after(h.end, 90) {
                    found.push(self.canon(&r));
                }
            }
            Role::InvestmentNoun => {
                let inside = s.inside(h.start, h.end);
                let clause = s.clause_subjects(h.start);
                let before = s.subject_before(h.start).or_else(|| clause.first().cloned());
                let obj = s.object_after(h.end, true, 70);
                for r in inside.iter().chain(obj.iter()) {
                    let n = self.canon(r);
                    parties.raisers.push(n.clone());
                    found.push(n);
                }
                if let Some(b) = &before {
                    let n = self.canon(b);
                    parties.investors.push(n.clone());
                    found.push(n);
                }
            }
            Role::Pair | Role::Acq | Role::Sell => {
                let subj_runs: Vec<Run> = match s.subject_before(h.start) {
                    Some(adj) => s.list_backward(&adj),
                    None => {
                        let mut runs = s.clause_subjects(h.start);
                        if runs.is_empty() {
                            if let Some(t) = title {
                                let pair = self.pair_antecedent(h.start, h.end, v, t);
                                let ante = if pair.is_empty() { self.antecedent(h.start, v, t) } else { None };
                                let had_ante = ante.is_some();
                                runs = if !pair.is_empty() { pair } else { ante.into_iter().collect() };
                                if had_ante {
                                    signals.push("parties:title-antecedent".into());
                                }
                            }
                        }
                        runs
                    }
                };
                let mut inside = s.inside(h.start, h.end);
                if h.rule == self.named.pair_deal {
                    inside = inside.into_iter().flat_map(|r| self.split_pair(r)).collect();
                }
                let mut obj = s.object_after(h.end, true, 70);
                if rule.role == Role::Acq && h.field == Field::Summary && obj.is_none() && inside.is_empty() {
                    // "I bought some plywood": someone buying things, not a takeover.
                    let by_end = fwd_chars(text, h.end, 4);
                    if &v.low[h.end..by_end] != " by " || s.object_after(h.end + 4, false, 70).is_none() {
                        return None;
                    }
                }
                if h.rule == self.named.agrees_to_supply {
                    // "agrees to supply 18,000 chips to Foo": the buyer follows "to".
                    let lim = fwd_chars(text, h.end, 60);
                    obj = match text[h.end..lim].find(" to ") {
                        Some(p) => s.object_after(h.end + p + 4, false, 70),
                        None => None,
                    };
                }
                let obj_runs = match &obj {
                    Some(o) => s.list_forward(o),
                    None => Vec::new(),
                };
                for r in subj_runs.iter().chain(&inside).chain(&obj_runs) {
                    let n = self.canon(r);
                    parties.others.push(n.clone());
                    found.push(n);
                }
                if subj_runs.is_empty()
                    && rule.role == Role::Pair
                    && self.first_person.is_match_in(text, back_chars(text, h.start, 30), h.start)
                {
                    // A company's own post ("Why we're joining forces with Foo").
                    found.push(PUBLISHER.to_string());
                }
            }
            Role::AcqNoun => {
                let mut runs = s.clause_subjects(h.start);
                runs.extend(s.inside(h.start, h.end));
                for r in &runs {
                    let n = self.canon(r);
                    parties.others.push(n.clone());
                    found.push(n);
                }
                if let Some(o) = s.object_after(h.end, true, 70) {
                    let n = self.canon(&o);
                    parties.others.push(n.clone());
                    found.push(n);
                }
            }
            Role::Other => {}
        }
        Some(found)
    }

    // ---- amount & round -------------------------------------------------------------------

    /// `Matcher._amount`.
    fn amount<'a>(&self, py: Python, kept: &[Hit], title: &View<'a>, summary: &View<'a>, evidence: &mut Vec<PyObject>,
              signals: &mut Vec<String>) -> PyResult<Option<PyObject>> {
        let mut best: Option<(u32, bool, AmountHit)> = None; // (rank, summary?, hit)
        for (rank_base, v) in [(0u32, title), (10u32, summary)] {
            if best.is_some() {
                break; // a title amount beats every summary amount
            }
            let spans: Vec<(usize, usize)> =
                kept.iter().filter(|h| h.field == v.name).map(|h| (h.start, h.end)).collect();
            for a in self.amounts(v) {
                if a.valuation || is_bare_price(a) {
                    continue;
                }
                let near = spans
                    .iter()
                    .any(|&(s, e)| back_chars(v.text, s, 3) <= a.start && a.end <= fwd_chars(v.text, e, 3));
                let rank = rank_base + if near { 0 } else { 5 };
                if best.as_ref().map_or(true, |b| rank < b.0) {
                    best = Some((rank, v.name == Field::Summary, a.clone()));
                }
            }
        }
        let Some((_, in_summary, a)) = best else { return Ok(None) };
        let v = if in_summary { summary } else { title };
        signals.push("amount".into());
        evidence.push(self.evidence(py, v, &self.consts.amount, a.start, a.end)?);
        let (value, currency) = (a.value.into_py(py), PyString::new(py, &a.currency).into_py(py));
        Ok(Some(self.make_amount.call(py, &[&value, &currency])?))
    }

    /// `Matcher._round`.
    #[allow(clippy::too_many_arguments)]
    fn round<'a>(&self, py: Python, funding: bool, strategic: bool, title: &View<'a>, summary: &View<'a>,
             title_starts: &[usize], evidence: &mut Vec<PyObject>, signals: &mut Vec<String>)
             -> PyResult<Option<String>> {
        if !funding {
            return Ok(None);
        }
        for (v, starts) in [(title, Some(title_starts)), (summary, None)] {
            if let Some((label, a, b)) = self.rounds.find_round(v.text, v.low, starts) {
                signals.push("round".into());
                evidence.push(self.evidence(py, v, &self.consts.round, a, b)?);
                return Ok(Some(label));
            }
        }
        if strategic {
            signals.push("round:strategic-investor".into());
            return Ok(Some("strategic".into()));
        }
        Ok(None)
    }

    /// `tuple(signals)`, each string made once per distinct signal.
    fn signal_tuple(&self, py: Python, signals: &[String]) -> PyObject {
        let items: Vec<PyObject> = signals
            .iter()
            .map(|sig| {
                let s = self.signal_strs.get_or(sig, || PyString::new(py, sig).into());
                s.into_py(py)
            })
            .collect();
        pyout::tuple(py, items)
    }

    fn empty_match(&self, py: Python, ai: bool, evidence: Vec<PyObject>, signals: Vec<String>) -> PyResult<PyObject> {
        let none = py.None();
        let (ai, empty) = (ai.into_py(py), self.consts.events(0));
        let (evidence, signals) = (pyout::tuple(py, evidence), self.signal_tuple(py, &signals));
        self.make_match.call(py, &[&ai, empty, empty, &none, &none, self.consts.zero(), &evidence, &signals])
    }

    /// `Matcher.classify` on two texts, each accepted (`chars::text_ok`, norm None) or
    /// folded to an accepted text (norm: its fold of the original).
    fn run(&self, py: Python, title_orig: &str, title_norm: Option<&NormText>, summary_orig: &str,
           summary_norm: Option<&NormText>) -> PyResult<PyObject> {
        let title_text = title_norm.map_or(title_orig, |n| n.text.as_str());
        let summary_text = summary_norm.map_or(summary_orig, |n| n.text.as_str());
        let tlow = chars::lower_str(title_text);
        let slow = chars::lower_str(summary_text);
        let title = View::new(Field::Title, title_text, &tlow, title_norm.map(|n| (title_orig, n)));
        let summary = View::new(Field::Summary, summary_text, &slow, summary_norm.map(|n| (summary_orig, n)));
        self.run_views(py, &title, &summary)
    }

    fn run_views<'v>(&'v self, py: Python, title: &View<'v>, summary: &View<'v>) -> PyResult<PyObject> {
        let mut signals: Vec<String> = Vec::new();
        let mut evidence: Vec<PyObject> = Vec::new();
        let ai = self.ai(py, [title, summary], &mut signals, &mut evidence)?;
        let title_hits = self.hits(title);
        let mut summary_hits = None;
        if title_hits.is_empty() {
            let sh = self.hits(summary);
            if sh.is_empty() {
                return self.empty_match(py, ai, evidence, signals);
            }
            summary_hits = Some(sh);
        }
        let mut parties = Parties::default();
        let (found_vetoes, round_starts) = self.title_vetoes(title);
        let kept = self.events(&found_vetoes, title, summary, title_hits, summary_hits, &mut parties, &mut signals);
        if kept.is_empty() {
            return self.empty_match(py, ai, evidence, signals);
        }
        let mut found: u32 = 0;
        let mut miss = 1.0f64;
        for h in &kept {
            let rule = self.ev.rule(h.rule);
            found |= 1 << rule.event_idx;
            miss *= 1.0 - self.strength_value[h.rule];
            let v = self.view_of(h, title, summary);
            evidence.push(self.evidence(py, v, &self.consts.rule_signal[h.rule], h.start, h.end)?);
        }
        let strategic = self.strategic(&kept, &parties);
        if strategic {
            found |= self.partnership_bit;
            signals.push("partnership:strategic-investment".into());
        }
        let mut events = found;
        if found & self.funding_bit != 0
            && parties.investors.is_empty()
            && !summary.text.is_empty()
            && kept.iter().all(|h| h.field == Field::Title)
        {
            // Feeds often name a title's round's investors in the summary.
            let slots = self.slots(summary);
            let mut pos = 0;
            for _ in 0..3 {
                let limit = char_len(&summary.text[pos..]);
                let investors = slots.investors_after(pos, limit);
                let Some(last) = investors.last() else { break };
                pos = last.end;
                for r in &investors {
                    parties.investors.push(self.canon(r));
                }
            }
            if !parties.investors.is_empty() {
                signals.push("parties:summary-investors".into());
            }
        }
        if found & self.funding_bit != 0 {
            // Investors in sentences of their own, wherever the round itself was read.
            let raisers: FxSet<String> = parties.raisers.iter().map(|n| casefold(py, n)).collect();
            for v in [title, summary] {
                if v.text.is_empty() || !self.parties.may_name_investors(v.low) {
                    continue;
                }
                for r in self.slots(v).investor_sentences() {
                    let name = self.canon(&r);
                    if !raisers.contains(&casefold(py, &name)) {
                        parties.investors.push(name);
                        signals.push("parties:investor-sentence".into());
                    }
                }
            }
        }
        let amount = self.amount(py, &kept, title, summary, &mut evidence, &mut signals)?;
        let rnd = self.round(py, events & self.funding_bit != 0, strategic, title, summary, &round_starts,
                             &mut evidence, &mut signals)?;
        if rnd.as_deref() == Some("strategic")
            && !strategic
            && !parties.raisers.is_empty()
            && parties.investors.iter().any(|n| !self.is_investor(n))
        {
            // "announces $200M strategic investment from Nvidia": both events.
            events = found | self.partnership_bit;
            signals.push("partnership:strategic-investment".into());
        }
        let confidence = (1.0 - miss) * if ai { 1.0 } else { 0.9 };
        let confidence = if 0.99 < confidence { 0.99 } else { confidence };
        let parties_out = ordered(py, &parties);
        let none = py.None();
        let ai = ai.into_py(py);
        let parties_out = pyout::str_tuple(py, &parties_out);
        let amount = amount.unwrap_or_else(|| py.None());
        let rnd = match rnd {
            Some(r) => PyString::new(py, &r).into_py(py),
            None => none,
        };
        let confidence = confidence.into_py(py);
        let (evidence, signals) = (pyout::tuple(py, evidence), self.signal_tuple(py, &dedup(signals)));
        self.make_match.call(py,
              &[&ai, self.consts.events(events), &parties_out, &amount, &rnd, &confidence, &evidence, &signals])
    }
}

#[pymethods]
impl Engine {
    /// `matcher`: a Python `bot.matcher.classify.Matcher` (its watchlist and vocabulary are
    /// read); `make_match` / `make_evidence` / `make_amount`: classify's `_match`,
    /// `_evidence` and `bot.types.Amount`.
    #[new]
    fn new(py: Python, matcher: &PyAny, make_match: PyObject, make_evidence: PyObject,
           make_amount: PyObject) -> PyResult<Engine> {
        Engine::load(py, matcher, make_match, make_evidence, make_amount)
    }

    /// The exact shortcuts derived from Python patterns, and whether each is on: a name
    /// -> bool dict (see `Names::fast_paths`).
    #[getter]
    fn fast_paths(&self) -> std::collections::BTreeMap<&'static str, bool> {
        self.names.fast_paths().into_iter()
            .chain(self.ev.fast_paths())
            .chain(self.watch.fast_paths())
            .collect()
    }

    /// Which result constructors run natively (match, evidence, amount): see `pyout::Ctor`.
    #[getter]
    fn native_constructors(&self) -> (bool, bool, bool) {
        (self.make_match.is_fast(), self.make_evidence.is_fast(), self.make_amount.is_fast())
    }

    /// `Matcher.classify(Story(title=title, summary=summary))`, or None when a field holds a
    /// character the native path does not take (the caller then uses the Python matcher).
    /// (A str holding a lone surrogate is not UTF-8: it is handed back too.)  A field with
    /// characters the char table refuses is folded first (normalize.rs), as `_FieldView`
    /// normalises it; only characters without a fold in the table are handed back.
    fn classify(&self, py: Python, title: &PyString, summary: &PyString) -> PyResult<Option<PyObject>> {
        let (Ok(title), Ok(summary)) = (title.to_str(), summary.to_str()) else { return Ok(None) };
        let tn = if chars::text_ok(title) { None } else {
            match normalize::fold(title) { Some(n) => Some(n), None => return Ok(None) }
        };
        let sn = if chars::text_ok(summary) { None } else {
            match normalize::fold(summary) { Some(n) => Some(n), None => return Ok(None) }
        };
        self.run(py, title, tn.as_ref(), summary, sn.as_ref()).map(Some)
    }
}

pub fn register(m: &PyModule) -> PyResult<()> {
    m.add_class::<Engine>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_known_pair_only() {
        let text = "Microsoft & OpenAI";
        let r = Run::new(0, text.len(), text);
        let both = [WatchHit { start: 0, end: 9, entry: 0 }, WatchHit { start: 12, end: 18, entry: 1 }];
        let parts = split_known_pair(r.clone(), &both);
        assert_eq!(parts, vec![Run::new(0, 9, "Microsoft"), Run::new(12, 18, "OpenAI")]);
        assert_eq!(split_known_pair(r.clone(), &both[..1]), vec![r]);
        let three = Run::new(0, 9, "A & B & C");
        assert_eq!(split_known_pair(three.clone(), &both), vec![three]);
        assert_eq!(split_known_pair(Run::new(0, 0, ""), &both), vec![Run::new(0, 0, "")]);
    }

    #[test]
    fn dedup_keeps_first_occurrences() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(dedup(s(&["a", "b", "a", "c", "b"])), s(&["a", "b", "c"]));
        assert!(dedup(Vec::new()).is_empty());
    }

    #[test]
    fn word_starts_and_literals_take_any_text() {
        let lits = Lits::new(&["raise", "rais", "seed"]);
        for text in ["", "!!!", "— – ’", &"a".repeat(100_000), &"x, ".repeat(40_000)] {
            let low = text.to_lowercase();
            for i in word_starts(&low) {
                let _ = lits.at(low.as_bytes(), i);
            }
            assert!(!lits.at(low.as_bytes(), low.len()));
        }
        let low = "acme raises $5m; é-seed";
        let hits: Vec<usize> = word_starts(low).into_iter().filter(|&i| lits.at(low.as_bytes(), i)).collect();
        assert_eq!(hits, vec![5, low.find("seed").unwrap_or(0)]);
    }
}
