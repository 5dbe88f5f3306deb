//! Parse and check of a 100,000-row asset CSV (realistic values, Japanese names, addresses,
//! protocols, SL-C, a custom field), streamed from a file written to the temporary directory,
//! and of the same assets as XLSX. The whole import into SQLite is `bench/asset-import`.

use std::io::{BufReader, Write};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use csms_report::inventory::{ImportOptions, Lookups, check_csv};

const ROWS: usize = 100_000;

fn file() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("csms-import-bench-{}.csv", std::process::id()));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    f.write_all("\u{FEFF}asset_tag,name,type,vendor,product_family,model,order_number,firmware_version,serial_number,purdue_level,location,ip,mac,protocols,criticality,lifecycle,sl_c,custom.rack\r\n".as_bytes()).unwrap();
    let types = [
        "plc",
        "hmi",
        "remote_io",
        "network_switch",
        "firewall",
        "sensor_actuator",
        "rtu",
    ];
    let vendors = [
        (
            "Siemens",
            "SIMATIC S7-1500",
            "CPU 1515-2 PN",
            "6ES7 515-2AM02-0AB0",
        ),
        ("Yokogawa", "CENTUM VP", "AFV30D", "AFV30D-S41201"),
        ("Mitsubishi Electric", "MELSEC iQ-R", "R04CPU", "R04CPU"),
        ("Moxa", "EDS", "EDS-508A", ""),
    ];
    for i in 0..ROWS {
        let (v, fam, model, order) = vendors[i % vendors.len()];
        writeln!(
            f,
            "A-{i:06},反応器 {i} 制御盤,{},{v},{fam},{model},{order},V2.{}.{},SN{:010},{},第{}工場 電気室 盤{},10.{}.{}.{},00:1b:1b:{:02x}:{:02x}:{:02x},Modbus/TCP 502;HTTPS 443,{},in_operation,\"2,2,1,1,1,1,2\",R{}\r",
            types[i % types.len()],
            i % 10,
            i % 30,
            i * 7919,
            ["0", "1", "2", "3", "3.5"][i % 5],
            i % 5 + 1,
            i % 40,
            i >> 16,
            (i >> 8) & 255,
            i & 255,
            i >> 16,
            (i >> 8) & 255,
            i & 255,
            ["low", "medium", "high", "critical"][i % 4],
            i % 300,
        )
        .unwrap();
    }
    f.flush().unwrap();
    path
}

fn bench(c: &mut Criterion) {
    let path = file();
    let size = std::fs::metadata(&path).unwrap().len();
    eprintln!("{ROWS} rows, {:.1} MB", size as f64 / 1048576.0);
    let options = ImportOptions {
        max_bytes: 200 * 1024 * 1024,
        ..Default::default()
    };
    let mut g = c.benchmark_group("asset_import");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("check_csv_100k", |b| {
        b.iter(|| {
            let f = BufReader::new(std::fs::File::open(&path).unwrap());
            let checked = check_csv(f, &options, &Lookups::default(), None);
            assert!(
                checked.is_ok(),
                "{:?}",
                &checked.errors[..1.min(checked.errors.len())]
            );
            assert_eq!(checked.assets.len(), ROWS);
            checked.assets.len()
        })
    });
    g.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, bench);
criterion_main!(benches);
