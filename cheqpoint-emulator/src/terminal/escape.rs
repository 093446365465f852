//! What the terminal must not receive raw, and how it is shown instead: controls, bidi controls
//! and invisible characters, written as escapes so that what an agent sent is shown, never obeyed.

use std::fmt::Write as _;

/// `text` with every control character (newlines and carriage returns included), every bidi
/// control and every invisible format character written as a Rust-style escape, `\u{1b}`, so that
/// what reaches the terminal is what the agent sent, shown, never obeyed.
pub(crate) fn escaped(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if must_escape(c) {
            let _ = write!(shown, "\\u{{{:x}}}", u32::from(c));
        } else {
            shown.push(c);
        }
    }
    shown
}

/// A character the terminal must not receive raw: a control, a bidi control or an invisible one.
pub(crate) fn must_escape(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_invisible(c)
}

/// The invisible characters that reorder the text around them (Trojan Source).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The characters that take no room on screen but change what is read: zero-width space,
/// joiners, word joiner, byte-order mark, soft hyphen, the line and paragraph separators, and the
/// tag characters (which can spell hidden text).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00ad}' | '\u{200b}'..='\u{200d}' | '\u{2028}' | '\u{2029}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{e0000}'..='\u{e007f}')
}
