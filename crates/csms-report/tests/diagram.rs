//! The zone and conduit diagram: well-formed standalone SVG, escaping, CSP safety, references,
//! and layout properties (no overlapping boxes, higher layers above lower ones, sane size).

#[path = "common/svg.rs"]
mod svg;

use std::time::Instant;

use csms_report::diagram::{Conduit, Diagram, Zone, layout, render};

fn zone(id: &str, name: &str, layer: Option<u8>) -> Zone {
    Zone {
        id: id.into(),
        name: name.into(),
        lines: vec!["SL-T 3,3,2,2,1,1,3".into(), "12 assets".into()],
        layer,
        href: Some(format!("/o/demo/zones/{id}")),
        alert: false,
    }
}

fn conduit(id: &str, from: &str, to: &str, label: &str, one_way: bool) -> Conduit {
    Conduit {
        id: id.into(),
        name: format!("Conduit {id}"),
        from: from.into(),
        to: to.into(),
        label: label.into(),
        one_way,
    }
}

fn purdue_names() -> Vec<(u8, String)> {
    [
        "Level 0 — Process",
        "Level 1 — Basic control",
        "Level 2 — Supervisory control",
        "Level 3 — Operations",
        "Level 3.5 — DMZ",
        "Level 4 — Business planning",
        "Level 5 — Enterprise",
    ]
    .iter()
    .enumerate()
    .map(|(i, n)| (i as u8, n.to_string()))
    .collect()
}

/// A small refinery-like plant, in Japanese.
fn plant() -> Diagram {
    let mut zones = vec![
        zone("ent", "本社ネットワーク", Some(6)),
        zone("biz", "工場業務LAN", Some(5)),
        zone("dmz", "産業用DMZ", Some(4)),
        zone("ops", "操業管理ゾーン", Some(3)),
        zone("hist", "ヒストリアン", Some(3)),
        zone("dcs", "DCS 制御ゾーン", Some(2)),
        zone("eng", "エンジニアリング WS", Some(2)),
        zone("sis", "安全計装システム (SIS)", Some(1)),
        zone("plc", "ユーティリティ PLC", Some(1)),
        zone("field", "フィールド機器", Some(0)),
        zone("vendor", "ベンダー保守回線", None),
    ];
    zones[7].alert = true;
    zones[10].href = None;
    zones[10].lines = vec![];
    Diagram {
        title: "ゾーン・コンジット図 — 第1製造所".into(),
        zones,
        conduits: vec![
            conduit("c1", "ent", "biz", "HTTPS 443", false),
            conduit("c2", "biz", "dmz", "HTTPS 443, SMB 445", false),
            conduit("c3", "hist", "dmz", "OPC UA 4840 (データダイオード)", true),
            conduit("c4", "dmz", "ops", "RDP 3389 via jump host", false),
            conduit("c5", "ops", "dcs", "OPC DA (DCOM), Modbus/TCP 502", false),
            conduit("c6", "dcs", "hist", "OPC UA 4840", true),
            conduit("c7", "eng", "dcs", "Vendor engineering protocol", false),
            conduit("c8", "eng", "sis", "SIS engineering (read-only)", false),
            conduit("c9", "dcs", "sis", "Modbus/TCP 502", false),
            conduit("c10", "dcs", "plc", "EtherNet/IP 44818", false),
            conduit("c11", "plc", "field", "4-20 mA, HART", false),
            conduit("c12", "sis", "field", "Hardwired", false),
            conduit("c13", "vendor", "dmz", "IPsec VPN", false),
            conduit("c14", "ops", "hist", "SQL 1433", false),
            conduit("c15", "dcs", "plc", "Modbus/TCP 502 (backup)", false),
            conduit(
                "c16",
                "ops",
                "ghost",
                "to a zone that does not exist",
                false,
            ),
        ],
        layer_names: purdue_names(),
        unknown_layer_name: "Level unknown".into(),
    }
}

/// A multi-line plant: four production lines (supervisory, control, safety, field zones each)
/// under shared operations, DMZ and enterprise zones, and a remote-access zone of unknown level.
fn factory() -> Diagram {
    let mut zones = vec![
        zone("corp", "Corporate IT", Some(6)),
        zone("erp", "ERP / MES", Some(5)),
        zone("dmz", "Industrial DMZ", Some(4)),
        zone("ops", "Site operations", Some(3)),
        zone("hist", "Historian", Some(3)),
        zone("av", "Patch & AV server", Some(3)),
        zone("remote", "Remote access (vendor)", None),
    ];
    let mut conduits = vec![
        conduit("c-corp", "corp", "erp", "HTTPS 443", false),
        conduit("c-erp", "erp", "dmz", "HTTPS 443, SQL 1433", false),
        conduit("c-hist", "hist", "dmz", "OPC UA 4840 (diode)", true),
        conduit("c-ops", "dmz", "ops", "RDP 3389", false),
        conduit("c-av", "dmz", "av", "WSUS 8530", true),
        conduit("c-remote", "remote", "dmz", "IPsec VPN, MFA", false),
    ];
    for (i, line) in [
        "Line A 充填",
        "Line B 包装",
        "Line C 調合",
        "Utilities 用役",
    ]
    .iter()
    .enumerate()
    {
        let id = |k: &str| format!("{k}{i}");
        zones.push(zone(&id("scada"), &format!("{line} SCADA"), Some(2)));
        zones.push(zone(&id("plc"), &format!("{line} PLC"), Some(1)));
        zones.push(zone(&id("sis"), &format!("{line} SIS"), Some(1)));
        zones.push(zone(&id("io"), &format!("{line} I/O"), Some(0)));
        conduits.push(conduit(
            &id("c1-"),
            "ops",
            &id("scada"),
            "OPC UA 4840",
            false,
        ));
        conduits.push(conduit(
            &id("c2-"),
            &id("scada"),
            "hist",
            "OPC UA 4840",
            true,
        ));
        conduits.push(conduit(
            &id("c3-"),
            &id("scada"),
            &id("plc"),
            "EtherNet/IP 44818",
            false,
        ));
        conduits.push(conduit(
            &id("c4-"),
            &id("plc"),
            &id("sis"),
            "Safe peer-to-peer",
            false,
        ));
        conduits.push(conduit(
            &id("c5-"),
            &id("plc"),
            &id("io"),
            "PROFINET",
            false,
        ));
        conduits.push(conduit(
            &id("c6-"),
            &id("sis"),
            &id("io"),
            "Hardwired",
            false,
        ));
        conduits.push(conduit(&id("c7-"), "av", &id("scada"), "SMB 445", true));
    }
    zones[9].alert = true;
    zones[16].alert = true;
    Diagram {
        title: "Zone and conduit diagram — Plant 2".into(),
        zones,
        conduits,
        layer_names: purdue_names(),
        unknown_layer_name: "Level unknown".into(),
    }
}

/// A deterministic pseudo-random generator (LCG), so the large diagram is the same every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

/// `zones` zones over layers 0..=6 (every 13th unknown) and `conduits` conduits, mostly between
/// adjacent layers, some within a layer, a few long ones.
pub fn large(zones: usize, conduits: usize) -> Diagram {
    let mut rng = Lcg(42);
    let names = [
        "制御",
        "Boiler",
        "Packaging ライン",
        "Tank farm",
        "受電設備",
        "Water treatment",
    ];
    let zs: Vec<Zone> = (0..zones)
        .map(|i| Zone {
            id: format!("z{i}"),
            name: format!("{} {i}", names[i % names.len()]),
            lines: vec![
                format!("SL-T {},{},2,2,1,1,{}", 1 + i % 4, 1 + i % 3, 1 + i % 2),
                format!("{} assets", 3 + i % 40),
            ],
            layer: if i % 13 == 5 {
                None
            } else {
                Some((i % 7) as u8)
            },
            href: Some(format!("/o/demo/zones/z{i}")),
            alert: i % 9 == 0,
        })
        .collect();
    let mut cs = Vec::with_capacity(conduits);
    for k in 0..conduits {
        let a = rng.next(zones);
        let b = loop {
            let b = rng.next(zones);
            if b == a {
                continue;
            }
            let (la, lb) = (zs[a].layer.unwrap_or(0), zs[b].layer.unwrap_or(0));
            if la.abs_diff(lb) <= 1 || rng.next(10) == 0 {
                break b;
            }
        };
        cs.push(Conduit {
            id: format!("c{k}"),
            name: format!("C{k}"),
            from: format!("z{a}"),
            to: format!("z{b}"),
            label: [
                "Modbus/TCP 502",
                "OPC UA 4840, HTTPS 443",
                "EtherNet/IP 44818",
                "",
            ][k % 4]
                .into(),
            one_way: k % 5 == 0,
        });
    }
    Diagram {
        title: "Large plant".into(),
        zones: zs,
        conduits: cs,
        layer_names: purdue_names(),
        unknown_layer_name: "Unknown level".into(),
    }
}

fn save(name: &str, svg: &str) {
    // For eyeballing: CSMS_DIAGRAM_EXAMPLES=/tmp cargo nextest run -p csms-report diagram
    if let Ok(dir) = std::env::var("CSMS_DIAGRAM_EXAMPLES") {
        std::fs::write(std::path::Path::new(&dir).join(name), svg).expect("write example");
    }
}

fn overlap(a: &csms_report::diagram::PlacedZone, b: &csms_report::diagram::PlacedZone) -> bool {
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

/// No conduit drawn as lines (straight or routed) crosses a zone box: it leaves its zone's box
/// from an edge and reaches the other one at an edge.
fn assert_conduits_clear_of_boxes(d: &Diagram, svg: &str) {
    let l = layout(d);
    let els = svg::parse(svg);
    let mut checked = 0;
    for e in &els {
        if e.name != "path" || e.attrs.get("stroke").is_none_or(|s| s == "#ffffff") {
            continue;
        }
        let path = &e.attrs["d"];
        if path.contains('C') || path.contains('z') {
            continue; // arcs above a row, the arrowhead
        }
        let pts: Vec<(f64, f64)> = path
            .split(['M', 'L'])
            .filter(|s| !s.trim().is_empty())
            .map(|p| {
                let (x, y) = p.trim().split_once(',').expect("x,y");
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert!(pts.len() >= 2);
        for w in pts.windows(2) {
            for p in &l.zones {
                let r = [p.x + 1.0, p.y + 1.0, p.w - 2.0, p.h - 2.0];
                assert!(
                    !segment_hits(w[0], w[1], r),
                    "conduit {path} crosses {}",
                    d.zones[p.zone].name
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 0);
}

/// Every box, band and label lies inside the drawing.
fn assert_inside(svg: &str) {
    let els = svg::parse(svg);
    let (w, h) = (els[0].num("width"), els[0].num("height"));
    for e in els.iter().filter(|e| e.name == "rect") {
        let (x, y) = (e.num("x"), e.num("y"));
        let (rw, rh) = (e.num("width"), e.num("height"));
        assert!(
            x >= 0.0 && y >= 0.0 && x + rw <= w && y + rh <= h,
            "rect {x},{y} {rw}x{rh} outside {w}x{h}"
        );
    }
}

fn segment_hits(a: (f64, f64), b: (f64, f64), r: [f64; 4]) -> bool {
    // Clip the segment to the rectangle (Liang-Barsky): it hits when something is left.
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r[0]),
        (dx, r[0] + r[2] - a.0),
        (-dy, a.1 - r[1]),
        (dy, r[1] + r[3] - a.1),
    ] {
        if p == 0.0 {
            if q <= 0.0 {
                return false;
            }
        } else if p < 0.0 {
            t0 = t0.max(q / p);
        } else {
            t1 = t1.min(q / p);
        }
    }
    t0 < t1
}

fn assert_no_overlap(d: &Diagram) {
    let l = layout(d);
    assert_eq!(l.zones.len(), d.zones.len());
    for (i, a) in l.zones.iter().enumerate() {
        assert_eq!(a.zone, i);
        assert!(a.w > 0.0 && a.h > 0.0);
        assert!(a.x >= 0.0 && a.y >= 0.0 && a.x + a.w <= l.width && a.y + a.h <= l.height);
        for b in &l.zones[i + 1..] {
            assert!(!overlap(a, b), "zones {} and {} overlap", a.zone, b.zone);
        }
    }
}

/// Rank of the band a zone is in: higher layers must be above (smaller y) lower ones, unknown last.
fn assert_layers_ordered(d: &Diagram) {
    let l = layout(d);
    for (i, a) in l.zones.iter().enumerate() {
        for b in &l.zones[i + 1..] {
            let (za, zb) = (&d.zones[a.zone], &d.zones[b.zone]);
            let (upper, lower) = match (za.layer, zb.layer) {
                (Some(x), Some(y)) if x > y => (a, b),
                (Some(x), Some(y)) if x < y => (b, a),
                (Some(_), None) => (a, b),
                (None, Some(_)) => (b, a),
                _ => continue,
            };
            assert!(
                upper.y + upper.h < lower.y,
                "{} (layer {:?}) is not above {} (layer {:?})",
                d.zones[upper.zone].name,
                d.zones[upper.zone].layer,
                d.zones[lower.zone].name,
                d.zones[lower.zone].layer
            );
        }
    }
    // Bands from top to bottom, in decreasing rank, unknown last.
    let ranks: Vec<i32> = l
        .bands
        .iter()
        .map(|b| b.layer.map_or(-1, i32::from))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] > w[1]), "{ranks:?}");
    assert!(l.bands.windows(2).all(|w| w[0].y + w[0].h < w[1].y));
}

#[test]
fn empty_diagram_is_a_valid_svg_with_its_title() {
    let d = Diagram {
        title: "Nothing yet — ゾーン未登録".into(),
        ..Default::default()
    };
    let svg = render(&d);
    let els = svg::check_standalone(&svg);
    assert_eq!(els[1].text, "Nothing yet — ゾーン未登録");
    assert!(
        !els.iter()
            .any(|e| e.name == "rect" && e.ancestors.iter().any(|a| a == "g"))
    );
    let l = layout(&d);
    assert!(l.zones.is_empty() && l.bands.is_empty());
    assert!(l.width > 0.0 && l.height > 0.0);
}

#[test]
fn small_plant_is_well_formed_and_complete() {
    let d = plant();
    let svg = render(&d);
    save("diagram-plant.svg", &svg);
    let els = svg::check_standalone(&svg);
    // Every zone name is drawn (the longest may be cut, its full name is in the tooltip).
    for z in &d.zones {
        assert!(
            els.iter()
                .any(|e| e.name == "title" && e.text.lines().any(|l| l.ends_with(&z.name))),
            "no tooltip for {}",
            z.name
        );
        let shown = els.iter().any(|e| {
            e.name == "text"
                && (e.text == z.name || z.name.starts_with(e.text.trim_end_matches('…')))
        });
        assert!(shown, "{} not drawn", z.name);
    }
    // One link per zone that has one.
    let links: Vec<&str> = els
        .iter()
        .filter(|e| e.name == "a")
        .map(|e| e.attrs["href"].as_str())
        .collect();
    assert_eq!(
        links.len(),
        d.zones.iter().filter(|z| z.href.is_some()).count()
    );
    assert!(links.contains(&"/o/demo/zones/dcs"));
    // The conduit to an unknown zone is skipped, the others are drawn.
    let conduits = els
        .iter()
        .filter(|e| e.name == "g" && e.attrs.get("class").is_some_and(|c| c == "zd-conduit"))
        .count();
    assert_eq!(conduits, d.conduits.len() - 1);
    assert!(!svg.contains("ghost") && !svg.contains("does not exist"));
    // One-way conduits (two here) reference the arrowhead marker, defined once.
    let markers: Vec<&str> = els
        .iter()
        .filter(|e| e.name == "marker")
        .map(|e| e.attrs["id"].as_str())
        .collect();
    assert_eq!(markers.len(), 1);
    assert!(markers[0].starts_with("zd-arrow"));
    let reference = format!("url(#{})", markers[0]);
    let marked = els
        .iter()
        .filter(|e| e.attrs.get("marker-end") == Some(&reference))
        .count();
    assert_eq!(marked, 2);
    // The alerted zone is highlighted and its tooltip says why.
    let alert = els
        .iter()
        .filter(|e| {
            e.attrs
                .get("class")
                .is_some_and(|c| c.contains("zd-zone-alert"))
        })
        .count();
    assert_eq!(alert, 1);
    assert!(els.iter().any(|e| e.name == "title"
        && e.text.contains("安全計装システム (SIS)")
        && e.text.contains("SL-A < SL-T")));
    // Band captions of the layers in use, and the unknown band.
    for caption in ["Level 3.5 — DMZ", "Level 0 — Process", "Level unknown"] {
        let words: Vec<&str> = caption.split(' ').collect();
        assert!(
            els.iter()
                .any(|e| e.name == "text" && e.text.contains(words[0])),
            "{caption}"
        );
    }
    let band_texts: String = els
        .iter()
        .filter(|e| e.name == "text" && e.ancestors.last().is_some_and(|a| a == "g"))
        .map(|e| e.text.clone() + " ")
        .collect();
    assert!(band_texts.contains("DMZ"));
    assert!(band_texts.contains("unknown"));
    // Labels: a long one is cut with an ellipsis, short ones are whole.
    assert!(
        els.iter()
            .any(|e| e.name == "text" && e.text == "HTTPS 443")
    );
    assert!(
        els.iter()
            .any(|e| e.name == "text" && e.text == "OPC UA 4840 (データダイオード)")
    );
    assert_no_overlap(&d);
    assert_layers_ordered(&d);
    assert_conduits_clear_of_boxes(&d, &svg);
    assert_inside(&svg);
}

#[test]
fn multi_line_factory() {
    let d = factory();
    let svg = render(&d);
    save("diagram-factory.svg", &svg);
    let els = svg::check_standalone(&svg);
    assert_eq!(
        els.iter()
            .filter(|e| e.attrs.get("class").is_some_and(|c| c == "zd-conduit"))
            .count(),
        d.conduits.len()
    );
    assert_no_overlap(&d);
    assert_layers_ordered(&d);
    assert_conduits_clear_of_boxes(&d, &svg);
    assert_inside(&svg);
}

#[test]
fn everything_is_escaped() {
    let nasty = "<script>&\"'";
    let mut d = plant();
    d.title = nasty.into();
    d.zones[0].name = nasty.into();
    d.zones[0].lines = vec![nasty.into()];
    d.zones[0].href = Some("/o/x?a=1&b=\"2\"".into());
    d.conduits[0].label = nasty.into();
    d.conduits[0].name = nasty.into();
    d.layer_names[6].1 = nasty.into();
    let svg = render(&d);
    let els = svg::check_standalone(&svg);
    assert!(!svg.contains("<script"));
    assert!(svg.contains("&lt;script&gt;&amp;&quot;&#39;"));
    assert_eq!(els[1].text, nasty);
    assert!(els.iter().any(|e| e.name == "text" && e.text == nasty));
    assert!(
        els.iter()
            .any(|e| e.name == "a" && e.attrs["href"] == "/o/x?a=1&b=\"2\"")
    );
    // Control characters XML forbids never reach the output.
    d.zones[1].name = "bad\u{1}name\u{0}".into();
    let svg = render(&d);
    svg::check_standalone(&svg);
    assert!(!svg.contains('\u{1}') && !svg.contains('\u{0}'));
}

#[test]
fn output_is_deterministic() {
    let d = large(80, 160);
    assert_eq!(render(&d), render(&d));
    assert_eq!(render(&plant()), render(&plant()));
}

#[test]
fn parallel_conduits_do_not_overlap() {
    let d = Diagram {
        title: "Parallel".into(),
        zones: vec![
            zone("a", "A", Some(3)),
            zone("b", "B", Some(2)),
            zone("c", "C", Some(2)),
        ],
        conduits: vec![
            conduit("1", "a", "b", "Modbus/TCP 502", false),
            conduit("2", "a", "b", "OPC UA 4840", false),
            conduit("3", "b", "a", "HTTPS 443", true),
            conduit("4", "b", "c", "Same band", false),
            conduit("5", "c", "b", "Same band back", false),
        ],
        layer_names: purdue_names(),
        unknown_layer_name: String::new(),
    };
    let svg = render(&d);
    let els = svg::check_standalone(&svg);
    let paths: Vec<&str> = els
        .iter()
        .filter(|e| {
            e.name == "path"
                && e.ancestors.last().is_some_and(|a| a == "g")
                && e.attrs["stroke"] != "#ffffff"
        })
        .map(|e| e.attrs["d"].as_str())
        .collect();
    assert_eq!(paths.len(), 5);
    let mut dedup = paths.clone();
    dedup.sort_unstable();
    dedup.dedup();
    assert_eq!(dedup.len(), 5, "two conduits share a path: {paths:?}");
    // Every end point is distinct on its box.
    let mut ends: Vec<&str> = paths
        .iter()
        .flat_map(|p| {
            let coords: Vec<&str> = p
                .split(['M', 'L', 'C', ' '])
                .filter(|s| !s.is_empty())
                .collect();
            [coords[0], coords[coords.len() - 1]]
        })
        .collect();
    ends.sort_unstable();
    let n = ends.len();
    ends.dedup();
    assert_eq!(ends.len(), n, "shared end points");
    // Conduits within one band arc above the row (a curve, not a straight line).
    assert_eq!(paths.iter().filter(|p| p.contains('C')).count(), 2);
    // Labels keep clear of the boxes and of each other.
    let labels: Vec<[f64; 4]> = els
        .iter()
        .filter(|e| {
            e.name == "rect"
                && e.ancestors.last().is_some_and(|a| a == "g")
                && e.attrs.contains_key("fill-opacity")
        })
        .map(|e| [e.num("x"), e.num("y"), e.num("width"), e.num("height")])
        .collect();
    assert_eq!(labels.len(), 5);
    let l = layout(&d);
    let boxes: Vec<[f64; 4]> = l.zones.iter().map(|p| [p.x, p.y, p.w, p.h]).collect();
    let hit = |a: &[f64; 4], b: &[f64; 4]| {
        a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
    };
    for (i, a) in labels.iter().enumerate() {
        for b in &boxes {
            assert!(!hit(a, b), "label {a:?} on box {b:?}");
        }
        for b in &labels[i + 1..] {
            assert!(!hit(a, b), "labels {a:?} and {b:?} overlap");
        }
    }
}

#[test]
fn zones_without_conduits_and_duplicate_or_self_references() {
    let mut d = plant();
    d.conduits = vec![
        conduit("self", "dcs", "dcs", "loop", false),
        conduit("ok", "dcs", "ops", "OPC UA", false),
    ];
    d.zones.push(zone("dcs", "Duplicate id", Some(2)));
    let svg = render(&d);
    let els = svg::check_standalone(&svg);
    let conduits = els
        .iter()
        .filter(|e| e.attrs.get("class").is_some_and(|c| c == "zd-conduit"))
        .count();
    assert_eq!(conduits, 1);
    assert!(
        els.iter()
            .any(|e| e.name == "text" && e.text == "Duplicate id")
    );
    assert_no_overlap(&d);
}

#[test]
fn long_names_are_cut_and_boxes_stay_bounded() {
    let mut d = plant();
    d.zones[0].name = "とても長いゾーン名".repeat(10);
    d.zones[1].name = "A very long English zone name that goes on and on".repeat(3);
    d.zones[2].lines = vec!["x".repeat(400); 12];
    let l = layout(&d);
    for p in &l.zones {
        assert!(p.w <= 240.0, "box {} is {} wide", p.zone, p.w);
        assert!(p.h <= 140.0, "box {} is {} high", p.zone, p.h);
    }
    let svg = render(&d);
    let els = svg::check_standalone(&svg);
    assert!(
        els.iter()
            .any(|e| e.name == "text" && e.text.starts_with("とても長い") && e.text.ends_with('…'))
    );
    assert_no_overlap(&d);
}

#[test]
fn large_diagram_stays_legible_and_fast() {
    let d = large(200, 400);
    let t = Instant::now();
    let svg = render(&d);
    let took = t.elapsed();
    save("diagram-large.svg", &svg);
    // Debug build: a generous bound (the bench measures the optimized figure).
    assert!(took.as_secs_f64() < 2.0, "render took {took:?}");
    let els = svg::check_standalone(&svg);
    let l = layout(&d);
    assert!(
        l.width < 8000.0 && l.height < 8000.0,
        "{} x {}",
        l.width,
        l.height
    );
    let aspect = l.width / l.height;
    assert!((0.4..=4.0).contains(&aspect), "aspect {aspect}");
    assert_eq!(
        els.iter()
            .filter(|e| e
                .attrs
                .get("class")
                .is_some_and(|c| c.starts_with("zd-zone")))
            .count(),
        200
    );
    assert_eq!(
        els.iter()
            .filter(|e| e.attrs.get("class").is_some_and(|c| c == "zd-conduit"))
            .count(),
        400
    );
    assert_no_overlap(&d);
    assert_layers_ordered(&d);
    assert_conduits_clear_of_boxes(&d, &svg);
    assert_inside(&svg);
}

#[test]
fn one_band_of_many_zones_wraps() {
    // Every zone of unknown level: one band, wrapped into rows.
    let mut d = large(200, 400);
    for z in &mut d.zones {
        z.layer = None;
    }
    let svg = render(&d);
    svg::check_standalone(&svg);
    let l = layout(&d);
    assert_eq!(l.bands.len(), 1);
    assert!(
        l.width < 8000.0 && l.height < 8000.0,
        "{} x {}",
        l.width,
        l.height
    );
    let aspect = l.width / l.height;
    assert!((0.4..=4.0).contains(&aspect), "aspect {aspect}");
    assert_no_overlap(&d);
    assert_conduits_clear_of_boxes(&d, &svg);
    assert_inside(&svg);
}

#[test]
fn ordering_reduces_crossings() {
    // Two chains listed in an order that crosses: a1-b2, a2-b1 ... the layout uncrosses them.
    let mut zones = Vec::new();
    let mut conduits = Vec::new();
    for i in 0..6 {
        zones.push(zone(&format!("a{i}"), &format!("A{i}"), Some(3)));
    }
    for i in 0..6 {
        zones.push(zone(&format!("b{i}"), &format!("B{i}"), Some(2)));
        conduits.push(conduit(
            &format!("c{i}"),
            &format!("a{i}"),
            &format!("b{}", 5 - i),
            "",
            false,
        ));
    }
    let d = Diagram {
        title: "Crossings".into(),
        zones,
        conduits,
        layer_names: purdue_names(),
        unknown_layer_name: String::new(),
    };
    let l = layout(&d);
    let x = |i: usize| l.zones[i].x;
    let mut crossings = 0;
    for i in 0..6 {
        for j in i + 1..6 {
            let (ai, bi) = (x(i), x(6 + 5 - i));
            let (aj, bj) = (x(j), x(6 + 5 - j));
            if (ai - aj).signum() != (bi - bj).signum() {
                crossings += 1;
            }
        }
    }
    assert_eq!(crossings, 0);
}
