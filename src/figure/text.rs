//! The bundled font and text measurement. Figures use only the font shipped
//! in `data/fonts/` (DejaVu Sans, matplotlib's default), so they look the
//! same on every machine.

use cosmic_text::{Attrs, Buffer, Family, FontSystem, Metrics, Shaping};

use super::scene::{Align, Rect, Text};

/// The bundled font file.
pub const FONT: &[u8] = include_bytes!("../../data/fonts/DejaVuSans.ttf");
/// Its family name, as SVG output names it.
pub const FAMILY: &str = "DejaVu Sans";

/// Line height as a multiple of the font size.
pub const LINE_HEIGHT: f32 = 1.25;

/// A font system holding only the bundled font.
pub fn font_system() -> FontSystem {
    let mut db = cosmic_text::fontdb::Database::new();
    db.load_font_data(FONT.to_vec());
    db.set_sans_serif_family(FAMILY);
    FontSystem::new_with_locale_and_db("en-US".to_owned(), db)
}

/// The attributes every figure text uses.
pub fn attrs() -> Attrs<'static> {
    Attrs::new().family(Family::SansSerif)
}

/// Shapes `text` on one line at `size` pixels.
pub fn shape(fonts: &mut FontSystem, text: &str, size: f32) -> Buffer {
    let mut buffer = Buffer::new(fonts, Metrics::new(size, size * LINE_HEIGHT));
    buffer.set_size(None, None);
    buffer.set_text(text, &attrs(), Shaping::Advanced, None);
    buffer.shape_until_scroll(fonts, false);
    buffer
}

/// Width in pixels of `text` on one line at `size` pixels.
pub fn width(fonts: &mut FontSystem, text: &str, size: f32) -> f32 {
    shape(fonts, text, size).layout_runs().map(|run| run.line_w).fold(0.0, f32::max)
}

/// The box `text` covers in the figure: its advance along the line, one
/// line height across it.
pub fn text_box(fonts: &mut FontSystem, text: &Text) -> Rect {
    let (along, across) = (width(fonts, &text.text, text.size), text.size * LINE_HEIGHT);
    let [x, y] = text.at;
    // Where the line starts, measured along its direction.
    let back = match text.align {
        Align::Start => 0.0,
        Align::Middle => along / 2.0,
        Align::End => along,
    };
    if text.rotated {
        // Reads upwards: it starts below its anchor by `back`.
        Rect::new(x - across / 2.0, y + back - along, across, along)
    } else {
        Rect::new(x - back, y - across / 2.0, along, across)
    }
}

/// `text` broken into lines of at most `max_width` pixels, after spaces,
/// slashes and hyphens; a piece too wide alone is cut with "…" (the second
/// value is then true).
pub fn wrap(fonts: &mut FontSystem, text: &str, size: f32, max_width: f32) -> (Vec<String>, bool) {
    let mut pieces: Vec<String> = Vec::new();
    let mut piece = String::new();
    for c in text.chars() {
        piece.push(c);
        if matches!(c, ' ' | '/' | '-') {
            pieces.push(std::mem::take(&mut piece));
        }
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    let (mut lines, mut cut) = (Vec::new(), false);
    let mut line = String::new();
    for piece in pieces {
        let joined = format!("{line}{piece}");
        if line.is_empty() || width(fonts, joined.trim_end(), size) <= max_width {
            line = joined;
            continue;
        }
        lines.push(line.trim_end().to_owned());
        line = piece;
    }
    lines.push(line.trim_end().to_owned());
    for line in &mut lines {
        let fitted = fit(fonts, line, size, max_width);
        cut |= fitted != *line;
        *line = fitted;
    }
    (lines, cut)
}

/// `text`, cut and ended with "…" where needed to fit `max_width` pixels.
pub fn fit(fonts: &mut FontSystem, text: &str, size: f32, max_width: f32) -> String {
    if width(fonts, text, size) <= max_width {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    // The longest prefix that fits with the ellipsis, by bisection.
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate: String = chars[..mid].iter().chain(['…'].iter()).collect();
        if width(fonts, &candidate, size) <= max_width { lo = mid } else { hi = mid - 1 }
    }
    chars[..lo].iter().chain(['…'].iter()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_the_bundled_font() {
        let mut fonts = font_system();
        let one = width(&mut fonts, "M", 20.0);
        // DejaVu Sans's "M" advances 1767/2048 em.
        assert!((one - 20.0 * 1767.0 / 2048.0).abs() < 0.5, "{one}");
        assert!((width(&mut fonts, "MM", 20.0) - 2.0 * one).abs() < 0.5);
        assert_eq!(width(&mut fonts, "", 20.0), 0.0);
    }

    #[test]
    fn long_text_is_cut_to_fit() {
        let mut fonts = font_system();
        let cut = fit(&mut fonts, "a rather long gene description", 12.0, 60.0);
        assert!(cut.ends_with('…'), "{cut}");
        assert!(width(&mut fonts, &cut, 12.0) <= 60.0);
        assert_eq!(fit(&mut fonts, "CD3E", 12.0, 60.0), "CD3E");
    }
}
