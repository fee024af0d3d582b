//! Python's view of each character the native path accepts.
//!
//! The port must answer `str.lower()`, `str.isupper()`, `str.isalpha()` ... exactly as
//! CPython does.  Rather than trust that Rust's `char` methods agree with CPython's Unicode
//! database on every code point, the table is *built by CPython* at start-up
//! (`bot.matcher.native.char_table`) and handed over as bytes: one u32 per code point below
//! `TABLE_LEN` (the BMP and plane 1, which holds the emoji).
//! A code point whose entry lacks `OK` is not taken by the native path at all: a story
//! holding one is classified by the Python matcher (see classify.rs), which is why the
//! table also encodes the conditions under which byte offsets stay aligned (the lowercase
//! copy has the same UTF-8 length) and under which `re` and PCRE2 agree (`\w`, `\s`, `\d`).
//!
//! The table is immutable Unicode data, set once when the module loads: a process-wide
//! `OnceLock` rather than a parameter threaded through every name helper.

use std::sync::OnceLock;

pub const OK: u32 = 1 << 31;
pub const UPPER: u32 = 1 << 21;
pub const LOWER: u32 = 1 << 22;
pub const ALPHA: u32 = 1 << 23;
pub const DECIMAL: u32 = 1 << 24;
pub const DIGIT: u32 = 1 << 25;
pub const NUMERIC: u32 = 1 << 26;
pub const SPACE: u32 = 1 << 27;
pub const TITLE: u32 = 1 << 28;
const LOWER_MASK: u32 = (1 << 21) - 1;

/// Code points the table covers (`bot.matcher.native.TABLE_LEN`).
pub const TABLE_LEN: usize = 0x20000;

static TABLE: OnceLock<Vec<u32>> = OnceLock::new();
/// Is every printable ASCII byte (0x20..=0x7f) accepted?  (Lets `text_ok` skip them 8 at a time.)
static PRINTABLE_OK: OnceLock<bool> = OnceLock::new();

/// Install the table (`TABLE_LEN` little-endian u32: lowercase code point in bits 0-20, flags
/// above).  Called once by the module init; later calls are ignored.
pub fn install(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() != TABLE_LEN * 4 {
        return Err(format!("char table: {} bytes, expected {}", bytes.len(), TABLE_LEN * 4));
    }
    let mut v: Vec<u32> =
        bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    // Keep only the characters on which PCRE2's \w, \s and \d agree with Python's (the
    // table's flags are Python's answers).
    let w = crate::rx::Rx::new(r"\A\w\z", 0)?;
    let sp = crate::rx::Rx::new(r"\A\s\z", 0)?;
    let d = crate::rx::Rx::new(r"\A\d\z", 0)?;
    let mut buf = [0u8; 4];
    for (cp, e) in v.iter_mut().enumerate() {
        if *e & OK == 0 {
            continue;
        }
        let Some(c) = char::from_u32(cp as u32) else { *e = 0; continue };
        let s = c.encode_utf8(&mut buf);
        let py_w = c == '_' || *e & (ALPHA | DECIMAL | DIGIT | NUMERIC) != 0;
        let py_s = *e & SPACE != 0;
        let py_d = *e & DECIMAL != 0;
        if w.is_match(s) != py_w || sp.is_match(s) != py_s || d.is_match(s) != py_d {
            *e = 0;
        }
    }
    let printable = (0x20..0x80).all(|c| v[c] & OK != 0);
    let _ = TABLE.set(v);
    let _ = PRINTABLE_OK.set(printable);
    Ok(())
}

#[inline]
fn entry(c: char) -> u32 {
    let cp = c as u32;
    if cp as usize >= TABLE_LEN {
        return 0;
    }
    match TABLE.get() {
        Some(t) => t[cp as usize],
        None => 0,
    }
}

/// May the native path handle text holding `c`?  (ASCII: all but the control characters
/// on which `re` and PCRE2 disagree about `\s`.)
#[inline]
pub fn ok(c: char) -> bool {
    entry(c) & OK != 0
}

/// Does the native path take this whole text?
pub fn text_ok(s: &str) -> bool {
    TABLE.get().is_some() && ok_prefix(s, 0) == s.len()
}

/// The byte offset of the first character at or after byte `from` (a character boundary)
/// that is not `ok`, or `s.len()` when there is none.
pub fn ok_prefix(s: &str, from: usize) -> usize {
    let Some(t) = TABLE.get() else { return from.min(s.len()) };
    let b = s.as_bytes();
    let mut i = from;
    // ASCII bytes (most of any story) are looked up directly, 8 at a time when all are
    // printable (0x20..=0x7f, all accepted: checked at install); a multibyte character is
    // decoded and looked up as a whole.
    let printable_ok = PRINTABLE_OK.get().copied().unwrap_or(false);
    while i < b.len() {
        if printable_ok {
            if let Some(w) = b.get(i..i + 16) {
                let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                let y = u64::from_le_bytes([w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15]]);
                const LO: u64 = 0x0101_0101_0101_0101;
                // The test below, on two words at once.
                if (x | y) & HI8 == 0 && ((x.wrapping_sub(LO * 0x20) & !x) | (y.wrapping_sub(LO * 0x20) & !y)) & HI8 == 0 {
                    i += 16;
                    continue;
                }
            }
            if let Some(w) = b.get(i..i + 8) {
                let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                const HI: u64 = 0x8080_8080_8080_8080;
                const LO: u64 = 0x0101_0101_0101_0101;
                // No byte >= 0x80, and no byte < 0x20 (the classic "has less than" test).
                if x & HI == 0 && (x.wrapping_sub(LO * 0x20) & !x & HI) == 0 {
                    i += 8;
                    continue;
                }
            }
        }
        let c = b[i];
        if c < 0x80 {
            if t[c as usize] & OK == 0 {
                return i;
            }
            i += 1;
        } else {
            let Some(ch) = s.get(i..).and_then(|r| r.chars().next()) else { return i };
            if !ok(ch) {
                return i;
            }
            i += ch.len_utf8();
        }
    }
    b.len()
}

#[inline]
fn flag(c: char, f: u32) -> bool {
    entry(c) & f != 0
}

/// `c.lower()` for an accepted character (same UTF-8 length by construction).
#[inline]
pub fn lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let e = entry(c);
    if e & OK == 0 {
        return c; // not in the table: never seen on accepted text; leave it as it is
    }
    char::from_u32(e & LOWER_MASK).unwrap_or(c)
}

/// `s.lower()` (for text that passed `text_ok`).
///
/// A byte copy lowercased in place: ASCII bytes directly, a multibyte character replaced by
/// its lowercase, which on accepted text has the same UTF-8 length (the table's condition;
/// any other text takes the general path).
pub fn lower_str(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = s.as_bytes().to_vec();
    lower_ascii_bytes(&mut out);
    // ASCII bytes are done; lower each multibyte character (decoded at its lead byte).
    let mut i = 0;
    while i < out.len() {
        if let Some(w) = out.get(i..i + 8) {
            if u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]) & HI8 == 0 {
                i += 8;
                continue;
            }
        }
        if out[i] < 0x80 {
            i += 1;
            continue;
        }
        let Some(ch) = s.get(i..).and_then(|r| r.chars().next()) else { break };
        let n = ch.len_utf8();
        let l = lower(ch);
        if l != ch {
            if l.len_utf8() != n {
                return s.chars().map(lower).collect();
            }
            l.encode_utf8(&mut out[i..i + n]);
        }
        i += n;
    }
    // Every byte written is ASCII, or a whole character's encoding over one of the same
    // length: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| s.chars().map(lower).collect())
}

const HI8: u64 = 0x8080_8080_8080_8080;

/// Lowercase every ASCII uppercase byte of `b` (others unchanged), eight bytes at a time
/// when all eight are ASCII.
fn lower_ascii_bytes(b: &mut [u8]) {
    const LO: u64 = 0x0101_0101_0101_0101;
    let mut chunks = b.chunks_exact_mut(8);
    for c in &mut chunks {
        let x = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        if x & HI8 == 0 {
            // Per byte (all < 0x80, so no carries): bit 7 of x + 0x3f is "x >= 'A'", of
            // x + 0x25 "x > 'Z'"; an uppercase byte gains 0x20.
            let upper = (x + 0x3f * LO) & !(x + 0x25 * LO) & HI8;
            c.copy_from_slice(&(x | (upper >> 2)).to_le_bytes());
        } else {
            c.make_ascii_lowercase();
        }
    }
    chunks.into_remainder().make_ascii_lowercase();
}

#[inline]
pub fn is_upper(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_uppercase() } else { flag(c, UPPER) }
}
#[inline]
pub fn is_lower(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_lowercase() } else { flag(c, LOWER) }
}
#[inline]
pub fn is_alpha(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_alphabetic() } else { flag(c, ALPHA) }
}
#[inline]
pub fn is_decimal(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_digit() } else { flag(c, DECIMAL) }
}
#[inline]
pub fn is_digit(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_digit() } else { flag(c, DIGIT) }
}
#[inline]
pub fn is_numeric(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_digit() } else { flag(c, NUMERIC) }
}
#[inline]
pub fn is_alnum(c: char) -> bool {
    is_alpha(c) || is_decimal(c) || is_digit(c) || is_numeric(c)
}
#[inline]
pub fn is_space(c: char) -> bool {
    if c.is_ascii() { matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\x1c'..='\x1f') } else { flag(c, SPACE) }
}
/// Python's `\w` on one character (str patterns): alphanumeric or "_".
#[inline]
pub fn is_word(c: char) -> bool {
    c == '_' || is_alnum(c)
}
#[inline]
pub fn is_title(c: char) -> bool {
    !c.is_ascii() && flag(c, TITLE)
}

// ---- str-level predicates, as CPython defines them ------------------------------------
/// `s.isupper()`: at least one cased character, and no lowercase (or titlecase) one.
pub fn str_isupper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if is_lower(c) || is_title(c) {
            return false;
        }
        if is_upper(c) {
            cased = true;
        }
    }
    cased
}
/// `s.islower()`.
pub fn str_islower(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if is_upper(c) || is_title(c) {
            return false;
        }
        if is_lower(c) {
            cased = true;
        }
    }
    cased
}
/// `s.isalpha()`.
pub fn str_isalpha(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_alpha)
}
/// `s.isdigit()`.
pub fn str_isdigit(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_digit)
}
/// `s.isalnum()`.
pub fn str_isalnum(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_alnum)
}
/// `s.istitle()`: cased words start upper (or title) and continue lower.
pub fn str_istitle(s: &str) -> bool {
    let mut cased = false;
    let mut prev_cased = false;
    for c in s.chars() {
        if is_upper(c) || is_title(c) {
            if prev_cased {
                return false;
            }
            prev_cased = true;
            cased = true;
        } else if is_lower(c) {
            if !prev_cased {
                return false;
            }
            prev_cased = true;
            cased = true;
        } else {
            prev_cased = false;
        }
    }
    cased
}

#[cfg(test)]
mod tests {
    #[test]
    fn ascii_lowering_eight_at_a_time_is_bytewise() {
        let all: Vec<u8> = (0u8..=255).collect();
        for shift in 0..8 {
            for take in [0, 1, 7, 8, 9, 64, 200, 256 - shift] {
                let mut a = all[shift..shift + take.min(256 - shift)].to_vec();
                let mut b = a.clone();
                super::lower_ascii_bytes(&mut a);
                b.make_ascii_lowercase();
                assert_eq!(a, b);
            }
        }
    }
}
