//! Character arithmetic on byte offsets.
//!
//! The Python matcher counts in characters (code points): `text[h.end:h.end + 4]`,
//! `max(0, h.start - 40)`, `len(name)`.  The port keeps byte offsets into `&str` (what
//! PCRE2 returns) and must do every such window in characters, with these helpers, or it
//! would disagree with Python on text holding "’", "é" or "€".

/// The byte offset `n` characters before `pos` (0 when fewer precede it).
#[inline]
pub fn back_chars(s: &str, pos: usize, n: usize) -> usize {
    if s.is_ascii() {
        return pos.saturating_sub(n);
    }
    let mut p = pos;
    for _ in 0..n {
        if p == 0 {
            break;
        }
        p -= 1;
        while !s.is_char_boundary(p) {
            p -= 1;
        }
    }
    p
}

/// The byte offset `n` characters after `pos` (the text's length when fewer follow).
#[inline]
pub fn fwd_chars(s: &str, pos: usize, n: usize) -> usize {
    if pos >= s.len() {
        return s.len();
    }
    let mut it = s[pos..].char_indices();
    match it.nth(n) {
        Some((i, _)) => pos + i,
        None => s.len(),
    }
}

/// Python's `len(s)`: the number of characters.
#[inline]
pub fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// The character offset of byte offset `pos` (for offsets handed back to Python).
#[inline]
pub fn char_offset(s: &str, pos: usize) -> usize {
    if s.is_ascii() {
        pos
    } else {
        s[..pos].chars().count()
    }
}

/// The byte offset of character offset `ci` (for offsets coming from Python).
#[inline]
pub fn byte_offset(s: &str, ci: usize) -> usize {
    if s.is_ascii() {
        return ci.min(s.len());
    }
    fwd_chars(s, 0, ci)
}

/// Python's `s[a:b]` with *character* offsets a, b (clamped like Python slicing).
pub fn py_slice(s: &str, a: usize, b: usize) -> &str {
    let a = byte_offset(s, a);
    let b = byte_offset(s, b).max(a);
    &s[a..b]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_characters() {
        let s = "a’b€c";
        assert_eq!(back_chars(s, s.len(), 2), s.len() - 1 - 3);
        assert_eq!(fwd_chars(s, 0, 2), 4);
        assert_eq!(fwd_chars(s, 0, 99), s.len());
        assert_eq!(back_chars(s, 4, 99), 0);
        assert_eq!(char_len(s), 5);
        assert_eq!(char_offset(s, 4), 2);
        assert_eq!(byte_offset(s, 2), 4);
        assert_eq!(py_slice(s, 1, 3), "’b");
    }
}
