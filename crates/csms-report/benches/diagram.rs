//! The zone and conduit diagram of 200 zones and 400 conduits (issue 5: under 1 s; target
//! under 50 ms) and a 5x5 risk heat map, rendered to SVG.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use csms_report::diagram::{self, Conduit, Diagram, Zone};
use csms_report::heatmap::{self, Cell, HeatMap};

/// A deterministic pseudo-random generator (LCG).
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

/// `zones` zones over Purdue ranks 0..=6 (every 13th of unknown level), `conduits` conduits
/// mostly between neighbouring levels, one in ten anywhere.
fn plant(zones: usize, conduits: usize) -> Diagram {
    let mut rng = Lcg(7);
    let names = [
        "DCS 制御",
        "Boiler",
        "包装ライン",
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
            layer: (i % 13 != 5).then_some((i % 7) as u8),
            href: Some(format!("/o/demo/zones/z{i}")),
            alert: i % 9 == 0,
        })
        .collect();
    let conduits = (0..conduits)
        .map(|k| {
            let a = rng.next(zones);
            let b = loop {
                let b = rng.next(zones);
                let near = zs[a].layer.unwrap_or(0).abs_diff(zs[b].layer.unwrap_or(0)) <= 1;
                if b != a && (near || rng.next(10) == 0) {
                    break b;
                }
            };
            Conduit {
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
            }
        })
        .collect();
    Diagram {
        title: "ゾーン・コンジット図".into(),
        zones: zs,
        conduits,
        layer_names: (0..=6u8).map(|r| (r, format!("Level {r}"))).collect(),
        unknown_layer_name: "Level unknown".into(),
    }
}

fn heat() -> HeatMap {
    let steps = |p: &str| (1..=5).map(|i| format!("{p}{i}")).collect::<Vec<_>>();
    HeatMap {
        title: "Inherent risk".into(),
        likelihood_label: "Likelihood".into(),
        consequence_label: "Consequence".into(),
        likelihood_steps: steps("L"),
        consequence_steps: steps("C"),
        levels: vec![
            "Low".into(),
            "Medium".into(),
            "High".into(),
            "Critical".into(),
        ],
        cells: (0..5)
            .map(|l| {
                (0..5)
                    .map(|c| Cell {
                        level: ((l + c) / 2).min(3),
                        count: (l * 7 + c * 3) % 6,
                        href: Some(format!("/o/demo/risks?l={}&c={}", l + 1, c + 1)),
                    })
                    .collect()
            })
            .collect(),
    }
}

fn bench(c: &mut Criterion) {
    let d = plant(200, 400);
    c.bench_function("diagram_200_zones_400_conduits", |b| {
        b.iter(|| diagram::render(black_box(&d)))
    });
    // Growth beyond the size: five times the zones and conduits.
    let big = plant(1000, 2000);
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10);
    g.bench_function("diagram_1000_zones_2000_conduits", |b| {
        b.iter(|| diagram::render(black_box(&big)))
    });
    g.finish();
    let h = heat();
    c.bench_function("heatmap_5x5", |b| b.iter(|| heatmap::render(black_box(&h))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
