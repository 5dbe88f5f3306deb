//! The asset import file: bad files give row and column errors and no assets; the real 4SICS
//! device list imports; XLSX reads; an export reads back as the same assets.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use csms_domain::Uuid;
use csms_domain::inventory::{
    Asset, AssetType, Criticality, Interface, Lifecycle, NewAsset, validate_asset,
};
use csms_domain::zone::SlVector;
use csms_report::inventory::{
    Checked, ImportOptions, Lookups, MAX_LISTED, MAX_ROWS, Names, TagFrom, check_csv, check_xlsx,
    inventory_csv, inventory_xlsx, template_csv, template_xlsx,
};

fn check(text: &str) -> Checked {
    check_csv(
        text.as_bytes(),
        &ImportOptions::default(),
        &Lookups::default(),
        None,
    )
}

fn check_with(bytes: &[u8], options: ImportOptions, lookups: &Lookups<'_>) -> Checked {
    check_csv(bytes, &options, lookups, None)
}

/// The (row, column) of every error, and proof that nothing is kept.
fn places(c: &Checked) -> Vec<(u64, String)> {
    assert!(!c.is_ok());
    assert!(c.assets.is_empty(), "a file with errors keeps no assets");
    c.errors.iter().map(|e| (e.row, e.column.clone())).collect()
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

#[test]
fn a_good_file_reads_every_column() {
    let c = check(
        "\u{FEFF}Asset Tag,名称,type,vendor,IP Address,mac,protocols,purdue_level,criticality,lifecycle,SL-C,custom.rack\r\n\
         PLC-001,反応器 PLC,PLC,Siemens,192.168.10.11;10.0.0.5/24,00-1B-1B-12-34-56,S7comm 102;HTTPS 443,L1,High,in operation,\"3,3,2,2,1,1,3\",A-3\r\n\
         \r\n\
         HMI-01,\"Operator, station\",hmi,Yokogawa,,,,3,,,,\r\n",
    );
    assert!(c.is_ok(), "{:?}", c.errors);
    assert_eq!(
        c.rows,
        [2, 4],
        "rows are file lines; the empty line is skipped"
    );
    let a = &c.assets[0];
    assert_eq!(a.asset_tag, "PLC-001");
    assert_eq!(a.name, "反応器 PLC");
    assert_eq!(a.asset_type, AssetType::Plc);
    assert_eq!(a.interfaces.len(), 2);
    assert_eq!(a.interfaces[0].ip.as_deref(), Some("192.168.10.11"));
    assert_eq!(a.interfaces[0].mac.as_deref(), Some("00:1b:1b:12:34:56"));
    assert_eq!(a.interfaces[1].ip.as_deref(), Some("10.0.0.5/24"));
    assert_eq!(a.interfaces[1].mac, None);
    assert_eq!(a.protocols, ["S7comm 102", "HTTPS 443"]);
    assert_eq!(a.purdue_level.as_deref(), Some("1"));
    assert_eq!(a.criticality, Criticality::High);
    assert_eq!(a.lifecycle, Lifecycle::InOperation);
    assert_eq!(a.sl_c, Some(SlVector::parse("3,3,2,2,1,1,3").unwrap()));
    assert_eq!(a.custom["rack"], "A-3");
    assert_eq!(c.assets[1].name, "Operator, station");
    assert_eq!(
        c.assets[1].criticality,
        Criticality::Medium,
        "empty is the default"
    );
    assert_eq!(c.by_type[&"plc"], 1);
    assert_eq!(c.by_type[&"hmi"], 1);
}

#[test]
fn a_wrong_header_is_named() {
    let c = check("asset_tag,name,colour,name\nPLC-1,a,red,b\n");
    assert_eq!(
        places(&c),
        [(1, "colour".to_owned()), (1, "name".to_owned())]
    );
    assert!(c.errors[0].message.contains("asset_tag"), "{}", c.errors[0]);
    assert!(
        c.errors[0].message.contains("custom."),
        "lists the accepted names and the custom prefix: {}",
        c.errors[0]
    );
    assert!(c.errors[1].message.contains("column 2"), "{}", c.errors[1]);
    let c = check("name,vendor\nPLC,Siemens\n");
    assert_eq!(places(&c), [(1, "asset_tag".to_owned())]);
    assert!(c.errors[0].message.contains("no asset_tag column"));
    // An IP column alone is no tag unless the caller says so.
    let c = check("ip,vendor\n10.0.0.1,Siemens\n");
    assert!(
        c.errors[0].message.contains("IP address"),
        "{}",
        c.errors[0]
    );
    // `ip` and `ip_address` are one column given twice.
    let c = check("asset_tag,ip,IP address\nA,10.0.0.1,10.0.0.2\n");
    assert_eq!(places(&c), [(1, "IP address".to_owned())]);
}

#[test]
fn an_invalid_type_and_other_bad_values_are_named_by_row_and_column() {
    let c = check(
        "asset_tag,type,purdue_level,ip,mac,criticality,sl_c,lifecycle\n\
         A-1,plc,1,10.0.0.1,,high,,\n\
         A-2,toaster,1,,,,,\n\
         A-3,hmi,7,10.0.0.300,00:11,extreme,\"1,2\",scrapped\n",
    );
    let p = places(&c);
    assert_eq!(p.iter().filter(|(r, _)| *r == 2).count(), 0, "{p:?}");
    assert!(p.contains(&(3, "type".to_owned())));
    for col in ["criticality", "sl_c", "lifecycle", "ip", "mac"] {
        assert!(p.contains(&(4, col.to_owned())), "{col}: {p:?}");
    }
    let ty = &c.errors[0];
    assert_eq!(ty.value, "toaster");
    assert!(
        ty.message.contains("plc") && ty.message.contains("remote_io"),
        "says what to use: {ty}"
    );
    // The Purdue level goes through the domain validation once the row parses.
    let c = check("asset_tag,purdue_level\nA-1,7\n");
    assert_eq!(places(&c), [(2, "purdue_level".to_owned())]);
    assert!(c.errors[0].message.contains("3.5"));
}

#[test]
fn a_duplicate_asset_id_names_both_rows() {
    let c = check("asset_tag,name\nPLC-1,a\nPLC-2,b\n PLC-1 ,c\n");
    assert_eq!(places(&c), [(4, "asset_tag".to_owned())]);
    assert!(c.errors[0].message.contains("row 2"), "{}", c.errors[0]);
    // A tag the organization has already.
    let taken = |t: &str| t == "PLC-2";
    let lookups = Lookups {
        tag_taken: Some(&taken),
        ..Default::default()
    };
    let c = check_with(
        b"asset_tag\nPLC-1\nPLC-2\n",
        ImportOptions::default(),
        &lookups,
    );
    assert_eq!(places(&c), [(3, "asset_tag".to_owned())]);
    assert!(c.errors[0].message.contains("already"), "{}", c.errors[0]);
}

#[test]
fn references_resolve_by_name() {
    let zone = Uuid::from_u128(7);
    let system = Uuid::from_u128(8);
    let user = Uuid::from_u128(9);
    let lookups = Lookups {
        zones: HashMap::from([("Control Zone".to_owned(), zone)]),
        systems: HashMap::from([("DCS".to_owned(), system)]),
        members: HashMap::from([("tanaka".to_owned(), user)]),
        tag_taken: None,
    };
    let c = check_with(
        "資産番号,ゾーン,システム,責任者\nA-1,control zone,DCS,tanaka\nA-2,Safety,DCS,suzuki\nA-3,Safety,,\n"
            .as_bytes(),
        ImportOptions::default(),
        &lookups,
    );
    assert_eq!(
        places(&c),
        [
            (3, "ゾーン".to_owned()),
            (3, "責任者".to_owned()),
            (4, "ゾーン".to_owned())
        ]
    );
    assert!(c.errors[0].message.contains("create the zone first"));
    let ok = check_with(
        "資産番号,ゾーン,システム,責任者\nA-1,control zone,DCS,tanaka\n".as_bytes(),
        ImportOptions::default(),
        &lookups,
    );
    assert!(ok.is_ok(), "{:?}", ok.errors);
    let a = &ok.assets[0];
    assert_eq!(
        (a.zone_id, a.system_id, a.owner_id),
        (Some(zone), Some(system), Some(user))
    );
}

#[test]
fn broken_utf8_gives_the_row_and_byte_offset() {
    let mut bytes = b"asset_tag,name\nPLC-1,ok\nPLC-2,bad ".to_vec();
    let at = bytes.len();
    bytes.extend_from_slice(b"\xff\xfe here\nPLC-3,fine\n");
    let c = check_with(&bytes, ImportOptions::default(), &Lookups::default());
    assert_eq!(places(&c), [(3, "name".to_owned())]);
    let m = &c.errors[0].message;
    assert!(m.contains(&format!("byte offset {at}")), "{m}");
    assert!(m.contains("UTF-8"), "{m}");
    // A header in Shift_JIS: recognized, and the message says how to save it.
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("資産番号,名称\nPLC-1,反応器\n");
    let c = check_with(&sjis, ImportOptions::default(), &Lookups::default());
    assert_eq!(places(&c), [(1, String::new())]);
    assert!(
        c.errors[0].message.contains("Shift_JIS") && c.errors[0].message.contains("CSV UTF-8"),
        "{}",
        c.errors[0]
    );
}

/// Bytes from a fixed-seed generator.
fn noise(len: usize, seed: u64, f: impl Fn(u64) -> u8) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            f(x)
        })
        .collect()
}

#[test]
fn fifty_megabytes_of_garbage_are_refused_quickly() {
    const FIFTY_MB: usize = 50 * 1024 * 1024;
    let options = ImportOptions::default();
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "random bytes",
            noise(FIFTY_MB, 1, |x| x as u8),
            "binary data",
        ),
        (
            "printable, no line break",
            noise(FIFTY_MB, 2, |x| b'!' + (x % 90) as u8),
            "no header line",
        ),
        (
            "printable lines",
            noise(FIFTY_MB, 3, |x| {
                if x % 50 == 0 {
                    b'\n'
                } else {
                    b'a' + (x % 26) as u8
                }
            }),
            "not a column",
        ),
        (
            "an unclosed quote under a good header",
            {
                let mut b = b"asset_tag,name\nA-1,\"".to_vec();
                b.extend(noise(FIFTY_MB - 20, 4, |x| b'a' + (x % 26) as u8));
                b
            },
            "longer than",
        ),
    ];
    for (what, bytes, says) in cases {
        let t = Instant::now();
        let c = check_with(&bytes, options, &Lookups::default());
        let took = t.elapsed();
        assert!(!c.is_ok(), "{what}");
        assert!(c.assets.is_empty(), "{what}");
        assert!(
            c.errors[0].message.contains(says),
            "{what}: {}",
            c.errors[0]
        );
        assert!(took < Duration::from_secs(5), "{what} took {took:?}");
    }
    // Over the size limit: refused while reading, whatever the content.
    let big: String = std::iter::once("asset_tag\n".to_owned())
        .chain((0..200_000).map(|i| format!("PLC-{i:07}\n")))
        .collect();
    let c = check_with(
        big.as_bytes(),
        ImportOptions {
            max_bytes: 1024 * 1024,
            ..options
        },
        &Lookups::default(),
    );
    assert!(
        c.errors[0].message.contains("larger than 1 MB"),
        "{}",
        c.errors[0]
    );
    // An XLSX uploaded as CSV says so.
    let xlsx = template_xlsx("en").unwrap();
    let c = check_with(&xlsx, options, &Lookups::default());
    assert!(c.errors[0].message.contains("XLSX"), "{}", c.errors[0]);
}

#[test]
fn errors_are_capped_and_counted() {
    let mut text = "asset_tag,type\n".to_owned();
    for i in 0..(MAX_LISTED + 50) {
        text.push_str(&format!("A-{i},toaster\n"));
    }
    let c = check(&text);
    assert_eq!(c.errors.len(), MAX_LISTED);
    assert_eq!(c.more_errors, 50);
    assert_eq!(c.error_count(), MAX_LISTED as u64 + 50);
    let c = check("asset_tag,name\n");
    assert!(c.errors[0].message.contains("no assets"), "{}", c.errors[0]);
    let c = check("");
    assert!(c.errors[0].message.contains("empty"), "{}", c.errors[0]);
    let c = check("asset_tag,name\nA,b,c\n");
    assert_eq!(places(&c), [(2, String::new())]);
    assert!(c.errors[0].message.contains("3 fields"), "{}", c.errors[0]);
}

#[test]
fn more_rows_than_allowed_are_refused() {
    let mut text = String::with_capacity(MAX_ROWS * 10);
    text.push_str("asset_tag\n");
    for i in 0..=MAX_ROWS {
        text.push_str(&format!("T{i}\n"));
    }
    let c = check(&text);
    assert_eq!(c.errors.len(), 1, "{:?}", &c.errors[..1]);
    assert!(c.errors[0].message.contains("200000"), "{}", c.errors[0]);
    assert_eq!(c.errors[0].row, MAX_ROWS as u64 + 2);
    assert!(c.assets.is_empty());
}

#[test]
fn the_4sics_device_list_imports_with_tags_from_addresses() {
    let path = data_dir().join("inventory/4sics-geeklounge-2015/observed-devices.csv");
    let bytes = std::fs::read(&path).expect("the 4SICS device list is in shared/data");
    // As it is: no asset_tag, and two columns of observations.
    let c = check_with(&bytes, ImportOptions::default(), &Lookups::default());
    let p = places(&c);
    assert!(p.contains(&(1, "evidence".to_owned())), "{p:?}");
    assert!(p.contains(&(1, "confidence".to_owned())), "{p:?}");
    assert!(p.contains(&(1, "asset_tag".to_owned())), "{p:?}");
    // With the tag from the IP address and the other columns kept as custom fields.
    let options = ImportOptions {
        tag_from: TagFrom::Ip,
        keep_other_columns: true,
        ..Default::default()
    };
    let c = check_with(&bytes, options, &Lookups::default());
    assert!(c.is_ok(), "{:?}", c.errors);
    assert_eq!(c.assets.len(), 11);
    let by_tag: BTreeMap<&str, &NewAsset> =
        c.assets.iter().map(|a| (a.asset_tag.as_str(), a)).collect();
    let plc = by_tag["192.168.88.30"];
    assert_eq!(plc.asset_type, AssetType::Plc);
    assert_eq!(plc.vendor, "Siemens");
    assert_eq!(plc.order_number, "6ES7 212-1BD30-0XB0");
    assert_eq!(plc.firmware_version, "V1.0.1");
    assert_eq!(plc.serial_number, "SZVA3YU6014773");
    assert_eq!(plc.protocols, ["SNMP 161"]);
    assert!(plc.custom["evidence"].starts_with("snmp.log"));
    assert_eq!(plc.custom["confidence"], "high (device self-report)");
    assert_eq!(by_tag["192.168.88.60"].asset_type, AssetType::NetworkSwitch);
    assert_eq!(
        by_tag["192.168.88.60"].protocols,
        ["HTTPS 443", "SSH 22", "TELNET 23", "HTTP 80"]
    );
    assert_eq!(by_tag["192.168.88.75"].asset_type, AssetType::Firewall);
    assert_eq!(by_tag["192.168.88.20"].asset_type, AssetType::RemoteIo);
    assert_eq!(by_tag["192.168.88.115"].asset_type, AssetType::Other);
    let guard = by_tag["10.100.152.128"];
    assert_eq!(guard.asset_type, AssetType::Firewall);
    assert_eq!(
        guard.interfaces,
        [Interface {
            ip: Some("10.100.152.128".into()),
            mac: Some("00:0c:be:04:f3:0a".into()),
            ..Default::default()
        }]
    );
    // Roles stored as another name are warned about, never refused.
    assert!(
        c.warnings
            .iter()
            .any(|w| w.value == "serial console server" && w.message.contains("other")),
        "{:?}",
        c.warnings
    );
}

fn stored(new: NewAsset, i: u128) -> Asset {
    let a = validate_asset(new).unwrap();
    Asset {
        id: Uuid::from_u128(i),
        org_id: Uuid::nil(),
        asset_tag: a.asset_tag,
        name: a.name,
        asset_type: a.asset_type,
        vendor: a.vendor,
        product_family: a.product_family,
        model: a.model,
        order_number: a.order_number,
        firmware_version: a.firmware_version,
        serial_number: a.serial_number,
        purdue_level: a.purdue_level,
        location: a.location,
        interfaces: a.interfaces,
        protocols: a.protocols,
        criticality: a.criticality,
        owner_id: a.owner_id,
        system_id: a.system_id,
        zone_id: a.zone_id,
        lifecycle: a.lifecycle,
        sl_c: a.sl_c,
        custom: a.custom,
        created_at: time::OffsetDateTime::UNIX_EPOCH,
        created_by: None,
        updated_at: time::OffsetDateTime::UNIX_EPOCH,
        updated_by: None,
        version: 1,
    }
}

fn new_of(a: &Asset) -> NewAsset {
    NewAsset {
        asset_tag: a.asset_tag.clone(),
        name: a.name.clone(),
        asset_type: a.asset_type,
        vendor: a.vendor.clone(),
        product_family: a.product_family.clone(),
        model: a.model.clone(),
        order_number: a.order_number.clone(),
        firmware_version: a.firmware_version.clone(),
        serial_number: a.serial_number.clone(),
        purdue_level: a.purdue_level.clone(),
        location: a.location.clone(),
        interfaces: a.interfaces.clone(),
        protocols: a.protocols.clone(),
        criticality: a.criticality,
        owner_id: a.owner_id,
        system_id: a.system_id,
        zone_id: a.zone_id,
        lifecycle: a.lifecycle,
        sl_c: a.sl_c,
        custom: a.custom.clone(),
    }
}

/// Assets with every attribute, awkward values included.
fn sample() -> (Vec<Asset>, Names, Lookups<'static>) {
    let (zone, system, user) = (Uuid::from_u128(7), Uuid::from_u128(8), Uuid::from_u128(9));
    let assets = vec![
        stored(
            NewAsset {
                asset_tag: "PLC-001".into(),
                name: "反応器 PLC, \"A\" 系".into(),
                asset_type: AssetType::Plc,
                vendor: "Siemens".into(),
                product_family: "SIMATIC S7-1500".into(),
                model: "CPU 1515-2 PN".into(),
                order_number: "6ES7 515-2AM02-0AB0".into(),
                firmware_version: "=V2.9".into(),
                serial_number: "-S C-X4U".into(),
                purdue_level: Some("3.5".into()),
                location: "第1工場 @盤A".into(),
                interfaces: vec![
                    Interface {
                        mac: Some("00:1b:1b:12:34:56".into()),
                        ..Default::default()
                    },
                    Interface {
                        ip: Some("192.168.10.11/24".into()),
                        ..Default::default()
                    },
                    Interface {
                        ip: Some("fd00::10".into()),
                        mac: Some("00:1b:1b:12:34:57".into()),
                        ..Default::default()
                    },
                ],
                protocols: vec!["Modbus/TCP 502".into(), "HTTPS 443".into()],
                criticality: Criticality::Critical,
                owner_id: Some(user),
                system_id: Some(system),
                zone_id: Some(zone),
                lifecycle: Lifecycle::Maintenance,
                sl_c: Some(SlVector::parse("3,3,2,2,1,1,3").unwrap()),
                custom: BTreeMap::from([
                    ("rack".into(), "A-3".into()),
                    ("備考".into(), "+1 予備".into()),
                ]),
            },
            1,
        ),
        stored(
            NewAsset {
                asset_tag: "SW-01".into(),
                asset_type: AssetType::NetworkSwitch,
                custom: BTreeMap::from([("owner team".into(), "OT".into())]),
                ..Default::default()
            },
            2,
        ),
    ];
    let names = Names {
        owners: HashMap::from([(user, "tanaka".to_owned())]),
        systems: HashMap::from([(system, "DCS".to_owned())]),
        zones: HashMap::from([(zone, "制御ゾーン".to_owned())]),
    };
    let lookups = Lookups {
        members: HashMap::from([("tanaka".to_owned(), user)]),
        systems: HashMap::from([("DCS".to_owned(), system)]),
        zones: HashMap::from([("制御ゾーン".to_owned(), zone)]),
        tag_taken: None,
    };
    (assets, names, lookups)
}

#[test]
fn an_export_imports_back_unchanged() {
    let (assets, names, lookups) = sample();
    let expected: Vec<NewAsset> = assets.iter().map(new_of).collect();
    for lang in ["en", "ja"] {
        let csv = inventory_csv(lang, &assets, &names);
        assert!(csv.starts_with('\u{FEFF}'));
        assert!(csv.contains("\r\n"));
        assert!(csv.contains(",'=V2.9,"), "formula starts are neutralized");
        if lang == "ja" {
            assert!(csv.starts_with("\u{FEFF}資産番号,名称,種別"), "{csv}");
        }
        let c = check_with(csv.as_bytes(), ImportOptions::default(), &lookups);
        assert!(c.is_ok(), "{lang}: {:?}", c.errors);
        assert_eq!(c.assets, expected, "{lang} CSV");

        let xlsx = inventory_xlsx(lang, &assets, &names).unwrap();
        let c = check_xlsx(&xlsx, &ImportOptions::default(), &lookups);
        assert!(c.is_ok(), "{lang}: {:?}", c.errors);
        assert_eq!(c.assets, expected, "{lang} XLSX");
        assert_eq!(c.rows, [2, 3]);
    }
}

#[test]
fn xlsx_errors_name_sheet_rows_and_templates_read() {
    for lang in ["en", "ja"] {
        let c = check_xlsx(
            &template_xlsx(lang).unwrap(),
            &ImportOptions::default(),
            &Lookups::default(),
        );
        assert!(c.is_ok(), "{lang}: {:?}", c.errors);
        assert_eq!(c.assets[0].asset_tag, "PLC-001");
        assert_eq!(c.assets[0].custom["rack"], "A-3");
        let c = check(&template_csv(lang));
        assert!(c.is_ok(), "{lang}: {:?}", c.errors);
    }
    // A workbook written by a spreadsheet: numbers as numbers, an error on row 3.
    let mut book = rust_xlsxwriter::Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("Notes").unwrap();
    notes.write_string(0, 0, "not the list").unwrap();
    let ws = book.add_worksheet();
    ws.set_name("資産").unwrap();
    for (c, h) in ["asset_tag", "purdue_level", "type", "serial"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_number(1, 0, 1001.0).unwrap();
    ws.write_number(1, 1, 3.5).unwrap();
    ws.write_string(1, 2, "RTU").unwrap();
    ws.write_number(1, 3, 123456.0).unwrap();
    ws.write_string(2, 0, "A-2").unwrap();
    ws.write_string(2, 2, "toaster").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let c = check_xlsx(&bytes, &ImportOptions::default(), &Lookups::default());
    assert_eq!(places(&c), [(3, "type".to_owned())]);
    ws_ok(&bytes);
    let c = check_xlsx(b"not a zip", &ImportOptions::default(), &Lookups::default());
    assert!(
        c.errors[0].message.contains("not an XLSX"),
        "{}",
        c.errors[0]
    );
}

fn ws_ok(bytes: &[u8]) {
    // Without the bad row the sheet's numbers read as text.
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "asset_tag").unwrap();
    ws.write_string(0, 1, "purdue_level").unwrap();
    ws.write_number(1, 0, 1001.0).unwrap();
    ws.write_number(1, 1, 3.5).unwrap();
    let b = book.save_to_buffer().unwrap();
    let c = check_xlsx(&b, &ImportOptions::default(), &Lookups::default());
    assert!(c.is_ok(), "{:?}", c.errors);
    assert_eq!(c.assets[0].asset_tag, "1001");
    assert_eq!(c.assets[0].purdue_level.as_deref(), Some("3.5"));
    assert!(!bytes.is_empty());
}

#[test]
fn a_zip_bomb_is_refused_before_unpacking() {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..100 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
    }
    let bytes = out.into_inner();
    assert!(bytes.len() < 1024 * 1024, "{}", bytes.len());
    let t = Instant::now();
    let c = check_xlsx(&bytes, &ImportOptions::default(), &Lookups::default());
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(
        c.errors[0].message.contains("unpacks to 100 MB"),
        "{}",
        c.errors[0]
    );
}

// ---------------------------------------------------------------------------------------
// Hostile files (security review of the asset import)

const CT: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WB: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Assets" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WBR: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// A workbook written by hand: one sheet `Assets` with `rows` inside `<sheetData>`, and any
/// other parts (name, content, stored instead of deflated).
fn raw_book(rows: &str, extra: &[(&str, &[u8], bool)]) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, text) in [
            ("[Content_Types].xml", CT),
            ("_rels/.rels", RELS),
            ("xl/workbook.xml", WB),
            ("xl/_rels/workbook.xml.rels", WBR),
        ] {
            z.start_file(name, deflated).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        }
        z.start_file("xl/worksheets/sheet1.xml", deflated).unwrap();
        z.write_all(
            br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        )
        .unwrap();
        z.write_all(rows.as_bytes()).unwrap();
        z.write_all(b"</sheetData></worksheet>").unwrap();
        for (name, content, store) in extra {
            z.start_file(*name, if *store { stored } else { deflated })
                .unwrap();
            z.write_all(content).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

fn xlsx(bytes: &[u8]) -> Checked {
    check_xlsx(bytes, &ImportOptions::default(), &Lookups::default())
}

fn text_cell(at: &str, text: &str) -> String {
    format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

#[test]
fn a_sparse_sheet_is_read_a_row_at_a_time_and_far_cells_are_refused() {
    // Cells at A1 and XFD1048576 only: a dense grid would be 17 billion cells (the process
    // aborted allocating ~550 GB); read a cell at a time, the far cell is named and refused.
    let bytes = raw_book(
        &format!(
            r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
            text_cell("A1", "asset_tag"),
            text_cell("XFD1048576", "x")
        ),
        &[],
    );
    assert!(bytes.len() < 4096, "{}", bytes.len());
    let t = Instant::now();
    let c = xlsx(&bytes);
    assert!(t.elapsed() < Duration::from_secs(2));
    let e = &places_and_first(&c);
    assert!(
        e.contains("cell XFD1048576 is beyond column 256: an asset file has at most 256 columns"),
        "{e}"
    );
    // Within the columns but far down: named by its row.
    let bytes = raw_book(
        &format!(
            r#"<row r="1">{}</row><row r="2">{}</row><row r="900000">{}</row>"#,
            text_cell("A1", "asset_tag"),
            text_cell("A2", "PLC-1"),
            text_cell("B900000", "x")
        ),
        &[],
    );
    let e = places_and_first(&xlsx(&bytes));
    assert!(e.contains("cell B900000 is beyond row 200001"), "{e}");
    // Rows out of order (a spreadsheet never writes them so).
    let bytes = raw_book(
        &format!(
            r#"<row r="1">{}</row><row r="3">{}</row><row r="2">{}</row>"#,
            text_cell("A1", "asset_tag"),
            text_cell("A3", "PLC-3"),
            text_cell("A2", "PLC-2")
        ),
        &[],
    );
    let e = places_and_first(&xlsx(&bytes));
    assert!(e.contains("cell A2 comes after row 3"), "{e}");
    // Sparse but within bounds: empty rows and columns between cells read as empty.
    let bytes = raw_book(
        &format!(
            r#"<row r="3">{}{}</row><row r="7">{}{}<c r="IV7" s="1"/><c r="XFD7" s="1"></c></row><row r="150000">{}</row>"#,
            text_cell("A3", "asset_tag"),
            text_cell("B3", "custom.far"),
            text_cell("A7", "PLC-7"),
            text_cell("B7", "right edge"),
            text_cell("A150000", "PLC-150000")
        ),
        &[],
    );
    let c = xlsx(&bytes);
    assert!(c.is_ok(), "{:?}", c.errors);
    assert_eq!(c.rows, [7, 150000]);
    assert_eq!(c.assets[0].custom["far"], "right edge");
    assert_eq!(c.assets[1].asset_tag, "PLC-150000");
}

/// The first error's text, after checking that the file was refused.
fn places_and_first(c: &Checked) -> String {
    assert!(!c.is_ok());
    assert!(c.assets.is_empty());
    c.errors[0].to_string()
}

#[test]
fn each_workbook_part_is_judged_on_its_own_expansion() {
    // 20 MB of sheet XML packed about a thousand times, beside 3 MB of random bytes stored
    // unpacked: over the whole archive the ratio looked modest; per part it is not.
    let mut rows = String::from(
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>asset_tag</t></is></c></row>",
    );
    let filler = "<row><c><v>1</v></c></row>".repeat(1000);
    while rows.len() < 20 * 1024 * 1024 {
        rows.push_str(&filler);
    }
    let pad = noise(3 * 1024 * 1024, 7, |x| x as u8);
    let bytes = raw_book(&rows, &[("xl/media/pad.bin", &pad, true)]);
    let c = xlsx(&bytes);
    let e = places_and_first(&c);
    assert!(
        e.contains("the workbook part xl/worksheets/sheet1.xml unpacks to 20 MB"),
        "{e}"
    );
    // A declared string count the reader would reserve room for (uniqueCount): refused
    // before the workbook is opened.
    let sst = br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="999999999999"><si><t>asset_tag</t></si></sst>"#;
    let bytes = raw_book(
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
        &[("xl/sharedStrings.xml", sst, false)],
    );
    let e = places_and_first(&xlsx(&bytes));
    assert!(e.contains("more than 2500000 different texts"), "{e}");
    // Shared strings read as before when they are honest.
    let sst = br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>asset_tag</t></si><si><t>PLC-1</t></si></sst>"#;
    let bytes = raw_book(
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>"#,
        &[("xl/sharedStrings.xml", sst, false)],
    );
    let c = xlsx(&bytes);
    assert!(c.is_ok(), "{:?}", c.errors);
    assert_eq!(c.assets[0].asset_tag, "PLC-1");
}

#[test]
fn messages_quote_values_cut_and_escaped() {
    let long = "x".repeat(100_000);
    let owner = format!("evil\u{1b}[31m{}", "o".repeat(100_000));
    let text = format!(
        "asset_tag,owner,type,ip,mac\nPLC-1,{owner},serial console server {long},{long},{long}\n"
    );
    let c = check(&text);
    assert!(!c.is_ok());
    assert!(c.errors.len() >= 4, "{:?}", c.errors);
    for e in &c.errors {
        assert!(e.message.len() < 400, "{}: {}", e.column, e.message);
        assert!(e.value.chars().count() <= 80);
        assert!(!e.message.contains('\u{1b}'), "{}", e.message);
    }
    let m = &c
        .errors
        .iter()
        .find(|e| e.column == "owner")
        .unwrap()
        .message;
    assert!(m.starts_with("'evil\\u{1b}[31mooo"), "{m}");
    assert!(m.contains("o…' is not a member"), "{m}");
    // A header: the message lists the accepted names but quotes the header cut.
    let c = check(&format!("asset_tag,{}\nPLC-1,a\n", &long[..30_000]));
    let m = &c.errors[0].message;
    assert!(m.len() < 2100 && m.contains("x…' is not a column"), "{m}");
    assert!(c.errors[0].column.chars().count() <= 80);
}

#[test]
fn empty_lines_are_counted_not_remembered() {
    // Three million empty lines between the header and a bad row: the row is still named by
    // its line (before, every line feed was kept until the next record: 8 bytes a line).
    let mut text = String::from("asset_tag,type\n");
    text.push_str(&"\n".repeat(3_000_000));
    text.push_str("PLC-1,toaster\n\r\n\n");
    text.push_str("PLC-2,\"two\nlines\"\nPLC-3,toaster\n");
    let c = check(&text);
    assert!(c.errors[1].message.starts_with("'two\\nlines' is not"));
    assert_eq!(
        places(&c),
        [
            (3_000_002, "type".to_owned()),
            (3_000_005, "type".to_owned()),
            (3_000_007, "type".to_owned())
        ],
        "{:?}",
        c.errors
    );
}
