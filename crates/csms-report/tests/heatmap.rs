//! Risk heat maps: well-formed standalone SVG, counts in their cells (likelihood up, consequence
//! across), colours ordered by level, links, legend, escaping, odd sizes.

#[path = "common/svg.rs"]
mod svg;

use csms_report::heatmap::{Cell, HeatMap, level_fill, render};

/// The default 5x5 method's matrix: level = f(likelihood + consequence), 4 levels.
fn five_by_five(count: impl Fn(usize, usize) -> usize) -> HeatMap {
    let lik = [
        "まれ",
        "起こりにくい",
        "起こりうる",
        "起こりやすい",
        "ほぼ確実",
    ];
    let con = ["軽微", "小", "中", "大", "壊滅的"];
    HeatMap {
        title: "固有リスク ヒートマップ".into(),
        likelihood_label: "発生可能性".into(),
        consequence_label: "影響度".into(),
        likelihood_steps: lik.iter().map(|s| s.to_string()).collect(),
        consequence_steps: con.iter().map(|s| s.to_string()).collect(),
        levels: vec!["低".into(), "中".into(), "高".into(), "極めて高い".into()],
        cells: (0..5)
            .map(|l| {
                (0..5)
                    .map(|c| Cell {
                        level: match l + c {
                            0..=2 => 0,
                            3..=4 => 1,
                            5..=6 => 2,
                            _ => 3,
                        },
                        count: count(l, c),
                        href: Some(format!(
                            "/o/demo/risks?view=inherent&l={}&c={}",
                            l + 1,
                            c + 1
                        )),
                    })
                    .collect()
            })
            .collect(),
    }
}

/// The cell groups, in document order: (likelihood, consequence, count, fill, x, y).
fn cells(svg: &str) -> Vec<(usize, usize, usize, String, f64, f64)> {
    let els = svg::check_standalone(svg);
    let mut out = Vec::new();
    for (i, e) in els.iter().enumerate() {
        if e.name != "g"
            || !e
                .attrs
                .get("class")
                .is_some_and(|c| c.starts_with("hm-cell"))
        {
            continue;
        }
        let rect = els[i + 1..]
            .iter()
            .find(|r| r.name == "rect")
            .expect("a cell has a rect");
        out.push((
            e.attrs["data-likelihood"].parse().unwrap(),
            e.attrs["data-consequence"].parse().unwrap(),
            e.attrs["data-count"].parse().unwrap(),
            rect.attrs["fill"].clone(),
            rect.num("x"),
            rect.num("y"),
        ));
    }
    out
}

fn rgb(hex: &str) -> (f64, f64, f64) {
    let v = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64;
    (v(1), v(3), v(5))
}

/// Hue in degrees: green is about 120, yellow 50, orange 30, red 0.
fn hue(hex: &str) -> f64 {
    let (r, g, b) = rgb(hex);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    if max == min {
        return 0.0;
    }
    let h = if max == r {
        60.0 * (((g - b) / (max - min)) % 6.0)
    } else if max == g {
        60.0 * ((b - r) / (max - min) + 2.0)
    } else {
        60.0 * ((r - g) / (max - min) + 4.0)
    };
    if h < 0.0 { h + 360.0 } else { h }
}

#[test]
fn counts_are_in_their_cells_and_sum_right() {
    let h = five_by_five(|l, c| (l * 7 + c * 3) % 6);
    let svg = render(&h);
    // For eyeballing: CSMS_DIAGRAM_EXAMPLES=/tmp cargo nextest run -p csms-report heatmap
    if let Ok(dir) = std::env::var("CSMS_DIAGRAM_EXAMPLES") {
        std::fs::write(std::path::Path::new(&dir).join("heatmap.svg"), &svg)
            .expect("write example");
    }
    let els = svg::check_standalone(&svg);
    let cells = cells(&svg);
    assert_eq!(cells.len(), 25);
    let expected: usize = h.cells.iter().flatten().map(|c| c.count).sum();
    // The numbers drawn add up to the risks in the matrix.
    let drawn: usize = els
        .iter()
        .filter(|e| e.name == "text" && e.attrs.get("class").is_some_and(|c| c == "hm-count"))
        .map(|e| e.text.parse::<usize>().unwrap())
        .sum();
    assert_eq!(drawn, expected);
    assert_eq!(cells.iter().map(|c| c.2).sum::<usize>(), expected);
    // Each cell shows its own count, empty cells a dot.
    for (l, c, n, ..) in &cells {
        assert_eq!(*n, h.cells[l - 1][c - 1].count);
    }
    let empty = h.cells.iter().flatten().filter(|c| c.count == 0).count();
    assert_eq!(els.iter().filter(|e| e.name == "circle").count(), empty);
    // Likelihood goes up (higher likelihood, smaller y), consequence goes right.
    for a in &cells {
        for b in &cells {
            if a.0 > b.0 {
                assert!(a.5 < b.5, "likelihood {} not above {}", a.0, b.0);
            }
            if a.1 > b.1 {
                assert!(a.4 > b.4, "consequence {} not right of {}", a.1, b.1);
            }
        }
    }
    // Every cell links to its filter.
    let links: Vec<&str> = els
        .iter()
        .filter(|e| e.name == "a")
        .map(|e| e.attrs["href"].as_str())
        .collect();
    assert_eq!(links.len(), 25);
    assert!(links.contains(&"/o/demo/risks?view=inherent&l=5&c=1"));
    // Axis captions, steps and legend.
    for t in [
        "発生可能性",
        "影響度",
        "ほぼ確実",
        "壊滅的",
        "極めて高い",
        "低",
    ] {
        assert!(
            els.iter().any(|e| e.name == "text" && e.text == t),
            "{t} missing"
        );
    }
    assert_eq!(els[1].text, "固有リスク ヒートマップ");
}

#[test]
fn colours_follow_the_levels() {
    let h = five_by_five(|_, _| 1);
    let cells = cells(&render(&h));
    // Same level, same colour; a higher level, a hue further from green towards red.
    for a in &cells {
        for b in &cells {
            let la = h.cells[a.0 - 1][a.1 - 1].level;
            let lb = h.cells[b.0 - 1][b.1 - 1].level;
            if la == lb {
                assert_eq!(a.3, b.3);
            } else if la > lb {
                assert!(hue(&a.3) < hue(&b.3), "level {la} {} vs {lb} {}", a.3, b.3);
            }
        }
    }
    // The ramp's ends: green for the lowest, red for the highest, for any number of levels.
    for n in 2..=6 {
        let fills: Vec<String> = (0..n).map(|i| level_fill(i, n)).collect();
        let (r, g, _) = rgb(&fills[0]);
        assert!(g > r, "lowest of {n} is not green: {}", fills[0]);
        let (r, g, _) = rgb(&fills[n - 1]);
        assert!(r > 2.0 * g, "highest of {n} is not red: {}", fills[n - 1]);
        let hues: Vec<f64> = fills.iter().map(|f| hue(f)).collect();
        assert!(hues.windows(2).all(|w| w[0] > w[1]), "{n} levels: {hues:?}");
    }
    // The legend shows every level with its colour, lowest first.
    let svg = render(&h);
    let els = svg::parse(&svg);
    let legend: Vec<String> = els
        .iter()
        .enumerate()
        .filter(|(_, e)| e.name == "g" && e.attrs.get("class").is_some_and(|c| c == "hm-legend"))
        .map(|(i, _)| els[i + 1].attrs["fill"].clone())
        .collect();
    assert_eq!(legend, (0..4).map(|i| level_fill(i, 4)).collect::<Vec<_>>());
}

#[test]
fn other_sizes_and_bad_input_still_render() {
    // 3x6 and 6x3 with three levels, a level index out of range, a missing row.
    for (nl, nc) in [(3, 6), (6, 3), (6, 6), (3, 3)] {
        let h = HeatMap {
            title: "Residual risk".into(),
            likelihood_label: "Likelihood".into(),
            consequence_label: "Consequence".into(),
            likelihood_steps: (1..=nl)
                .map(|i| format!("L{i} — a rather long step label"))
                .collect(),
            consequence_steps: (1..=nc).map(|i| format!("Consequence step {i}")).collect(),
            levels: vec!["Low".into(), "Medium".into(), "High".into()],
            cells: (0..nl - 1)
                .map(|l| {
                    (0..nc)
                        .map(|c| Cell {
                            level: l + c,
                            count: l * nc + c,
                            href: None,
                        })
                        .collect()
                })
                .collect(),
        };
        let svg = render(&h);
        if let Ok(dir) = std::env::var("CSMS_DIAGRAM_EXAMPLES") {
            let name = format!("heatmap-{nl}x{nc}.svg");
            std::fs::write(std::path::Path::new(&dir).join(name), &svg).expect("write example");
        }
        let els = svg::check_standalone(&svg);
        let cells = cells(&svg);
        assert_eq!(cells.len(), (nl - 1) * nc, "{nl}x{nc}");
        assert!(!els.iter().any(|e| e.name == "a"));
        // The missing likelihood row is drawn as missing, not invented.
        assert_eq!(
            els.iter()
                .filter(|e| e
                    .attrs
                    .get("class")
                    .is_some_and(|c| c.contains("hm-missing")))
                .count(),
            nc
        );
        // Out-of-range levels take the highest colour.
        assert!(
            cells
                .iter()
                .all(|c| [level_fill(0, 3), level_fill(1, 3), level_fill(2, 3)].contains(&c.3))
        );
        let root = &els[0];
        assert!(
            root.num("width") <= 700.0,
            "{nl}x{nc}: {}",
            root.num("width")
        );
    }
}

#[test]
fn text_is_escaped() {
    let nasty = "<script>&\"'";
    let mut h = five_by_five(|_, _| 0);
    h.title = nasty.into();
    h.likelihood_label = nasty.into();
    h.consequence_steps[0] = nasty.into();
    h.levels[0] = nasty.into();
    h.cells[0][0].href = Some("/r?a=1&b=<2>".into());
    let svg = render(&h);
    let els = svg::check_standalone(&svg);
    assert!(!svg.contains("<script"));
    assert_eq!(els[1].text, nasty);
    assert!(els.iter().any(|e| e.name == "text" && e.text == nasty));
    assert!(
        els.iter()
            .any(|e| e.name == "a" && e.attrs["href"] == "/r?a=1&b=<2>")
    );
    assert_eq!(render(&h), svg, "deterministic");
}

#[test]
fn readable_at_480_px() {
    let svg = render(&five_by_five(|l, c| l + c));
    let els = svg::parse(&svg);
    let w = els[0].num("width");
    assert!((360.0..=520.0).contains(&w), "width {w}");
    // No text smaller than 10 px.
    for e in &els {
        if let Some(size) = e.attrs.get("font-size") {
            assert!(size.parse::<f64>().unwrap() >= 10.0);
        }
    }
}

#[test]
fn inherent_and_residual_maps_can_share_a_page() {
    let inherent = five_by_five(|l, c| l + c);
    let mut residual = five_by_five(|l, c| (l + c) / 3);
    residual.title = "残留リスク ヒートマップ".into();
    let ids = |svg: &str| -> Vec<String> {
        svg::check_standalone(svg)
            .iter()
            .filter_map(|e| e.attrs.get("id").cloned())
            .collect()
    };
    let (a, b) = (ids(&render(&inherent)), ids(&render(&residual)));
    assert!(!a.is_empty());
    assert!(a.iter().all(|id| !b.contains(id)), "{a:?} / {b:?}");
}
