//! A user's input as an error message quotes it: short, and on one line.
//!
//! A field, an id or a header can be megabytes long (a file that is not
//! what its name says, a damaged line); a message echoing it whole would
//! bury its own advice. Every message that quotes input passes it through
//! [`quote`].

/// The most characters of input a message quotes.
pub const MAX_QUOTED: usize = 200;

/// `text` cut to [`MAX_QUOTED`] characters, ended with "…" when cut, with
/// control characters (newlines, tabs, escapes) written as Rust escapes
/// (`\n`, `\t`, `\u{1b}`) so that the message stays one line.
pub fn quote(text: &str) -> String {
    let mut out = String::new();
    let mut shown = 0;
    for c in text.chars() {
        let width = if c.is_control() { c.escape_default().count() } else { 1 };
        if shown + width > MAX_QUOTED {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        shown += width;
    }
    out
}

/// [`quote`] of bytes that may not be UTF-8 (invalid sequences shown as
/// U+FFFD). Only the bytes that can show are converted: a character takes
/// at most 4 bytes, so more than `4 × MAX_QUOTED` bytes are cut anyway.
pub fn quote_bytes(bytes: &[u8]) -> String {
    quote(&String::from_utf8_lossy(&bytes[..bytes.len().min(4 * MAX_QUOTED + 4)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(quote("GENE1X"), "GENE1X");
        assert_eq!(quote(""), "");
        assert_eq!(quote(&"é".repeat(MAX_QUOTED)), "é".repeat(MAX_QUOTED));
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let long = "x".repeat(12 << 20);
        assert_eq!(quote(&long), format!("{}…", "x".repeat(MAX_QUOTED)));
        // Cut on a character, never inside one.
        assert_eq!(quote(&"日".repeat(300)), format!("{}…", "日".repeat(MAX_QUOTED)));
    }

    #[test]
    fn control_characters_are_escaped_onto_one_line() {
        assert_eq!(quote("a\nb\tc\r\u{1b}"), "a\\nb\\tc\\r\\u{1b}");
        let lines = "ab\n".repeat(1000);
        let quoted = quote(&lines);
        assert!(!quoted.contains('\n'));
        // 50 × "ab\n" is 50 × 4 shown characters: exactly the limit.
        assert_eq!(quoted, format!("{}…", "ab\\n".repeat(50)));
    }

    #[test]
    fn bytes_are_shown_lossily_and_cut() {
        assert_eq!(quote_bytes(b"ab\xffc"), "ab\u{fffd}c");
        let long = vec![b'z'; 1 << 20];
        assert_eq!(quote_bytes(&long), format!("{}…", "z".repeat(MAX_QUOTED)));
        // Escaped bytes: "a" and 39 × "\u{0}" (5 characters each) fill 196
        // characters; a 40th would pass 200.
        let nuls = [b"a".as_slice(), &[0u8; 5000]].concat();
        assert_eq!(quote_bytes(&nuls), format!("a{}…", "\\u{0}".repeat(39)));
    }
}
