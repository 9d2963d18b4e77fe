//! Fills, lines and colour bars as coloured triangles (no GPU types: the
//! vertices are plain values the renderer uploads).

use super::uniforms::{ConnectorVertex, PIECES_SHIFT, ShapeVertex};
use crate::figure::colormap::{Rgba, lut_index};
use crate::figure::link::Connector;
use crate::figure::scene::{Rect, Scene};

/// Two triangles covering `rect`.
fn quad(out: &mut Vec<ShapeVertex>, rect: Rect, color: Rgba) {
    if rect.is_empty() || color.0[3] == 0 {
        return;
    }
    let (x0, y0, x1, y1) = (rect.x, rect.y, rect.right(), rect.bottom());
    for position in [[x0, y0], [x1, y0], [x0, y1], [x0, y1], [x1, y0], [x1, y1]] {
        out.push(ShapeVertex { position, color: color.0 });
    }
}

/// Most straight pieces a connector is drawn in.
pub const MAX_CURVE_PIECES: u32 = 16;

/// The straight pieces a connector needs: the curve rises `dy` pixels in
/// an S whose second derivative is at most 6·dy, so n pieces stray about
/// 0.75·dy / n² pixels from it; n keeps that within half a pixel (a band's
/// within a quarter of its width), from 1 for a level link to 16.
pub fn curve_pieces(c: &Connector) -> u32 {
    let dy = (c.to[1] - c.from[1]).abs();
    let tolerance = (c.width / 4.0).max(0.5);
    ((0.75 * dy / tolerance).sqrt().ceil() as u32).clamp(1, MAX_CURVE_PIECES)
}

/// The connectors of `scene` that leave a mark.
fn drawn_connectors(scene: &Scene) -> impl Iterator<Item = &Connector> {
    scene.connectors.iter().filter(|c| c.color.0[3] > 0 && c.width > 0.0)
}

/// Triangles [`connector_vertices`] makes.
pub fn connector_triangles(scene: &Scene) -> usize {
    drawn_connectors(scene).map(|c| 2 * curve_pieces(c) as usize).sum()
}

/// The connectors of `scene` as triangles for the connector shader: each
/// curve in `curve_pieces` straight pieces, two triangles a piece.
pub fn connector_vertices(scene: &Scene) -> Vec<ConnectorVertex> {
    let mut out = Vec::new();
    for c in drawn_connectors(scene) {
        let pieces = curve_pieces(c);
        let vertex = |step: u32, side: u32| ConnectorVertex {
            from: c.from,
            to: c.to,
            clip_min: [c.clip.x, c.clip.y],
            clip_max: [c.clip.right(), c.clip.bottom()],
            width: c.width,
            color: c.color.0,
            corner: pieces << PIECES_SHIFT | step << 1 | side,
        };
        for s in 0..pieces {
            for (step, side) in [(s, 0), (s, 1), (s + 1, 0), (s + 1, 0), (s, 1), (s + 1, 1)] {
                out.push(vertex(step, side));
            }
        }
    }
    out
}

/// The overlay's fills as triangles.
pub fn tessellate_overlay(scene: &Scene) -> Vec<ShapeVertex> {
    let mut out = Vec::new();
    for fill in &scene.overlay_fills {
        quad(&mut out, fill.rect, fill.color);
    }
    out
}

/// Every fill, line and gradient of `scene` as triangles, in drawing order:
/// fills, gradients, then lines on top.
pub fn tessellate(scene: &Scene) -> Vec<ShapeVertex> {
    let mut out = Vec::new();
    for fill in &scene.fills {
        quad(&mut out, fill.rect, fill.color);
    }
    for gradient in &scene.gradients {
        // One band per pixel along the bar, coloured at the band's centre.
        let r = gradient.rect;
        let extent = if gradient.vertical { r.h } else { r.w };
        let bands = extent.ceil().max(1.0) as usize;
        for band in 0..bands {
            let from = band as f32 * extent / bands as f32;
            let to = (band + 1) as f32 * extent / bands as f32;
            let t = (from + to) / 2.0 / extent;
            let color = gradient.lut[lut_index(t)];
            let rect = if gradient.vertical {
                Rect::new(r.x, r.bottom() - to, r.w, to - from)
            } else {
                Rect::new(r.x + from, r.y, to - from, r.h)
            };
            quad(&mut out, rect, color);
        }
    }
    for line in &scene.lines {
        // A quad around the segment, extended by half the width at both ends
        // (square caps, so a tree's stems and crossbars meet cleanly).
        let ([x0, y0], [x1, y1]) = (line.from, line.to);
        let (dx, dy) = (x1 - x0, y1 - y0);
        let length = (dx * dx + dy * dy).sqrt();
        let (ux, uy) = if length > 0.0 { (dx / length, dy / length) } else { (1.0, 0.0) };
        let half = line.width / 2.0;
        let (ax, ay) = (ux * half, uy * half);
        let (nx, ny) = (-uy * half, ux * half);
        let a = [x0 - ax + nx, y0 - ay + ny];
        let b = [x0 - ax - nx, y0 - ay - ny];
        let c = [x1 + ax + nx, y1 + ay + ny];
        let d = [x1 + ax - nx, y1 + ay - ny];
        for position in [a, b, c, c, b, d] {
            out.push(ShapeVertex { position, color: line.color.0 });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::scene::Line;

    #[test]
    fn a_one_pixel_line_on_pixel_centres_covers_whole_pixels() {
        let mut scene = Scene::bare(10, 10);
        scene.lines.push(Line { from: [2.5, 1.5], to: [2.5, 5.5], width: 1.0, color: Rgba::BLACK });
        let v = tessellate(&scene);
        assert_eq!(v.len(), 6);
        let xs: Vec<f32> = v.iter().map(|v| v.position[0]).collect();
        let ys: Vec<f32> = v.iter().map(|v| v.position[1]).collect();
        assert_eq!(xs.iter().copied().fold(f32::INFINITY, f32::min), 2.0);
        assert_eq!(xs.iter().copied().fold(f32::NEG_INFINITY, f32::max), 3.0);
        assert_eq!(ys.iter().copied().fold(f32::INFINITY, f32::min), 1.0);
        assert_eq!(ys.iter().copied().fold(f32::NEG_INFINITY, f32::max), 6.0);
    }

    /// A connector rising `dy` pixels across a 100-pixel gap.
    fn rising(dy: f32, width: f32) -> Connector {
        Connector {
            from: [100.0, 50.0],
            to: [200.0, 50.0 + dy],
            width,
            color: Rgba::BLACK,
            clip: Rect::new(100.0, 0.0, 100.0, 1000.0),
            count: 1,
            gap: 0,
            band: false,
            left: 0..1,
            right: 0..1,
        }
    }

    #[test]
    fn connectors_take_as_many_pieces_as_their_rise_needs() {
        assert_eq!(curve_pieces(&rising(0.0, 1.25)), 1);
        assert_eq!(curve_pieces(&rising(-6.0, 1.25)), 3);
        assert_eq!(curve_pieces(&rising(800.0, 1.25)), MAX_CURVE_PIECES);
        // A band 40 pixels wide may stray 10 pixels: fewer pieces.
        assert_eq!(curve_pieces(&rising(800.0, 40.0)), 8);
        // Below the cap, every point of the curve lies within the tolerance of the pieces.
        for dy in [1.0, 3.0, 12.0, 50.0, 150.0, -90.0] {
            for width in [1.25, 6.0, 30.0] {
                let c = rising(dy, width);
                let n = curve_pieces(&c);
                let corners: Vec<[f32; 2]> = (0..=n).map(|k| c.point(k as f32 / n as f32)).collect();
                let off = |p: [f32; 2]| {
                    let to_piece = |a: [f32; 2], b: [f32; 2]| {
                        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
                        let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
                        ((a[0] + t * dx - p[0]).powi(2) + (a[1] + t * dy - p[1]).powi(2)).sqrt()
                    };
                    corners.windows(2).map(|w| to_piece(w[0], w[1])).fold(f32::INFINITY, f32::min)
                };
                let worst = (0..=400).map(|k| off(c.point(k as f32 / 400.0))).fold(0.0, f32::max);
                assert!(n < MAX_CURVE_PIECES, "dy {dy} width {width}");
                assert!(worst <= (width / 4.0).max(0.5), "dy {dy} width {width}: {n} pieces stray {worst} px");
            }
        }
        let mut scene = Scene::bare(300, 1000);
        scene.connectors = vec![rising(0.0, 1.25), rising(800.0, 1.25)];
        assert_eq!(connector_vertices(&scene).len(), 6 * (1 + 16));
        assert_eq!(connector_triangles(&scene), 2 * (1 + 16));
    }
}
