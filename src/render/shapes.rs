//! Fills, lines and colour bars as coloured triangles (no GPU types: the
//! vertices are plain values the renderer uploads).

use super::uniforms::{ConnectorVertex, ShapeVertex};
use crate::figure::colormap::{Rgba, lut_index};
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

/// The connectors of `scene` as triangles for the connector shader: each
/// curve in `segments` straight pieces, two triangles a piece.
pub fn connector_vertices(scene: &Scene, segments: u32) -> Vec<ConnectorVertex> {
    let mut out = Vec::new();
    for c in scene.connectors.iter().filter(|c| c.color.0[3] > 0 && c.width > 0.0) {
        let vertex = |step: u32, side: u32| ConnectorVertex {
            from: c.from,
            to: c.to,
            clip_min: [c.clip.x, c.clip.y],
            clip_max: [c.clip.right(), c.clip.bottom()],
            width: c.width,
            color: c.color.0,
            corner: step * 2 + side,
        };
        for s in 0..segments {
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
}
