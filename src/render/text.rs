//! Text through glyphon, with the bundled font. Horizontal text is drawn
//! straight into the target; rotated text (column labels) is drawn
//! horizontally into a strip texture first, which the rotated-text pipeline
//! turns onto the figure.

use cosmic_text::FontSystem;
use glyphon::{Cache, Color, Resolution, SwashCache, TextArea, TextAtlas, TextBounds, TextRenderer, Viewport};

use super::RenderError;
use super::uniforms::StripUniforms;
use crate::figure::scene::{Align, Scene, Text};
use crate::figure::text::{self, LINE_HEIGHT};

/// Glyph atlas, font system and the renderer for horizontal text.
pub struct TextPainter {
    fonts: FontSystem,
    swash: SwashCache,
    cache: Cache,
    atlas: TextAtlas,
    viewport: Viewport,
    renderer: TextRenderer,
    /// Text over everything else.
    overlay: TextRenderer,
    /// The format of every target, strips included.
    format: wgpu::TextureFormat,
}

/// Rotated texts sharing an anchor line, drawn horizontally into `texture`.
pub struct Strip {
    pub texture: wgpu::Texture,
    pub uniforms: StripUniforms,
    renderer: TextRenderer,
    viewport: Viewport,
}

/// Shapes `texts` and lays each out at `place(text, width)` (left, top).
fn areas<'a>(
    fonts: &mut FontSystem,
    texts: impl Iterator<Item = &'a Text>,
    place: impl Fn(&Text, f32) -> [f32; 2],
) -> Vec<(glyphon::Buffer, [f32; 2], Color)> {
    texts
        .map(|t| {
            let buffer = text::shape(fonts, &t.text, t.size);
            let width = buffer.layout_runs().map(|r| r.line_w).fold(0.0, f32::max);
            let [r, g, b, a] = t.color.0;
            (buffer, place(t, width), Color::rgba(r, g, b, a))
        })
        .collect()
}

/// How far along its reading direction a text starts, given its width.
fn lead(align: Align, width: f32) -> f32 {
    match align {
        Align::Start => 0.0,
        Align::Middle => width / 2.0,
        Align::End => width,
    }
}

fn text_areas<'a>(
    shaped: &'a [(glyphon::Buffer, [f32; 2], Color)],
    size: [u32; 2],
) -> impl Iterator<Item = TextArea<'a>> {
    shaped.iter().map(move |(buffer, [left, top], color)| TextArea {
        buffer,
        left: *left,
        top: *top,
        scale: 1.0,
        bounds: TextBounds { left: 0, top: 0, right: size[0] as i32, bottom: size[1] as i32 },
        default_color: *color,
        custom_glyphs: &[],
    })
}

impl TextPainter {
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue, format: wgpu::TextureFormat) -> TextPainter {
        let cache = Cache::new(device);
        let mut atlas = TextAtlas::new(device, queue, &cache, format);
        let renderer = TextRenderer::new(&mut atlas, device, wgpu::MultisampleState::default(), None);
        let overlay = TextRenderer::new(&mut atlas, device, wgpu::MultisampleState::default(), None);
        let viewport = Viewport::new(device, &cache);
        TextPainter {
            fonts: text::font_system(),
            swash: SwashCache::new(),
            cache,
            atlas,
            viewport,
            renderer,
            overlay,
            format,
        }
    }

    /// Lays out the horizontal texts of `scene` that fall in the target at
    /// `origin` of `size` pixels.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        origin: [f32; 2],
        size: [u32; 2],
    ) -> Result<(), RenderError> {
        let place = |t: &Text, width: f32| {
            let line = t.size * LINE_HEIGHT;
            [t.at[0] - lead(t.align, width) - origin[0], t.at[1] - line / 2.0 - origin[1]]
        };
        let shaped = areas(&mut self.fonts, scene.texts.iter().filter(|t| !t.rotated), place);
        let overlay = areas(&mut self.fonts, scene.overlay_texts.iter(), place);
        self.viewport.update(queue, Resolution { width: size[0], height: size[1] });
        for (renderer, shaped) in [(&mut self.renderer, &shaped), (&mut self.overlay, &overlay)] {
            renderer
                .prepare(
                    device,
                    queue,
                    &mut self.fonts,
                    &mut self.atlas,
                    &self.viewport,
                    text_areas(shaped, size),
                    &mut self.swash,
                )
                .map_err(|e| RenderError::Text(e.to_string()))?;
        }
        Ok(())
    }

    /// Strips for the rotated texts of `scene` that reach the target at
    /// `origin` of `size` pixels: one per anchor line and alignment.
    pub fn prepare_strips(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        origin: [f32; 2],
        size: [f32; 2],
    ) -> Result<Vec<Strip>, RenderError> {
        let mut groups: Vec<((u32, Align), Vec<&Text>)> = Vec::new();
        for t in scene.texts.iter().filter(|t| t.rotated) {
            let line = t.size * LINE_HEIGHT;
            if t.at[0] + line < origin[0] || t.at[0] - line > origin[0] + size[0] {
                continue;
            }
            let key = (t.at[1].to_bits(), t.align);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(t),
                None => groups.push((key, vec![t])),
            }
        }
        let mut strips = Vec::new();
        for ((anchor, align), members) in groups {
            let anchor = f32::from_bits(anchor);
            let widths: Vec<f32> = members.iter().map(|t| text::width(&mut self.fonts, &t.text, t.size)).collect();
            let length = widths.iter().copied().fold(0.0, f32::max).ceil() + 2.0;
            // Strip texel (u, v): u along the text, v = figure x − origin x.
            let strip_size = [length as u32, size[0] as u32];
            let shaped = areas(&mut self.fonts, members.into_iter(), |t, width| {
                let line = t.size * LINE_HEIGHT;
                let left = match t.align {
                    Align::Start => 0.0,
                    Align::Middle => (length - width) / 2.0,
                    Align::End => length - width,
                };
                [left, t.at[0] - origin[0] - line / 2.0]
            });
            let top = match align {
                Align::End => anchor,
                Align::Middle => anchor - length / 2.0,
                Align::Start => anchor - length,
            };
            let usage = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING;
            let texture = super::texture_2d(device, "Texture::rotated_text", strip_size, self.format, usage);
            let mut renderer = TextRenderer::new(&mut self.atlas, device, wgpu::MultisampleState::default(), None);
            let mut viewport = Viewport::new(device, &self.cache);
            viewport.update(queue, Resolution { width: strip_size[0], height: strip_size[1] });
            renderer
                .prepare(
                    device,
                    queue,
                    &mut self.fonts,
                    &mut self.atlas,
                    &viewport,
                    text_areas(&shaped, strip_size),
                    &mut self.swash,
                )
                .map_err(|e| RenderError::Text(e.to_string()))?;
            let uniforms = StripUniforms { rect_min: [origin[0], top], rect_max: [origin[0] + size[0], top + length] };
            strips.push(Strip { texture, uniforms, renderer, viewport });
        }
        Ok(strips)
    }

    /// Draws each strip's text, dark on white, into its texture.
    pub fn encode_strips(&self, encoder: &mut wgpu::CommandEncoder, strips: &[Strip]) -> Result<(), RenderError> {
        for strip in strips {
            let view = strip.texture.create_view(&Default::default());
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("RenderPass::rotated_text"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::WHITE),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            strip
                .renderer
                .render(&self.atlas, &strip.viewport, &mut pass)
                .map_err(|e| RenderError::Text(e.to_string()))?;
        }
        Ok(())
    }

    /// Draws the prepared horizontal text.
    pub fn render(&self, pass: &mut wgpu::RenderPass) -> Result<(), RenderError> {
        self.renderer.render(&self.atlas, &self.viewport, pass).map_err(|e| RenderError::Text(e.to_string()))
    }

    /// Draws the prepared overlay text.
    pub fn render_overlay(&self, pass: &mut wgpu::RenderPass) -> Result<(), RenderError> {
        self.overlay.render(&self.atlas, &self.viewport, pass).map_err(|e| RenderError::Text(e.to_string()))
    }

    /// Frees glyphs not used by the last image.
    pub fn trim(&mut self) {
        self.atlas.trim();
    }
}
