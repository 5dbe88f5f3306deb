//! The zone and conduit diagram (62443-3-2) as SVG, with an automatic layout.
//!
//! Zones are drawn as boxes in horizontal bands, one band per layer rank (the caller maps
//! Purdue levels to ranks), the highest rank at the top and a last band for zones of unknown
//! layer; only bands with zones are drawn, captioned at the left. Within a band the zones are
//! ordered to reduce conduit crossings (barycenter sweeps over the bands, Sugiyama style), and
//! a band with many zones wraps into a grid of several rows (filled column by column, so the
//! order still runs left to right) so that large plants keep a readable aspect ratio; narrower
//! bands are centred.
//!
//! Every conduit end gets its own port on the box edge that faces the other zone, so parallel
//! conduits never overlap. A conduit is a straight line when nothing is in its way, an arc above
//! the row between two zones of one row, and otherwise an orthogonal route down the gaps: the
//! channel under each row, a passage between two boxes (or at either end) of each row it
//! passes, chosen for the shortest detour and the fewest crossings, with lanes so that routes
//! only share a lane where they do not overlap. Lines have a white casing so crossings stay
//! readable. Labels sit on a white backing where they cover neither a box nor another label
//! when such a place exists; the full name and channels are in each conduit's tooltip.
//!
//! The output is one standalone `<svg>` element (xmlns, width and height in px, viewBox,
//! `role="img"`, `<title>`, `<desc>`) that is also safe inline under a strict
//! Content-Security-Policy: no `style` attribute, no `<style>` element, no script; presentation
//! attributes and class names (`zone-diagram`, `zd-zone`, `zd-zone-alert`, `zd-conduit`,
//! `zd-label`, `zd-band`) only. Inline, a page scales it with CSS on `.zone-diagram` (for
//! example `max-width: 100%; height: auto`). Element ids carry a hash of the content, so several
//! diagrams can share a page. All text is escaped; the same input gives the same bytes.

use std::collections::HashMap;
use std::fmt::Write;

/// A security zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// Stable key, referenced by conduits.
    pub id: String,
    /// Display name (may be Japanese).
    pub name: String,
    /// Short lines under the name, e.g. "SL-T 3,3,2,2,1,1,3", "12 assets".
    pub lines: Vec<String>,
    /// Band rank: higher is drawn higher; `None` = unknown layer.
    pub layer: Option<u8>,
    /// Link target of the zone box, if any.
    pub href: Option<String>,
    /// SL-A below SL-T: the box is highlighted.
    pub alert: bool,
}

/// A conduit between two zones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conduit {
    pub id: String,
    pub name: String,
    /// Zone id.
    pub from: String,
    /// Zone id.
    pub to: String,
    /// E.g. "Modbus/TCP 502, OPC UA 4840"; truncated with … when long.
    pub label: String,
    /// All channels flow from -> to: an arrowhead at `to`.
    pub one_way: bool,
}

/// What to draw.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagram {
    /// Accessible title and heading text.
    pub title: String,
    pub zones: Vec<Zone>,
    pub conduits: Vec<Conduit>,
    /// Band captions by rank, localized by the caller.
    pub layer_names: Vec<(u8, String)>,
    /// Caption of the band for zones without a layer.
    pub unknown_layer_name: String,
}

/// A placed zone box (index into [`Diagram::zones`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedZone {
    pub zone: usize,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// A drawn band.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedBand {
    /// `None` for the band of unknown layers.
    pub layer: Option<u8>,
    pub y: f64,
    pub h: f64,
}

/// The computed geometry of a diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    /// One entry per zone, in the order of [`Diagram::zones`].
    pub zones: Vec<PlacedZone>,
    /// Bands from top to bottom.
    pub bands: Vec<PlacedBand>,
    /// Per zone, the bottom of its grid row (the tallest box of the row).
    row_bottom: Vec<f64>,
}

// Geometry (px).
const MARGIN: f64 = 16.0;
const HEADING_H: f64 = 40.0;
const CAPTION_W: f64 = 150.0;
const NAME_SIZE: f64 = 13.0;
const LINE_SIZE: f64 = 11.0;
const LABEL_SIZE: f64 = 10.0;
const PAD_X: f64 = 10.0;
const NAME_H: f64 = 18.0;
const LINE_H: f64 = 15.0;
const BOX_MIN_W: f64 = 120.0;
const BOX_MAX_W: f64 = 230.0;
const MAX_LINES: usize = 5;
const COL_GAP: f64 = 44.0;
const ROW_GAP: f64 = 64.0;
const BAND_PAD_TOP: f64 = 40.0;
const BAND_PAD_BOTTOM: f64 = 16.0;
const BAND_GAP: f64 = 40.0;
const LABEL_MAX_W: f64 = 170.0;
const SWEEPS: usize = 6;

pub(crate) const FONT_FAMILY: &str = "'Noto Sans JP', 'Noto Sans CJK JP', 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Yu Gothic UI', Meiryo, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

/// A short deterministic id suffix (FNV-1a over the parts), so that several SVGs inlined in
/// one page do not share element ids.
pub(crate) fn id_suffix(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:08x}", (h >> 32) as u32 ^ h as u32)
}

/// Escapes text for SVG/XML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    esc_into(&mut out, s);
    out
}

fn esc_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Characters XML 1.0 forbids (controls other than tab and newlines).
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            '\u{FFFE}' | '\u{FFFF}' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Whether a character takes a full em (CJK ideographs, kana, Hangul, full-width forms).
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// Estimated advance of one character in em.
fn char_em(c: char, bold: bool) -> f64 {
    if is_wide(c) {
        1.0
    } else if matches!(
        c,
        'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' '
    ) {
        0.32
    } else if c.is_ascii_uppercase() || matches!(c, 'm' | 'w' | 'M' | 'W') {
        if bold { 0.74 } else { 0.68 }
    } else if bold {
        0.62
    } else {
        0.56
    }
}

/// Estimated width of a text in px.
pub(crate) fn text_width(s: &str, size: f64, bold: bool) -> f64 {
    s.chars().map(|c| char_em(c, bold)).sum::<f64>() * size
}

/// The text cut with "…" to fit `max` px (whole if it fits).
pub(crate) fn fit(s: &str, size: f64, bold: bool, max: f64) -> String {
    let s = s.trim();
    if text_width(s, size, bold) <= max {
        return s.to_string();
    }
    let budget = max - size; // room for the ellipsis
    let mut w = 0.0;
    let mut out = String::new();
    for c in s.chars() {
        let cw = char_em(c, bold) * size;
        if w + cw > budget {
            break;
        }
        w += cw;
        out.push(c);
    }
    let mut out = out.trim_end().to_string();
    out.push('…');
    out
}

/// A zone's box size and its fitted texts.
struct BoxText {
    w: f64,
    h: f64,
    name: String,
    lines: Vec<String>,
}

fn box_text(z: &Zone) -> BoxText {
    let inner = BOX_MAX_W - 2.0 * PAD_X;
    let name = fit(
        &z.name,
        NAME_SIZE,
        true,
        inner - if z.alert { 16.0 } else { 0.0 },
    );
    let lines: Vec<String> = z
        .lines
        .iter()
        .take(MAX_LINES)
        .map(|l| fit(l, LINE_SIZE, false, inner))
        .collect();
    let mut w = text_width(&name, NAME_SIZE, true) + if z.alert { 16.0 } else { 0.0 };
    for l in &lines {
        w = w.max(text_width(l, LINE_SIZE, false));
    }
    let w = (w + 2.0 * PAD_X).clamp(BOX_MIN_W, BOX_MAX_W).ceil();
    let h = 8.0 + NAME_H + LINE_H * lines.len() as f64 + 8.0;
    BoxText { w, h, name, lines }
}

/// The resolved conduits: (conduit index, from zone, to zone); unknown refs and loops skipped.
fn resolved(d: &Diagram) -> Vec<(usize, usize, usize)> {
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(d.zones.len());
    for (i, z) in d.zones.iter().enumerate() {
        by_id.entry(z.id.as_str()).or_insert(i);
    }
    d.conduits
        .iter()
        .enumerate()
        .filter_map(|(k, c)| {
            let a = *by_id.get(c.from.as_str())?;
            let b = *by_id.get(c.to.as_str())?;
            (a != b).then_some((k, a, b))
        })
        .collect()
}

/// Band key: higher ranks first, unknown last.
fn band_key(layer: Option<u8>) -> i32 {
    match layer {
        Some(r) => -(r as i32),
        None => 1,
    }
}

/// Computes where every zone goes.
pub fn layout(d: &Diagram) -> Layout {
    let texts: Vec<BoxText> = d.zones.iter().map(box_text).collect();
    let edges = resolved(d);
    layout_with(d, &texts, &edges)
}

fn layout_with(d: &Diagram, texts: &[BoxText], edges: &[(usize, usize, usize)]) -> Layout {
    let n = d.zones.len();
    // Bands, top to bottom.
    let mut keys: Vec<i32> = d.zones.iter().map(|z| band_key(z.layer)).collect();
    keys.sort_unstable();
    keys.dedup();
    let band_of: Vec<usize> = d
        .zones
        .iter()
        .map(|z| keys.binary_search(&band_key(z.layer)).unwrap_or(0))
        .collect();
    let mut bands: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    for (i, &b) in band_of.iter().enumerate() {
        bands[b].push(i);
    }
    // Neighbours.
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(_, a, b) in edges {
        adj[a].push(b);
        adj[b].push(a);
    }
    // Barycenter sweeps: position of a zone = its rank in its band / band size.
    let mut pos = vec![0.0f64; n];
    let set_pos = |band: &[usize], pos: &mut [f64]| {
        let len = band.len().max(1) as f64;
        for (k, &z) in band.iter().enumerate() {
            pos[z] = (k as f64 + 0.5) / len;
        }
    };
    for band in &bands {
        set_pos(band, &mut pos);
    }
    for sweep in 0..SWEEPS {
        let order: Vec<usize> = if sweep % 2 == 0 {
            (0..bands.len()).collect()
        } else {
            (0..bands.len()).rev().collect()
        };
        for b in order {
            let mut keyed: Vec<(f64, usize, usize)> = bands[b]
                .iter()
                .enumerate()
                .map(|(k, &z)| {
                    let (sum, cnt) = adj[z]
                        .iter()
                        .filter(|&&o| band_of[o] != b)
                        .fold((0.0, 0usize), |(s, c), &o| (s + pos[o], c + 1));
                    let bc = if cnt == 0 { pos[z] } else { sum / cnt as f64 };
                    (bc, k, z)
                })
                .collect();
            keyed.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            bands[b] = keyed.into_iter().map(|(_, _, z)| z).collect();
            set_pos(&bands[b], &mut pos);
        }
    }
    // Target width: a readable aspect ratio for the whole drawing.
    let area: f64 = texts
        .iter()
        .map(|t| (t.w + COL_GAP) * (t.h + ROW_GAP))
        .sum();
    let target_w = (area * 1.6).sqrt().clamp(900.0, 4200.0);
    let mut placed = vec![
        PlacedZone {
            zone: 0,
            x: 0.0,
            y: 0.0,
            w: 0.0,
            h: 0.0
        };
        n
    ];
    let mut row_bottom = vec![0.0f64; n];
    let mut band_right: Vec<(usize, f64)> = Vec::with_capacity(bands.len());
    let mut placed_bands = Vec::with_capacity(bands.len());
    let left = MARGIN + CAPTION_W;
    let mut y = MARGIN + HEADING_H;
    let mut width: f64 = left + 200.0;
    for (b, band) in bands.iter().enumerate() {
        if band.is_empty() {
            continue;
        }
        let total_w: f64 = band.iter().map(|&z| texts[z].w + COL_GAP).sum();
        let avg = total_w / band.len() as f64;
        let max_cols = ((target_w / avg).floor() as usize).max(1);
        let rows = band.len().div_ceil(max_cols);
        let cols = band.len().div_ceil(rows);
        // Column-major fill keeps x monotone in the barycenter order; within a column, zones
        // with more neighbours above go to the upper rows.
        let mut grid: Vec<Vec<usize>> = Vec::with_capacity(cols);
        for chunk in band.chunks(rows) {
            let mut col = chunk.to_vec();
            col.sort_by_key(|&z| {
                let up = adj[z].iter().filter(|&&o| band_of[o] < b).count() as i64;
                let down = adj[z].iter().filter(|&&o| band_of[o] > b).count() as i64;
                down - up
            });
            grid.push(col);
        }
        let col_w: Vec<f64> = grid
            .iter()
            .map(|col| col.iter().map(|&z| texts[z].w).fold(0.0, f64::max))
            .collect();
        let mut row_h = vec![0.0f64; rows];
        for col in &grid {
            for (r, &z) in col.iter().enumerate() {
                row_h[r] = row_h[r].max(texts[z].h);
            }
        }
        let band_y = y;
        let mut ry = y + BAND_PAD_TOP;
        let mut row_y = Vec::with_capacity(rows);
        for h in &row_h {
            row_y.push(ry);
            ry += h + ROW_GAP;
        }
        let band_h = ry - ROW_GAP + BAND_PAD_BOTTOM - band_y;
        let mut x = left + COL_GAP / 2.0;
        for (c, col) in grid.iter().enumerate() {
            for (r, &z) in col.iter().enumerate() {
                let t = &texts[z];
                placed[z] = PlacedZone {
                    zone: z,
                    x: (x + (col_w[c] - t.w) / 2.0).round(),
                    y: row_y[r],
                    w: t.w,
                    h: t.h,
                };
                row_bottom[z] = row_y[r] + row_h[r];
            }
            x += col_w[c] + COL_GAP;
        }
        width = width.max(x - COL_GAP / 2.0 + MARGIN);
        band_right.push((b, x - COL_GAP / 2.0));
        placed_bands.push(PlacedBand {
            layer: d.zones[band[0]].layer,
            y: band_y,
            h: band_h,
        });
        y = band_y + band_h + BAND_GAP;
    }
    // Narrower bands are centred in the drawing's width.
    let width = width.ceil();
    for (b, right) in band_right {
        let shift = ((width - MARGIN - right) / 2.0).floor();
        for &z in &bands[b] {
            placed[z].x += shift;
        }
    }
    let height = if placed_bands.is_empty() {
        MARGIN + HEADING_H + MARGIN
    } else {
        y - BAND_GAP + MARGIN
    };
    Layout {
        width: width.ceil(),
        height: height.ceil(),
        zones: placed,
        bands: placed_bands,
        row_bottom,
    }
}

/// Axis-aligned rectangles indexed by a coarse grid, to find free places for labels.
struct Occupancy {
    cell: f64,
    cells: HashMap<(i32, i32), Vec<usize>>,
    rects: Vec<[f64; 4]>,
}

impl Occupancy {
    fn new(cell: f64) -> Self {
        Occupancy {
            cell,
            cells: HashMap::new(),
            rects: Vec::new(),
        }
    }

    fn span(&self, r: &[f64; 4]) -> (i32, i32, i32, i32) {
        (
            (r[0] / self.cell).floor() as i32,
            (r[1] / self.cell).floor() as i32,
            ((r[0] + r[2]) / self.cell).floor() as i32,
            ((r[1] + r[3]) / self.cell).floor() as i32,
        )
    }

    fn insert(&mut self, r: [f64; 4]) {
        let id = self.rects.len();
        self.rects.push(r);
        let (x0, y0, x1, y1) = self.span(&r);
        for gx in x0..=x1 {
            for gy in y0..=y1 {
                self.cells.entry((gx, gy)).or_default().push(id);
            }
        }
    }

    /// Overlap area of `r` with what is already placed.
    fn overlap(&self, r: &[f64; 4]) -> f64 {
        let (x0, y0, x1, y1) = self.span(r);
        let mut seen: Vec<usize> = Vec::new();
        let mut total = 0.0;
        for gx in x0..=x1 {
            for gy in y0..=y1 {
                if let Some(ids) = self.cells.get(&(gx, gy)) {
                    for &id in ids {
                        if seen.contains(&id) {
                            continue;
                        }
                        seen.push(id);
                        let o = &self.rects[id];
                        let w = (r[0] + r[2]).min(o[0] + o[2]) - r[0].max(o[0]);
                        let h = (r[1] + r[3]).min(o[1] + o[3]) - r[1].max(o[1]);
                        if w > 0.0 && h > 0.0 {
                            total += w * h;
                        }
                    }
                }
            }
        }
        total
    }
}

/// A conduit end on a box side: sort group (arcs leftwards, lines, arcs rightwards), sort key,
/// conduit (index into the resolved list) and which end (0 = from, 1 = to).
type Port = (u8, f64, usize, u8);

/// Renders the diagram as one standalone SVG element.
pub fn render(d: &Diagram) -> String {
    let texts: Vec<BoxText> = d.zones.iter().map(box_text).collect();
    let edges = resolved(d);
    let lay = layout_with(d, &texts, &edges);
    let mut s = String::with_capacity(4096 + d.zones.len() * 700 + edges.len() * 500);
    let (w, h) = (lay.width, lay.height);
    let desc = describe(d, &edges);
    // Ids unique to this drawing, so that several diagrams can share one page.
    let id = id_suffix(&[&d.title, &desc]);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="zone-diagram" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{}" aria-labelledby="zd-title-{id} zd-desc-{id}"><title id="zd-title-{id}">"##,
        esc(FONT_FAMILY)
    );
    esc_into(&mut s, &d.title);
    let _ = write!(s, r#"</title><desc id="zd-desc-{id}">"#);
    esc_into(&mut s, &desc);
    let _ = write!(
        s,
        r##"</desc><defs><marker id="zd-arrow-{id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#334155"/></marker></defs>"##
    );
    let _ = write!(
        s,
        r##"<rect class="zd-bg" x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/><text class="zd-heading" x="{MARGIN}" y="{}" font-size="18" font-weight="700" fill="#0f172a">"##,
        MARGIN + 20.0
    );
    esc_into(&mut s, &fit(&d.title, 18.0, true, w - 2.0 * MARGIN));
    s.push_str("</text>");

    // Bands with their captions.
    for (i, band) in lay.bands.iter().enumerate() {
        let fill = if i % 2 == 0 { "#f1f5f9" } else { "#f8fafc" };
        let caption = match band.layer {
            Some(r) => d
                .layer_names
                .iter()
                .find(|(k, _)| *k == r)
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| r.to_string()),
            None => d.unknown_layer_name.clone(),
        };
        let _ = write!(
            s,
            r##"<g class="zd-band"><rect x="{MARGIN}" y="{}" width="{}" height="{}" rx="6" fill="{fill}" stroke="#e2e8f0"/>"##,
            band.y,
            w - 2.0 * MARGIN,
            band.h
        );
        for (k, line) in wrap(&caption, 12.0, CAPTION_W - 20.0, 3).iter().enumerate() {
            let _ = write!(
                s,
                r##"<text x="{}" y="{}" font-size="12" font-weight="600" fill="#475569">"##,
                MARGIN + 10.0,
                band.y + 22.0 + 16.0 * k as f64
            );
            esc_into(&mut s, line);
            s.push_str("</text>");
        }
        s.push_str("</g>");
    }

    let conduits = route(&lay, &edges);

    // Occupied space: boxes, then labels as they are placed.
    let mut occ = Occupancy::new(96.0);
    for p in &lay.zones {
        occ.insert([p.x - 2.0, p.y - 2.0, p.w + 4.0, p.h + 4.0]);
    }
    let mut lines = String::with_capacity(edges.len() * 200);
    let mut labels = String::with_capacity(edges.len() * 300);
    for (e, &(k, a, b)) in edges.iter().enumerate() {
        let c = &d.conduits[k];
        let shape = &conduits[e];
        let marker = if c.one_way {
            format!(r#" marker-end="url(#zd-arrow-{id})""#)
        } else {
            String::new()
        };
        lines.push_str(r#"<g class="zd-conduit"><title>"#);
        esc_into(&mut lines, &conduit_title(d, c, a, b));
        // A white casing under the line keeps crossings and neighbouring lanes apart.
        lines.push_str(r#"</title><path d=""#);
        shape.path_into(&mut lines);
        lines.push_str(
            r##"" fill="none" stroke="#ffffff" stroke-width="4" stroke-opacity="0.9"/><path d=""##,
        );
        shape.path_into(&mut lines);
        let _ = write!(
            lines,
            r##"" fill="none" stroke="#334155" stroke-width="1.4" stroke-linejoin="round"{marker}/></g>"##
        );
        let text = if c.label.trim().is_empty() {
            &c.name
        } else {
            &c.label
        };
        let text = fit(text, LABEL_SIZE, false, LABEL_MAX_W);
        if text.is_empty() {
            continue;
        }
        let lw = (text_width(&text, LABEL_SIZE, false) + 8.0).ceil();
        let lh = LABEL_SIZE + 5.0;
        let mut best: Option<(f64, [f64; 4])> = None;
        for t in [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88] {
            let (mx, my) = shape.point(t);
            // Kept inside the drawing (a conduit routed along its side would cut it).
            let r = [
                (mx - lw / 2.0).clamp(4.0, (w - lw - 4.0).max(4.0)).round(),
                (my - lh / 2.0).clamp(4.0, (h - lh - 4.0).max(4.0)).round(),
                lw,
                lh,
            ];
            let o = occ.overlap(&r);
            if best.is_none_or(|(bo, _)| o < bo) {
                best = Some((o, r));
            }
            if o == 0.0 {
                break;
            }
        }
        let (_, r) = best.expect("at least one candidate");
        occ.insert(r);
        let _ = write!(
            labels,
            r##"<g class="zd-label"><rect x="{}" y="{}" width="{}" height="{lh}" rx="3" fill="#ffffff" fill-opacity="0.92" stroke="#cbd5e1" stroke-width="0.5"/><text x="{}" y="{}" font-size="{LABEL_SIZE}" fill="#1e293b" text-anchor="middle">"##,
            r[0],
            r[1],
            r[2],
            r[0] + r[2] / 2.0,
            r[1] + lh - 4.0
        );
        esc_into(&mut labels, &text);
        labels.push_str("</text></g>");
    }
    s.push_str(&lines);

    // Zone boxes.
    for (i, z) in d.zones.iter().enumerate() {
        let p = lay.zones[i];
        let t = &texts[i];
        if let Some(href) = &z.href {
            s.push_str(r#"<a href=""#);
            esc_into(&mut s, href);
            s.push_str(r#"">"#);
        }
        let (class, fill, stroke, sw) = if z.alert {
            ("zd-zone zd-zone-alert", "#fef2f2", "#dc2626", 2.5)
        } else {
            ("zd-zone", "#ffffff", "#2563eb", 1.5)
        };
        let _ = write!(s, r#"<g class="{class}"><title>"#);
        esc_into(&mut s, &zone_title(z));
        let _ = write!(
            s,
            r##"</title><rect x="{}" y="{}" width="{}" height="{}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>"##,
            p.x, p.y, p.w, p.h
        );
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" font-size="{NAME_SIZE}" font-weight="700" fill="#0f172a">"##,
            p.x + PAD_X,
            p.y + 8.0 + 13.0
        );
        esc_into(&mut s, &t.name);
        s.push_str("</text>");
        for (k, line) in t.lines.iter().enumerate() {
            let _ = write!(
                s,
                r##"<text x="{}" y="{}" font-size="{LINE_SIZE}" fill="#475569">"##,
                p.x + PAD_X,
                p.y + 8.0 + NAME_H + LINE_H * k as f64 + 11.0
            );
            esc_into(&mut s, line);
            s.push_str("</text>");
        }
        if z.alert {
            let (mx, my) = (p.x + p.w - 13.0, p.y + 13.0);
            let _ = write!(
                s,
                r##"<circle class="zd-alert-mark" cx="{mx}" cy="{my}" r="8" fill="#dc2626"/><text x="{mx}" y="{}" font-size="12" font-weight="700" fill="#ffffff" text-anchor="middle">!</text>"##,
                my + 4.0
            );
        }
        s.push_str("</g>");
        if z.href.is_some() {
            s.push_str("</a>");
        }
    }
    s.push_str(&labels);
    s.push_str("</svg>");
    s
}

/// The drawn shape of a conduit, from its `from` end to its `to` end.
enum Shape {
    /// Between two zones of one row: a curve above the row.
    Arc {
        p0: (f64, f64),
        p1: (f64, f64),
        lift: f64,
    },
    /// A straight line, or an orthogonal route around the boxes in its way.
    Poly(Vec<(f64, f64)>),
}

impl Shape {
    fn path_into(&self, out: &mut String) {
        match self {
            Shape::Arc { p0, p1, lift } => {
                let cy0 = p0.1 - lift * 4.0 / 3.0;
                let cy1 = p1.1 - lift * 4.0 / 3.0;
                let _ = write!(
                    out,
                    "M{},{} C{},{} {},{} {},{}",
                    p0.0, p0.1, p0.0, cy0, p1.0, cy1, p1.0, p1.1
                );
            }
            Shape::Poly(pts) => {
                for (i, (x, y)) in pts.iter().enumerate() {
                    let _ = write!(out, "{}{x},{y}", if i == 0 { "M" } else { " L" });
                }
            }
        }
    }

    /// The point at fraction `t` of the way.
    fn point(&self, t: f64) -> (f64, f64) {
        match self {
            Shape::Arc { p0, p1, lift } => {
                let c1 = (p0.0, p0.1 - lift * 4.0 / 3.0);
                let c2 = (p1.0, p1.1 - lift * 4.0 / 3.0);
                let u = 1.0 - t;
                let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
                (
                    a * p0.0 + b * c1.0 + c * c2.0 + d * p1.0,
                    a * p0.1 + b * c1.1 + c * c2.1 + d * p1.1,
                )
            }
            Shape::Poly(pts) => {
                let len: f64 = pts.windows(2).map(|w| dist(w[0], w[1])).sum();
                let mut left = len * t;
                for w in pts.windows(2) {
                    let l = dist(w[0], w[1]);
                    if left <= l && l > 0.0 {
                        let f = left / l;
                        return (
                            w[0].0 + (w[1].0 - w[0].0) * f,
                            w[0].1 + (w[1].1 - w[0].1) * f,
                        );
                    }
                    left -= l;
                }
                pts[pts.len() - 1]
            }
        }
    }
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt()
}

/// Whether the segment a-b crosses the rectangle (x, y, w, h).
fn segment_hits(a: (f64, f64), b: (f64, f64), r: &[f64; 4]) -> bool {
    // Liang-Barsky clipping.
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0: f64 = 0.0;
    let mut t1: f64 = 1.0;
    for (p, q) in [
        (-dx, a.0 - r[0]),
        (dx, r[0] + r[2] - a.0),
        (-dy, a.1 - r[1]),
        (dy, r[1] + r[3] - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

/// Whether the segment a-b crosses a zone box other than those of `skip`.
fn blocked(occ: &Occupancy, a: (f64, f64), b: (f64, f64), skip: [usize; 2]) -> bool {
    let len = dist(a, b);
    let steps = (len / (occ.cell / 2.0)).ceil().max(1.0) as usize;
    // The cells along the segment and their neighbours (a box may reach into a cell the
    // samples only graze), each once.
    let mut cells: Vec<(i32, i32)> = Vec::with_capacity((steps + 1) * 3);
    for i in 0..=steps {
        let f = i as f64 / steps as f64;
        let (x, y) = (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
        let cell = ((x / occ.cell).floor() as i32, (y / occ.cell).floor() as i32);
        for gx in cell.0 - 1..=cell.0 + 1 {
            for gy in cell.1 - 1..=cell.1 + 1 {
                cells.push((gx, gy));
            }
        }
    }
    cells.sort_unstable();
    cells.dedup();
    cells.iter().any(|c| {
        occ.cells.get(c).is_some_and(|ids| {
            ids.iter()
                .any(|&id| !skip.contains(&id) && segment_hits(a, b, &occ.rects[id]))
        })
    })
}

/// The shape of every resolved conduit: each end gets its own port on the side of the box that
/// faces the other zone (parallel conduits never share a line); a straight line when nothing is
/// in its way, otherwise an orthogonal route through the gaps between rows and columns.
fn route(lay: &Layout, edges: &[(usize, usize, usize)]) -> Vec<Shape> {
    let zs = &lay.zones;
    let cx = |z: usize| zs[z].x + zs[z].w / 2.0;
    let same_row = |a: usize, b: usize| (zs[a].y - zs[b].y).abs() < 0.5;
    // (zone, top side?) -> ports on that side.
    let mut ports: HashMap<(usize, bool), Vec<Port>> = HashMap::new();
    for (e, &(_, a, b)) in edges.iter().enumerate() {
        let (ta, tb) = if same_row(a, b) {
            (true, true)
        } else {
            (zs[a].y > zs[b].y, zs[b].y > zs[a].y)
        };
        for (end, (z, o, top)) in [(a, b, ta), (b, a, tb)].into_iter().enumerate() {
            let (group, key) = if same_row(z, o) {
                let dx = cx(o) - cx(z);
                if dx < 0.0 { (0, -dx) } else { (2, -dx) }
            } else {
                (1, cx(o))
            };
            ports
                .entry((z, top))
                .or_default()
                .push((group, key, e, end as u8));
        }
    }
    let mut at: Vec<[(f64, f64); 2]> = vec![[(0.0, 0.0); 2]; edges.len()];
    let mut port_keys: Vec<(usize, bool)> = ports.keys().copied().collect();
    port_keys.sort_unstable();
    for k in port_keys {
        let list = ports.get_mut(&k).expect("key from the map");
        list.sort_by(|x, y| {
            x.0.cmp(&y.0)
                .then(x.1.total_cmp(&y.1))
                .then(x.2.cmp(&y.2))
                .then(x.3.cmp(&y.3))
        });
        let p = zs[k.0];
        let usable = p.w * 0.84;
        let n = list.len() as f64;
        for (i, &(_, _, e, end)) in list.iter().enumerate() {
            let x = p.x + p.w * 0.08 + usable * (i as f64 + 0.5) / n;
            let y = if k.1 { p.y } else { p.y + p.h };
            at[e][end as usize] = (x.round(), y);
        }
    }
    // Boxes, slightly enlarged, to see what a straight line would cross.
    let mut boxes = Occupancy::new(96.0);
    for p in zs {
        boxes.insert([p.x - 3.0, p.y - 3.0, p.w + 6.0, p.h + 6.0]);
    }
    // Grid rows from top to bottom, with the free vertical passages through each: the gaps
    // between neighbouring boxes and both ends of the row.
    let mut tops: Vec<(i64, usize)> = zs
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.y * 2.0).round() as i64, i))
        .collect();
    tops.sort_unstable_by_key(|&(t, i)| (t, (zs[i].x * 2.0).round() as i64, i));
    let mut rows: Vec<Row> = Vec::new();
    let mut row_of = vec![0usize; zs.len()];
    for &(t, i) in &tops {
        if rows.last().is_none_or(|r| r.key != t) {
            rows.push(Row {
                key: t,
                bottom: lay.row_bottom[i],
                passages: vec![MARGIN + CAPTION_W],
                last_right: f64::NAN,
            });
        }
        let r = rows.last_mut().expect("pushed above");
        if !r.last_right.is_nan() {
            r.passages.push(((r.last_right + zs[i].x) / 2.0).round());
        }
        r.last_right = zs[i].x + zs[i].w;
        row_of[i] = rows.len() - 1;
    }
    for r in &mut rows {
        r.passages.push(lay.width - MARGIN - 2.0);
    }
    let row_top = |r: usize| rows[r].key as f64 / 2.0;
    let mut lanes = Lanes::default();
    // First the arcs and the straight lines; their segments are what routes try not to cross.
    let mut segs = SegGrid::new(96.0);
    let mut out: Vec<Option<Shape>> = Vec::with_capacity(edges.len());
    for (e, &(_, a, b)) in edges.iter().enumerate() {
        let (p0, p1) = (at[e][0], at[e][1]);
        let shape = if same_row(a, b) {
            let lift = (14.0 + (p1.0 - p0.0).abs() * 0.06).min(BAND_PAD_TOP - 6.0);
            Some(Shape::Arc { p0, p1, lift })
        } else if !blocked(&boxes, p0, p1, [a, b]) {
            Some(Shape::Poly(vec![p0, p1]))
        } else {
            None
        };
        if let Some(shape) = &shape {
            segs.insert_shape(shape);
        }
        out.push(shape);
    }
    for (e, &(_, a, b)) in edges.iter().enumerate() {
        if out[e].is_some() {
            continue;
        }
        let (p0, p1) = (at[e][0], at[e][1]);
        // Upper end (leaving downwards) and lower end (entering from above).
        let (u, l, pu, pl) = if zs[a].y < zs[b].y {
            (a, b, p0, p1)
        } else {
            (b, a, p1, p0)
        };
        // Down the gaps: in the channel under each row, across to a passage through the next
        // row, down through it, until the row of the target. A passage costs its detour, the
        // lines it would cross and the routes it would share a lane with.
        let (ru, rl) = (row_of[u], row_of[l]);
        // Three plans: the cheapest passage row by row, or down the left or the right side of
        // the drawing; the plan with the lowest total cost wins.
        let plans = [Plan::Greedy, Plan::Left, Plan::Right];
        let mut best: Option<(f64, Vec<Pick>)> = None;
        for plan in plans {
            let mut cost = 0.0;
            let mut x = pu.0;
            let mut picks: Vec<Pick> = Vec::new();
            for through in ru + 1..rl {
                let yc = rows[through - 1].bottom + 20.0;
                let yn = rows[through].bottom + 20.0;
                let (lo, hi) = (row_top(through) - 4.0, rows[through].bottom + 4.0);
                let passages = &rows[through].passages;
                let candidates: &[f64] = match plan {
                    Plan::Greedy => passages,
                    Plan::Left => &passages[..1],
                    Plan::Right => &passages[passages.len() - 1..],
                };
                // Cheapest lower bounds first, so that crossings are only counted for the
                // passages that can still win.
                let mut bounds: Vec<(f64, f64, usize)> = candidates
                    .iter()
                    .map(|&px| {
                        let (lane, busy) =
                            lanes.pick(Lanes::key2(through, px), lo, hi, V_LANES.len());
                        let toward = if plan == Plan::Greedy {
                            (px - pl.0).abs()
                        } else {
                            0.0
                        };
                        let lower = (px - x).abs() + toward + SHARED_LANE_COST * busy as f64;
                        (lower, px, lane)
                    })
                    .collect();
                bounds.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1)));
                let mut step: Option<(f64, f64, usize)> = None;
                for (lower, px, lane) in bounds {
                    if step.is_some_and(|(c, _, _)| c <= lower) {
                        break;
                    }
                    let crossings =
                        segs.crossings((x, yc), (px, yc)) + segs.crossings((px, yc), (px, yn));
                    let c = lower + CROSSING_COST * crossings as f64;
                    if step.is_none_or(|(sc, _, _)| c < sc) {
                        step = Some((c, px, lane));
                    }
                }
                let (c, px, lane) = step.expect("every row has passages at its ends");
                cost += c;
                picks.push((through, px, lane));
                x = px + V_LANES[lane];
            }
            let yc = rows[rl - 1].bottom + 20.0;
            cost += (pl.0 - x).abs() + CROSSING_COST * segs.crossings((x, yc), (pl.0, yc)) as f64;
            if plan == Plan::Greedy {
                // The greedy step costs counted the way left to the target at every row.
                cost -= picks
                    .iter()
                    .map(|(_, px, _)| (px - pl.0).abs())
                    .sum::<f64>();
            }
            if best.as_ref().is_none_or(|(bc, _)| cost < *bc) {
                best = Some((cost, picks));
            }
        }
        let (_, picks) = best.expect("at least one plan");
        let mut pts = vec![pu];
        let mut x = pu.0;
        for r in ru..rl {
            let next_x = match picks.get(r - ru) {
                Some(&(through, px, lane)) => {
                    let (lo, hi) = (row_top(through) - 4.0, rows[through].bottom + 4.0);
                    lanes.take(Lanes::key2(through, px), lane, lo, hi);
                    px + V_LANES[lane]
                }
                None => pl.0,
            };
            // The channel under row r.
            let gap = row_top(r + 1) - rows[r].bottom;
            let n = (((gap - 18.0) / 5.0).floor() as usize).clamp(1, H_LANES);
            let key = Lanes::key2(r, -1.0);
            let (lane, _) = lanes.pick(key, x, next_x, n);
            lanes.take(key, lane, x, next_x);
            let y = rows[r].bottom + 9.0 + 5.0 * lane as f64;
            pts.push((x, y));
            pts.push((next_x, y));
            x = next_x;
        }
        pts.push(pl);
        pts.dedup();
        if u != a {
            pts.reverse();
        }
        let shape = Shape::Poly(pts);
        segs.insert_shape(&shape);
        out[e] = Some(shape);
    }
    out.into_iter()
        .map(|s| s.expect("every conduit has a shape"))
        .collect()
}

/// A passage chosen through a row: (row, passage x, lane).
type Pick = (usize, f64, usize);

/// How a route picks its passages through the rows between its ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plan {
    Greedy,
    Left,
    Right,
}

/// The detour (px) worth taking to avoid crossing another conduit.
const CROSSING_COST: f64 = 120.0;

/// Conduit segments indexed by a coarse grid, to count what a candidate route would cross.
struct SegGrid {
    cell: f64,
    cells: HashMap<(i32, i32), Vec<usize>>,
    segs: Vec<((f64, f64), (f64, f64))>,
    /// Per segment, the last query that counted it (to count each once).
    stamp: Vec<u32>,
    query: u32,
}

impl SegGrid {
    fn new(cell: f64) -> Self {
        SegGrid {
            cell,
            cells: HashMap::new(),
            segs: Vec::new(),
            stamp: Vec::new(),
            query: 0,
        }
    }

    /// The grid cells a segment passes through (sampled every half cell; approximate, for costs).
    fn cells_of(&self, a: (f64, f64), b: (f64, f64)) -> Vec<(i32, i32)> {
        let steps = (dist(a, b) / (self.cell / 2.0)).ceil().max(1.0) as usize;
        let mut out: Vec<(i32, i32)> = Vec::new();
        for i in 0..=steps {
            let f = i as f64 / steps as f64;
            let (x, y) = (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
            let c = (
                (x / self.cell).floor() as i32,
                (y / self.cell).floor() as i32,
            );
            // Samples go along the segment: a repeated cell is the previous one.
            if out.last() != Some(&c) {
                out.push(c);
            }
        }
        out
    }

    fn insert(&mut self, a: (f64, f64), b: (f64, f64)) {
        let id = self.segs.len();
        self.segs.push((a, b));
        self.stamp.push(0);
        for c in self.cells_of(a, b) {
            self.cells.entry(c).or_default().push(id);
        }
    }

    fn insert_shape(&mut self, shape: &Shape) {
        match shape {
            Shape::Poly(pts) => {
                for w in pts.windows(2) {
                    self.insert(w[0], w[1]);
                }
            }
            Shape::Arc { .. } => {
                let pts: Vec<(f64, f64)> = (0..=4).map(|i| shape.point(i as f64 / 4.0)).collect();
                for w in pts.windows(2) {
                    self.insert(w[0], w[1]);
                }
            }
        }
    }

    /// How many stored segments the segment a-b properly crosses.
    fn crossings(&mut self, a: (f64, f64), b: (f64, f64)) -> usize {
        if dist(a, b) < 0.5 {
            return 0;
        }
        self.query += 1;
        let q = self.query;
        let mut n = 0;
        for c in self.cells_of(a, b) {
            if let Some(ids) = self.cells.get(&c) {
                for &id in ids {
                    if self.stamp[id] == q {
                        continue;
                    }
                    self.stamp[id] = q;
                    let (c0, c1) = self.segs[id];
                    if segments_cross(a, b, c0, c1) {
                        n += 1;
                    }
                }
            }
        }
        n
    }
}

/// Whether two segments cross at a point inside both (touching ends do not count).
fn segments_cross(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let orient = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0)
    };
    let (d1, d2) = (orient(c, d, a), orient(c, d, b));
    let (d3, d4) = (orient(a, b, c), orient(a, b, d));
    d1 * d2 < 0.0 && d3 * d4 < 0.0
}

/// A grid row of the layout, for routing.
struct Row {
    /// Top (px x 2).
    key: i64,
    bottom: f64,
    /// x of the free vertical passages through the row.
    passages: Vec<f64>,
    last_right: f64,
}

/// Offsets of the lanes of a vertical corridor (px from its centre).
const V_LANES: [f64; 7] = [0.0, 5.0, -5.0, 10.0, -10.0, 15.0, -15.0];
/// The detour (px) worth taking to avoid sharing a lane with an overlapping route.
const SHARED_LANE_COST: f64 = 400.0;
/// Lanes of a horizontal channel.
const H_LANES: usize = 8;

/// Parallel lanes of the corridors and channels, each holding the intervals routed along it, so
/// that routed conduits share a lane only where they do not overlap.
#[derive(Default)]
struct Lanes {
    used: HashMap<i64, Vec<Vec<(f64, f64)>>>,
}

impl Lanes {
    /// The key of a row's passage at x (or its channel below, x = -1).
    fn key2(row: usize, x: f64) -> i64 {
        row as i64 * 1_000_000 + (x * 2.0).round() as i64
    }

    /// The first lane where [lo, hi] is free, else the least busy one; with the number of
    /// routes it would share that lane with.
    fn pick(&self, key: i64, lo: f64, hi: f64, n: usize) -> (usize, usize) {
        let (lo, hi) = (lo.min(hi) - 6.0, lo.max(hi) + 6.0);
        let Some(lanes) = self.used.get(&key) else {
            return (0, 0);
        };
        let busy = |lane: usize| {
            lanes
                .get(lane)
                .map_or(0, |v| v.iter().filter(|(a, b)| *a < hi && lo < *b).count())
        };
        (0..n)
            .map(|i| (i, busy(i)))
            .min_by_key(|&(i, b)| (b, i))
            .unwrap_or((0, 0))
    }

    fn take(&mut self, key: i64, lane: usize, lo: f64, hi: f64) {
        let lanes = self.used.entry(key).or_default();
        if lanes.len() <= lane {
            lanes.resize(lane + 1, Vec::new());
        }
        lanes[lane].push((lo.min(hi), lo.max(hi)));
    }
}

/// The accessible description: the zones and the conduits between them.
fn describe(d: &Diagram, edges: &[(usize, usize, usize)]) -> String {
    if d.zones.is_empty() {
        return d.title.clone();
    }
    let mut out = String::new();
    for (i, z) in d.zones.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&z.name);
        if z.alert {
            out.push_str(" (⚠ SL-A < SL-T)");
        }
    }
    out.push('.');
    for &(k, a, b) in edges {
        let c = &d.conduits[k];
        let arrow = if c.one_way { "→" } else { "↔" };
        let _ = write!(
            out,
            " {}: {} {arrow} {}",
            c.name, d.zones[a].name, d.zones[b].name
        );
        if !c.label.trim().is_empty() {
            let _ = write!(out, " ({})", c.label.trim());
        }
        out.push(';');
    }
    out
}

fn zone_title(z: &Zone) -> String {
    let mut t = String::new();
    if z.alert {
        t.push_str("⚠ ");
    }
    t.push_str(&z.name);
    for l in &z.lines {
        t.push('\n');
        t.push_str(l);
    }
    if z.alert {
        t.push_str("\nSL-A < SL-T");
    }
    t
}

fn conduit_title(d: &Diagram, c: &Conduit, a: usize, b: usize) -> String {
    let arrow = if c.one_way { "→" } else { "↔" };
    let mut t = format!(
        "{}: {} {arrow} {}",
        c.name, d.zones[a].name, d.zones[b].name
    );
    if !c.label.trim().is_empty() {
        t.push('\n');
        t.push_str(c.label.trim());
    }
    t
}

/// Splits a caption into at most `max_lines` lines of `max` px (the last one cut with …).
pub(crate) fn wrap(s: &str, size: f64, max: f64, max_lines: usize) -> Vec<String> {
    let chars: Vec<char> = s.trim().chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut start = 0;
    while start < chars.len() && out.len() < max_lines {
        // The longest prefix that fits, broken at the last space when there is one.
        let mut w = 0.0;
        let mut end = start;
        let mut space = None;
        while end < chars.len() {
            let cw = char_em(chars[end], true) * size;
            if w + cw > max && end > start {
                break;
            }
            if chars[end] == ' ' {
                space = Some(end);
            }
            w += cw;
            end += 1;
        }
        if end < chars.len()
            && let Some(sp) = space.filter(|&sp| sp > start)
        {
            end = sp;
        }
        if out.len() + 1 == max_lines && end < chars.len() {
            let rest: String = chars[start..].iter().collect();
            out.push(fit(&rest, size, true, max));
            break;
        }
        out.push(
            chars[start..end]
                .iter()
                .collect::<String>()
                .trim()
                .to_string(),
        );
        start = end;
        while start < chars.len() && chars[start] == ' ' {
            start += 1;
        }
    }
    out
}
