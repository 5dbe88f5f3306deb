//! Charts drawn on the server as SVG (no script, no external request): stacked bars of
//! results per clause and a line chart of progress over time. Every text is escaped.

use std::fmt::Write;

use csms_domain::assessment::{Outcome, Tally};

/// Escapes text for SVG/XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The CSS class of each result's colour (defined in app.css).
pub fn outcome_class(o: Outcome) -> &'static str {
    match o {
        Outcome::Conformant => "o-conformant",
        Outcome::Partial => "o-partial",
        Outcome::Nonconformant => "o-nonconformant",
        Outcome::NotApplicable => "o-not-applicable",
        Outcome::NotAssessed => "o-not-assessed",
    }
}

/// One bar: a label and its tally.
pub struct Bar {
    pub label: String,
    pub tally: Tally,
}

/// Horizontal stacked bars, one per group, each as wide as the group's share of results.
/// `names` are the localized result names (for the tooltips and the legend), in
/// [`Outcome::ALL`] order. `title` is the chart's accessible name.
pub fn stacked_bars(title: &str, bars: &[Bar], names: &[String; 5]) -> String {
    const LABEL_W: f64 = 260.0;
    const BAR_W: f64 = 420.0;
    const ROW_H: f64 = 22.0;
    let height = ROW_H * bars.len() as f64 + 36.0;
    let width = LABEL_W + BAR_W + 70.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        esc(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = i as f64 * ROW_H;
        let label: String = if bar.label.chars().count() > 30 {
            format!("{}…", bar.label.chars().take(29).collect::<String>())
        } else {
            bar.label.clone()
        };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" class="chart-label" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y + 15.0,
            esc(&label)
        );
        let mut x = LABEL_W;
        let total = bar.tally.total.max(1) as f64;
        for (k, o) in Outcome::ALL.iter().enumerate() {
            let n = bar.tally.count(*o);
            if n == 0 {
                continue;
            }
            let w = BAR_W * n as f64 / total;
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{}" width="{w:.1}" height="{}" class="{}"><title>{}: {} {n}</title></rect>"#,
                y + 3.0,
                ROW_H - 6.0,
                outcome_class(*o),
                esc(&bar.label),
                esc(&names[k])
            );
            x += w;
        }
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" class="chart-value">{:.0}%</text>"#,
            LABEL_W + BAR_W + 8.0,
            y + 15.0,
            bar.tally.percent_conformant()
        );
    }
    // Legend.
    let ly = ROW_H * bars.len() as f64 + 12.0;
    let mut lx = LABEL_W;
    for (k, o) in Outcome::ALL.iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect x="{lx}" y="{ly}" width="10" height="10" class="{}"/><text x="{}" y="{}" class="chart-legend">{}</text>"#,
            outcome_class(*o),
            lx + 14.0,
            ly + 9.0,
            esc(&names[k])
        );
        lx += 14.0 + 13.0 * names[k].chars().count().max(4) as f64 * 0.75 + 12.0;
    }
    s.push_str("</svg>");
    s
}

/// A line chart of the share assessed and the share conformant per day.
pub fn progress(title: &str, points: &[(String, Tally)], labels: [&str; 2]) -> String {
    const W: f64 = 640.0;
    const H: f64 = 200.0;
    const PAD_L: f64 = 40.0;
    const PAD_B: f64 = 28.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" role="img" viewBox="0 0 {W} {} " width="100%" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        H + 24.0,
        esc(title)
    );
    let plot_w = W - PAD_L - 10.0;
    let plot_h = H - PAD_B - 10.0;
    for pct in [0, 25, 50, 75, 100] {
        let y = 10.0 + plot_h * (1.0 - pct as f64 / 100.0);
        let _ = write!(
            s,
            r#"<line x1="{PAD_L}" x2="{}" y1="{y:.1}" y2="{y:.1}" class="chart-grid"/><text x="{}" y="{:.1}" class="chart-axis" text-anchor="end">{pct}%</text>"#,
            W - 10.0,
            PAD_L - 4.0,
            y + 4.0
        );
    }
    let n = points.len();
    let x_of = |i: usize| {
        if n <= 1 {
            PAD_L + plot_w / 2.0
        } else {
            PAD_L + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y_of = |pct: f64| 10.0 + plot_h * (1.0 - pct / 100.0);
    for (series, class) in [(0, "chart-line-assessed"), (1, "chart-line-conformant")] {
        let pts: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                let v = if series == 0 {
                    t.percent_assessed()
                } else {
                    t.percent_conformant()
                };
                format!("{:.1},{:.1}", x_of(i), y_of(v))
            })
            .collect();
        let _ = write!(
            s,
            r#"<polyline points="{}" class="{class}" fill="none"/>"#,
            pts.join(" ")
        );
        for (i, (day, t)) in points.iter().enumerate() {
            let v = if series == 0 {
                t.percent_assessed()
            } else {
                t.percent_conformant()
            };
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" class="{class}"><title>{} {}: {v:.0}%</title></circle>"#,
                x_of(i),
                y_of(v),
                esc(day),
                esc(labels[series])
            );
        }
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            s,
            r#"<text x="{PAD_L}" y="{}" class="chart-axis">{}</text><text x="{}" y="{}" class="chart-axis" text-anchor="end">{}</text>"#,
            H - 8.0,
            esc(&first.0),
            W - 10.0,
            H - 8.0,
            esc(&last.0)
        );
    }
    let _ = write!(
        s,
        r#"<line x1="{PAD_L}" x2="{}" y1="{}" y2="{}" class="chart-line-assessed"/><text x="{}" y="{}" class="chart-legend">{}</text><line x1="{}" x2="{}" y1="{}" y2="{}" class="chart-line-conformant"/><text x="{}" y="{}" class="chart-legend">{}</text>"#,
        PAD_L + 20.0,
        H + 12.0,
        H + 12.0,
        PAD_L + 26.0,
        H + 16.0,
        esc(labels[0]),
        PAD_L + 200.0,
        PAD_L + 220.0,
        H + 12.0,
        H + 12.0,
        PAD_L + 226.0,
        H + 16.0,
        esc(labels[1])
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let mut t = Tally::default();
        t.add(Outcome::Conformant);
        let names = ["a", "b", "c", "d", "e"].map(String::from);
        let svg = stacked_bars(
            "<x>",
            &[Bar {
                label: "<script>alert(1)</script>".into(),
                tally: t,
            }],
            &names,
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        let p = progress("t", &[("<d>".into(), t)], ["a&", "b"]);
        assert!(!p.contains("<d>") && p.contains("&lt;d&gt;") && p.contains("a&amp;"));
    }
}
