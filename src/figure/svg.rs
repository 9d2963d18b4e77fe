//! A scene as SVG: trees, bars, labels, legends and colour bars as vectors
//! (colour bars as true gradients), the heatmap cells as an embedded PNG at
//! the export resolution.

use std::fmt::Write;

use base64::Engine;

use super::colormap::Rgba;
use super::scene::{Align, Rect, Scene};
use super::text::FAMILY;

/// Connectors as cubic Bézier paths, clipped to their gaps; strokes
/// thinner than a pixel drawn one pixel wide at lower opacity, as on screen.
fn connectors(out: &mut String, scene: &Scene) {
    let mut clips: Vec<Rect> = Vec::new();
    for c in &scene.connectors {
        if !clips.contains(&c.clip) {
            let r = c.clip;
            let _ = writeln!(
                out,
                r#"<clipPath id="gap{}"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath>"#,
                clips.len(),
                r.x,
                r.y,
                r.w,
                r.h
            );
            clips.push(c.clip);
        }
    }
    for (k, clip) in clips.iter().enumerate() {
        let _ = writeln!(out, r#"<g clip-path="url(#gap{k})" fill="none">"#);
        for c in scene.connectors.iter().filter(|c| c.clip == *clip) {
            let ([x0, y0], [x1, y1]) = (c.from, c.to);
            let xm = (x0 + x1) / 2.0;
            let opacity = c.color.0[3] as f32 / 255.0 * c.width.min(1.0);
            let _ = writeln!(
                out,
                r#"<path d="M{x0} {y0}C{xm} {y0} {xm} {y1} {x1} {y1}" stroke="{}" stroke-opacity="{opacity:.3}" stroke-width="{}"/>"#,
                Rgba([c.color.0[0], c.color.0[1], c.color.0[2], 255]).hex(),
                c.width.max(1.0)
            );
        }
        out.push_str("</g>\n");
    }
}

/// Stops per gradient: enough that the SVG gradient matches the 256-entry
/// table within rounding.
const GRADIENT_STOPS: usize = 64;

/// The SVG document for `scene`; `heatmap_pngs` are its heatmaps' pixels
/// (the main one, then the linked ones) encoded as PNG (none for a figure
/// without cells).
pub fn to_svg(scene: &Scene, heatmap_pngs: &[Vec<u8>]) -> String {
    let mut out = String::new();
    let (w, h) = (scene.width, scene.height);
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
    );
    let _ = writeln!(out, r#"<rect width="{w}" height="{h}" fill="{}"/>"#, scene.background.hex());
    for (png, r) in heatmap_pngs.iter().zip(scene.drawn_heatmaps().into_iter().map(|(r, _)| r)) {
        let data = base64::engine::general_purpose::STANDARD.encode(png);
        let _ = writeln!(
            out,
            r#"<image x="{}" y="{}" width="{}" height="{}" preserveAspectRatio="none" style="image-rendering:pixelated" xlink:href="data:image/png;base64,{data}"/>"#,
            r.x, r.y, r.w, r.h
        );
    }
    for fill in &scene.fills {
        let r = fill.rect;
        let _ = writeln!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" {}/>"#,
            r.x,
            r.y,
            r.w,
            r.h,
            paint("fill", fill.color)
        );
    }
    connectors(&mut out, scene);
    if !scene.lines.is_empty() {
        out.push_str("<g stroke-linecap=\"square\">\n");
        for line in &scene.lines {
            let ([x0, y0], [x1, y1]) = (line.from, line.to);
            let _ = writeln!(
                out,
                r#"<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke-width="{}" {}/>"#,
                line.width,
                paint("stroke", line.color)
            );
        }
        out.push_str("</g>\n");
    }
    for (i, gradient) in scene.gradients.iter().enumerate() {
        let r = gradient.rect;
        // Low values at the bottom of a vertical bar, on the left of a horizontal one.
        let (x2, y1) = if gradient.vertical { (0, 1) } else { (1, 0) };
        let _ = writeln!(out, r#"<linearGradient id="g{i}" x1="0" y1="{y1}" x2="{x2}" y2="0">"#);
        for s in 0..GRADIENT_STOPS {
            let t = s as f32 / (GRADIENT_STOPS - 1) as f32;
            let color = gradient.lut[(t * (gradient.lut.len() - 1) as f32).round() as usize];
            let _ = writeln!(out, r#"<stop offset="{t:.4}" stop-color="{}"/>"#, color.hex());
        }
        out.push_str("</linearGradient>\n");
        let _ = writeln!(out, r#"<rect x="{}" y="{}" width="{}" height="{}" fill="url(#g{i})"/>"#, r.x, r.y, r.w, r.h);
    }
    let _ = writeln!(out, r#"<g font-family="{FAMILY}, sans-serif">"#);
    for text in &scene.texts {
        let anchor = match text.align {
            Align::Start => "start",
            Align::Middle => "middle",
            Align::End => "end",
        };
        let [x, y] = text.at;
        let transform = if text.rotated { format!(r#" transform="rotate(-90 {x} {y})""#) } else { String::new() };
        let _ = writeln!(
            out,
            r#"<text x="{x}" y="{y}" font-size="{}" text-anchor="{anchor}" dy="0.35em"{transform} {}>{}</text>"#,
            text.size,
            paint("fill", text.color),
            escape(&text.text)
        );
    }
    out.push_str("</g>\n</svg>\n");
    out
}

/// `fill="#rrggbb"` (with an opacity when not opaque).
fn paint(attribute: &str, color: Rgba) -> String {
    let alpha = color.0[3];
    if alpha == 255 {
        format!(r#"{attribute}="{}""#, color.hex())
    } else {
        format!(r#"{attribute}="{}" {attribute}-opacity="{:.3}""#, color.hex(), alpha as f32 / 255.0)
    }
}

/// XML text escaping; control characters, which XML 1.0 cannot hold at
/// all, become U+FFFD.
fn escape(text: &str) -> String {
    let legal = |c: char| if c.is_control() && !matches!(c, '\t' | '\n' | '\r') { '\u{FFFD}' } else { c };
    let text: String = text.chars().map(legal).collect();
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::scene::{Gradient, Text, TextKind};

    #[test]
    fn texts_are_escaped_and_rotated() {
        let mut scene = Scene::bare(100, 50);
        scene.texts.push(Text {
            text: "a<b & c".into(),
            at: [10.0, 20.0],
            size: 12.0,
            align: Align::End,
            rotated: true,
            color: Rgba::BLACK,
            kind: TextKind::ColLabel,
        });
        let svg = to_svg(&scene, &[]);
        assert!(svg.contains("a&lt;b &amp; c"), "{svg}");
        // A control character, which no XML parser takes, is replaced.
        scene.texts[0].text = "x\u{1}y".into();
        assert!(to_svg(&scene, &[]).contains("x\u{FFFD}y"));
        assert!(svg.contains(r#"transform="rotate(-90 10 20)""#), "{svg}");
        assert!(svg.contains(r#"text-anchor="end""#));
    }

    #[test]
    fn colour_bars_are_gradients_from_the_table() {
        let mut scene = Scene::bare(100, 50);
        let lut: Vec<Rgba> = (0..=255).map(|i| Rgba([i as u8, 0, 0, 255])).collect();
        scene.gradients.push(Gradient {
            rect: crate::figure::scene::Rect::new(1.0, 2.0, 3.0, 4.0),
            lut,
            vertical: true,
        });
        let svg = to_svg(&scene, &[b"png".to_vec()]);
        assert!(svg.contains(r##"<stop offset="0.0000" stop-color="#000000"/>"##), "{svg}");
        assert!(svg.contains(r##"<stop offset="1.0000" stop-color="#ff0000"/>"##), "{svg}");
        assert!(svg.contains(r#"x1="0" y1="1" x2="0" y2="0""#));
        assert!(svg.contains("data:image/png;base64,cG5n"));
    }
}
