//! Risk heat maps (likelihood x consequence) as SVG.
//!
//! Likelihood runs up the vertical axis (highest at the top), consequence along the horizontal
//! axis; each cell is coloured by its level on a fixed ramp from green through yellow and orange
//! to red (chosen by the level's position among the method's levels), shows the number of risks
//! in it (a faint dot when none) and links where the caller gives a link. A legend names the
//! levels. Like the diagram, the output is a standalone SVG that is also safe inline under a
//! strict Content-Security-Policy (presentation attributes and classes only: `heat-map`,
//! `hm-cell`, `hm-level-N`, `hm-count`, `hm-legend`), all text escaped. Each cell group carries
//! `data-likelihood`, `data-consequence` and `data-count`; element ids carry a hash of the
//! content, so the inherent and residual maps can share a page.

use std::fmt::Write;

use crate::diagram::{FONT_FAMILY, esc, fit, id_suffix, text_width};

/// A heat map of risks over a likelihood x consequence matrix.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeatMap {
    pub title: String,
    /// Axis captions, localized by the caller.
    pub likelihood_label: String,
    pub consequence_label: String,
    /// Lowest first (3..=6 entries).
    pub likelihood_steps: Vec<String>,
    /// Lowest first (3..=6 entries).
    pub consequence_steps: Vec<String>,
    /// Level labels, lowest first (2..=6).
    pub levels: Vec<String>,
    /// `cells[likelihood - 1][consequence - 1]`.
    pub cells: Vec<Vec<Cell>>,
}

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    /// Index into [`HeatMap::levels`].
    pub level: usize,
    /// Risks in the cell.
    pub count: usize,
    /// Link, e.g. the register filtered to this cell.
    pub href: Option<String>,
}

/// The ramp: green, yellow, orange, red.
const RAMP: [(f64, f64, f64); 4] = [
    (46.0, 125.0, 50.0),
    (253.0, 216.0, 53.0),
    (245.0, 124.0, 0.0),
    (198.0, 40.0, 40.0),
];

fn ramp(t: f64) -> (u8, u8, u8) {
    let t = t.clamp(0.0, 1.0) * (RAMP.len() - 1) as f64;
    let i = (t.floor() as usize).min(RAMP.len() - 2);
    let f = t - i as f64;
    let (a, b) = (RAMP[i], RAMP[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The fill colour (`#rrggbb`) of level `level` among `levels` levels: green for the lowest,
/// red for the highest, yellow and orange between.
pub fn level_fill(level: usize, levels: usize) -> String {
    let (r, g, b) = level_rgb(level, levels);
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn level_rgb(level: usize, levels: usize) -> (u8, u8, u8) {
    if levels <= 1 {
        return ramp(0.0);
    }
    ramp(level.min(levels - 1) as f64 / (levels - 1) as f64)
}

/// Dark text on light fills, white on dark ones.
fn ink_on(rgb: (u8, u8, u8)) -> &'static str {
    let l = 0.299 * rgb.0 as f64 + 0.587 * rgb.1 as f64 + 0.114 * rgb.2 as f64;
    if l > 130.0 { "#111827" } else { "#ffffff" }
}

/// Narrowest cell; cells widen (up to [`CELL_MAX_W`]) to fit the longest word of a consequence step.
const CELL_W: f64 = 64.0;
const CELL_MAX_W: f64 = 100.0;
const CELL_H: f64 = 44.0;
const MARGIN: f64 = 12.0;
const STEP_SIZE: f64 = 11.0;
const CAPTION_SIZE: f64 = 12.0;

/// Renders the heat map as one standalone SVG element.
pub fn render(h: &HeatMap) -> String {
    let rows = h.likelihood_steps.len();
    let cols = h.consequence_steps.len();
    let nlev = h.levels.len();
    // Left: rotated axis caption, then the likelihood step labels.
    let step_w = h
        .likelihood_steps
        .iter()
        .map(|s| text_width(s, STEP_SIZE, false))
        .fold(24.0, f64::max)
        .min(110.0)
        .ceil();
    let cell_w = h
        .consequence_steps
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(|w| text_width(w, STEP_SIZE * 0.92, true) + 8.0)
        .fold(CELL_W, f64::max)
        .min(CELL_MAX_W)
        .ceil();
    let grid_x = MARGIN + 22.0 + step_w + 8.0;
    let grid_y = MARGIN + 34.0;
    let grid_w = cell_w * cols as f64;
    let grid_h = CELL_H * rows as f64;
    // Below: two lines of consequence step labels, the axis caption, the legend.
    let steps_y = grid_y + grid_h + 14.0;
    let caption_y = steps_y + 2.0 * 13.0 + 8.0;
    let legend_y = caption_y + 16.0;
    let width = (grid_x + grid_w + MARGIN).max(360.0).ceil();
    // Legend items wrap into rows.
    let mut legend: Vec<(f64, f64, usize, String)> = Vec::with_capacity(nlev);
    let (mut lx, mut ly) = (MARGIN, legend_y);
    for (i, name) in h.levels.iter().enumerate() {
        let label = fit(name, STEP_SIZE, false, 140.0);
        let item_w = 14.0 + 4.0 + text_width(&label, STEP_SIZE, false) + 14.0;
        if lx + item_w > width - MARGIN && lx > MARGIN {
            lx = MARGIN;
            ly += 18.0;
        }
        legend.push((lx, ly, i, label));
        lx += item_w;
    }
    let height = if nlev == 0 {
        legend_y + MARGIN
    } else {
        ly + 14.0 + MARGIN
    }
    .ceil();
    let total: usize = h
        .cells
        .iter()
        .take(rows)
        .flat_map(|r| r.iter().take(cols))
        .map(|c| c.count)
        .sum();

    // Description: per likelihood step (highest first), the counts by consequence step.
    let mut desc = format!("{} × {}: {total}.", h.likelihood_label, h.consequence_label);
    for (li, row) in h.cells.iter().enumerate().take(rows).rev() {
        let counts: Vec<String> = row.iter().take(cols).map(|c| c.count.to_string()).collect();
        let _ = write!(desc, " {}: {};", h.likelihood_steps[li], counts.join(" "));
    }
    // Ids unique to this map, so that the inherent and residual maps can share one page.
    let id = id_suffix(&[&h.title, &desc]);
    let mut s = String::with_capacity(8192);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="heat-map" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{}" aria-labelledby="hm-title-{id} hm-desc-{id}"><title id="hm-title-{id}">{}</title><desc id="hm-desc-{id}">{}</desc>"#,
        esc(FONT_FAMILY),
        esc(&h.title),
        esc(&desc)
    );
    let _ = write!(
        s,
        r##"<rect class="hm-bg" x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/><text class="hm-heading" x="{MARGIN}" y="{}" font-size="15" font-weight="700" fill="#0f172a">{}</text>"##,
        MARGIN + 14.0,
        esc(&fit(&h.title, 15.0, true, width - 2.0 * MARGIN))
    );
    // Likelihood caption, rotated, centred on the grid.
    let lcx = MARGIN + 8.0;
    let lcy = grid_y + grid_h / 2.0;
    let _ = write!(
        s,
        r##"<text class="hm-axis" x="{lcx}" y="{lcy}" transform="rotate(-90 {lcx} {lcy})" font-size="{CAPTION_SIZE}" font-weight="600" fill="#334155" text-anchor="middle" dominant-baseline="middle">{}</text>"##,
        esc(&fit(
            &h.likelihood_label,
            CAPTION_SIZE,
            true,
            grid_h.max(60.0)
        ))
    );
    // Likelihood steps (highest at the top), on up to two lines.
    for (li, step) in h.likelihood_steps.iter().enumerate() {
        let mid = grid_y + CELL_H * (rows - 1 - li) as f64 + CELL_H / 2.0;
        let lines = crate::diagram::wrap(step, STEP_SIZE * 0.92, step_w, 2);
        let first = mid + 4.0 - 6.5 * (lines.len().max(1) - 1) as f64;
        for (k, line) in lines.iter().enumerate() {
            let _ = write!(
                s,
                r##"<text class="hm-step" x="{}" y="{}" font-size="{STEP_SIZE}" fill="#334155" text-anchor="end">{}</text>"##,
                grid_x - 6.0,
                first + 13.0 * k as f64,
                esc(line)
            );
        }
    }
    // Cells.
    for li in 0..rows {
        for ci in 0..cols {
            let x = grid_x + cell_w * ci as f64;
            let y = grid_y + CELL_H * (rows - 1 - li) as f64;
            let cell = h.cells.get(li).and_then(|r| r.get(ci));
            let Some(cell) = cell else {
                let _ = write!(
                    s,
                    r##"<rect class="hm-cell hm-missing" x="{x}" y="{y}" width="{cell_w}" height="{CELL_H}" fill="#e5e7eb" stroke="#ffffff" stroke-width="2"/>"##
                );
                continue;
            };
            let level = cell.level.min(nlev.saturating_sub(1));
            let rgb = level_rgb(level, nlev);
            let fill = level_fill(level, nlev);
            let ink = ink_on(rgb);
            if let Some(href) = &cell.href {
                let _ = write!(s, r#"<a href="{}">"#, esc(href));
            }
            let level_name = h.levels.get(level).map(String::as_str).unwrap_or("");
            let _ = write!(
                s,
                r##"<g class="hm-cell hm-level-{level}" data-likelihood="{}" data-consequence="{}" data-count="{}"><title>{}: {} · {}: {} · {} ({})</title><rect x="{x}" y="{y}" width="{cell_w}" height="{CELL_H}" fill="{fill}" stroke="#ffffff" stroke-width="2"/>"##,
                li + 1,
                ci + 1,
                cell.count,
                esc(&h.likelihood_label),
                esc(&h.likelihood_steps[li]),
                esc(&h.consequence_label),
                esc(&h.consequence_steps[ci]),
                esc(level_name),
                cell.count
            );
            let (mx, my) = (x + cell_w / 2.0, y + CELL_H / 2.0);
            if cell.count > 0 {
                let _ = write!(
                    s,
                    r#"<text class="hm-count" x="{mx}" y="{}" font-size="16" font-weight="700" fill="{ink}" text-anchor="middle">{}</text>"#,
                    my + 6.0,
                    cell.count
                );
            } else {
                let _ = write!(
                    s,
                    r#"<circle class="hm-empty" cx="{mx}" cy="{my}" r="2" fill="{ink}" fill-opacity="0.35"/>"#
                );
            }
            s.push_str("</g>");
            if cell.href.is_some() {
                s.push_str("</a>");
            }
        }
    }
    // Consequence steps, two short lines each, under their column.
    for (ci, step) in h.consequence_steps.iter().enumerate() {
        let x = grid_x + cell_w * ci as f64 + cell_w / 2.0;
        for (k, line) in crate::diagram::wrap(step, STEP_SIZE * 0.92, cell_w - 4.0, 2)
            .iter()
            .enumerate()
        {
            let _ = write!(
                s,
                r##"<text class="hm-step" x="{x}" y="{}" font-size="{STEP_SIZE}" fill="#334155" text-anchor="middle">{}</text>"##,
                steps_y + 13.0 * k as f64,
                esc(line)
            );
        }
    }
    let _ = write!(
        s,
        r##"<text class="hm-axis" x="{}" y="{caption_y}" font-size="{CAPTION_SIZE}" font-weight="600" fill="#334155" text-anchor="middle">{}</text>"##,
        grid_x + grid_w / 2.0,
        esc(&fit(
            &h.consequence_label,
            CAPTION_SIZE,
            true,
            width - 2.0 * MARGIN
        ))
    );
    // Legend.
    for (x, y, i, label) in &legend {
        let _ = write!(
            s,
            r##"<g class="hm-legend"><rect x="{x}" y="{y}" width="14" height="14" rx="2" fill="{}"/><text x="{}" y="{}" font-size="{STEP_SIZE}" fill="#334155">{}</text></g>"##,
            level_fill(*i, nlev),
            x + 18.0,
            y + 11.0,
            esc(label)
        );
    }
    s.push_str("</svg>");
    s
}
