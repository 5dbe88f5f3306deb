//! The demo plant's IACS: its site, systems, zones, conduits and assets (criteria 4.2.3.4,
//! IEC 62443-3-2), so that the inventory, the zone diagram and the risk register open with
//! realistic content. Device models are real product lines; every serial number, address and
//! name of the plant is invented.

use std::collections::HashMap;

use csms_domain::Uuid;
use csms_domain::assessment::{Outcome, ResultInput};
use csms_domain::auth::Role;
use csms_domain::inventory::{
    AssetType, Channel, Criticality, Direction, Interface, Lifecycle, NewAsset, NewConduit,
    NewSite, NewSystem, NewZone,
};
use csms_domain::register::{
    NewRisk, RatingInput, RiskKind, Treatment, Trigger, accept, validate_risk,
    worst_unmitigated_rank,
};
use csms_domain::trail::Actor;
use csms_domain::zone::{SlVector, propose_target};
use csms_store::Store;
use csms_store::assessment::{NewAssessment, ResultChange};

/// What the later parts of the demo refer to by name.
pub struct Plant {
    pub systems: HashMap<&'static str, Uuid>,
    pub zones: HashMap<&'static str, Uuid>,
    /// Asset tag → id.
    pub assets: HashMap<String, Uuid>,
}

/// (key, name, description, criticality).
const SYSTEMS: &[(&str, &str, &str, Criticality)] = &[
    (
        "dcs",
        "EO プラント DCS / EO unit DCS",
        "エチレンオキサイド系列の分散制御システム（Yokogawa CENTUM VP R6）。24 時間連続運転。\nDistributed control of the ethylene oxide unit (Yokogawa CENTUM VP R6), running around the clock.",
        Criticality::Critical,
    ),
    (
        "sis",
        "安全計装システム / Safety instrumented system",
        "EO 反応器の緊急遮断（ESD）と可燃性ガス検知。SIL 2。DCS から独立。\nEmergency shutdown of the EO reactors and flammable gas detection, SIL 2, independent of the DCS.",
        Criticality::Critical,
    ),
    (
        "utility",
        "ユーティリティ PLC / Utility PLCs",
        "ボイラー、冷却水、受電設備の PLC 制御。\nPLC control of the boilers, cooling water and power receiving.",
        Criticality::High,
    ),
    (
        "shipping",
        "出荷設備バッチ制御 / Shipping batch control",
        "タンクローリー出荷の計量・バッチ制御。\nWeighing and batch control of tank-lorry loading.",
        Criticality::Medium,
    ),
    (
        "pims",
        "プラント情報管理 / Plant information management",
        "ヒストリアン、OPC UA ゲートウェイ、生産管理との連携。\nHistorian, OPC UA gateway and the link to production planning.",
        Criticality::High,
    ),
];

/// (key, name, system key, description, SL-T).
type ZoneRow = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    [u8; 7],
);
const ZONES: &[ZoneRow] = &[
    (
        "enterprise",
        "Z00 業務ネットワーク / Enterprise network",
        None,
        "本社情報システム部が管理する業務系ネットワーク（CSMS の対象外、境界の相手として記載）。\nThe corporate network run by head-office IT (outside the CSMS scope; shown as the boundary's other side).",
        [1, 1, 1, 1, 1, 1, 1],
    ),
    (
        "dmz",
        "Z01 プラント DMZ / Plant DMZ",
        Some("pims"),
        "業務系と制御系の間の DMZ。ヒストリアンのミラー、リモート保守用ジャンプサーバ、パッチ配信サーバ。\nThe DMZ between the enterprise and the control systems: historian mirror, remote-maintenance jump host, patch server.",
        [3, 3, 2, 3, 3, 2, 2],
    ),
    (
        "operations",
        "Z02 操業管理 / Site operations",
        Some("pims"),
        "ヒストリアン、OPC UA ゲートウェイ、ドメインコントローラ。\nHistorian, OPC UA gateway, domain controller.",
        [2, 2, 2, 2, 2, 2, 2],
    ),
    (
        "dcs",
        "Z03 EO 制御 / EO unit control",
        Some("dcs"),
        "EO 系列の DCS：操作端末、エンジニアリング端末、制御ステーション、制御ネットワーク。\nThe EO unit's DCS: operator stations, engineering workstation, field control stations, control network.",
        [3, 3, 3, 2, 3, 2, 3],
    ),
    (
        "sis",
        "Z04 安全計装 / Safety instrumented system",
        Some("sis"),
        "安全コントローラと SIS エンジニアリング端末。DCS へは読み出し専用。\nSafety controllers and the SIS engineering workstation; read-only towards the DCS.",
        [3, 3, 3, 3, 3, 2, 3],
    ),
    (
        "utility",
        "Z05 ユーティリティ / Utilities",
        Some("utility"),
        "ボイラー・冷却水・受電の PLC と HMI。\nPLCs and HMIs of the boilers, cooling water and power receiving.",
        [2, 2, 2, 2, 2, 1, 2],
    ),
    (
        "shipping",
        "Z06 出荷 / Shipping",
        Some("shipping"),
        "出荷設備の PLC と計量端末。\nPLCs and weighing terminals of the loading station.",
        [2, 2, 2, 1, 2, 1, 2],
    ),
];

/// (name, from, to, channels (protocol, port, one-way), description).
type ConduitRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, Option<u16>, bool)],
    &'static str,
);
const CONDUITS: &[ConduitRow] = &[
    (
        "C01 業務系–DMZ / Enterprise–DMZ",
        "enterprise",
        "dmz",
        &[
            ("HTTPS", Some(443), false),
            ("RDP (ジャンプサーバ経由)", Some(3389), false),
        ],
        "境界ファイアウォール FW-01。業務系からはヒストリアンミラーの閲覧とジャンプサーバへの接続のみ。",
    ),
    (
        "C02 操業–DMZ / Operations–DMZ",
        "operations",
        "dmz",
        &[
            ("PI replication", Some(5450), true),
            ("WSUS", Some(8530), false),
        ],
        "FW-02。ヒストリアンの複製は操業側から DMZ への一方向。",
    ),
    (
        "C03 操業–EO 制御 / Operations–EO control",
        "operations",
        "dcs",
        &[
            ("OPC UA", Some(4840), false),
            ("Vnet/IP (読み出し)", None, false),
        ],
        "FW-03。OPC UA ゲートウェイ経由でプロセス値を収集。",
    ),
    (
        "C04 SIS–EO 制御 / SIS–EO control",
        "sis",
        "dcs",
        &[("Modbus/TCP (read only)", Some(502), true)],
        "SIS の状態を DCS に表示するための一方向の読み出し。SIS への書き込み経路はない。",
    ),
    (
        "C05 操業–ユーティリティ / Operations–Utilities",
        "operations",
        "utility",
        &[
            ("S7comm", Some(102), false),
            ("Modbus/TCP", Some(502), false),
        ],
        "FW-04。ユーティリティの運転データ収集と設定変更（エンジニアリング時のみ）。",
    ),
    (
        "C06 操業–出荷 / Operations–Shipping",
        "operations",
        "shipping",
        &[("SLMP (MELSEC)", Some(5007), false)],
        "出荷実績の収集。",
    ),
    (
        "C07 リモート保守 / Remote maintenance",
        "dmz",
        "dcs",
        &[("RDP", Some(3389), false)],
        "ベンダーのリモート保守。ジャンプサーバ経由、作業時のみ許可（チケット番号で承認）。",
    ),
];

/// (tag, name, type, vendor, family, model, firmware, purdue, zone, system, ip, protocols,
/// criticality, SL-C).
type AssetRow = (
    &'static str,
    &'static str,
    AssetType,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [&'static str],
    Criticality,
    Option<[u8; 7]>,
);

const ASSETS: &[AssetRow] = &[
    (
        "FW-01",
        "境界ファイアウォール / Enterprise boundary firewall",
        AssetType::Firewall,
        "Fortinet",
        "FortiGate Rugged",
        "FortiGate Rugged 70F",
        "7.2.10",
        "3.5",
        "dmz",
        Some("pims"),
        "10.10.0.1",
        &["HTTPS 443"],
        Criticality::Critical,
        Some([3, 3, 3, 3, 3, 2, 3]),
    ),
    (
        "JH-01",
        "リモート保守ジャンプサーバ / Remote-maintenance jump host",
        AssetType::Server,
        "Dell",
        "PowerEdge",
        "R650",
        "Windows Server 2022",
        "3.5",
        "dmz",
        Some("pims"),
        "10.10.0.20",
        &["RDP 3389"],
        Criticality::High,
        None,
    ),
    (
        "HIS-M01",
        "ヒストリアンミラー / Historian mirror",
        AssetType::Historian,
        "AVEVA",
        "PI Server",
        "PI Data Archive 2023",
        "2023 SP1",
        "3.5",
        "dmz",
        Some("pims"),
        "10.10.0.30",
        &["HTTPS 443", "PI 5450"],
        Criticality::Medium,
        None,
    ),
    (
        "WSUS-01",
        "パッチ配信サーバ / Patch server",
        AssetType::Server,
        "Dell",
        "PowerEdge",
        "R450",
        "Windows Server 2022",
        "3.5",
        "dmz",
        Some("pims"),
        "10.10.0.40",
        &["WSUS 8530"],
        Criticality::Medium,
        None,
    ),
    (
        "FW-02",
        "DMZ 内側ファイアウォール / DMZ inner firewall",
        AssetType::Firewall,
        "Palo Alto Networks",
        "PA-400 Series",
        "PA-440",
        "PAN-OS 11.1",
        "3.5",
        "dmz",
        Some("pims"),
        "10.20.0.1",
        &[],
        Criticality::Critical,
        Some([3, 3, 3, 3, 3, 2, 3]),
    ),
    (
        "HIS-01",
        "プラントヒストリアン / Plant historian",
        AssetType::Historian,
        "AVEVA",
        "PI Server",
        "PI Data Archive 2023",
        "2023 SP1",
        "3",
        "operations",
        Some("pims"),
        "10.20.1.10",
        &["PI 5450", "OPC UA 4840"],
        Criticality::High,
        None,
    ),
    (
        "OPC-01",
        "OPC UA ゲートウェイ / OPC UA gateway",
        AssetType::Server,
        "Yokogawa",
        "Exaopc",
        "Exaopc R3.80",
        "R3.80.00",
        "3",
        "operations",
        Some("pims"),
        "10.20.1.20",
        &["OPC UA 4840"],
        Criticality::High,
        None,
    ),
    (
        "DC-01",
        "制御系ドメインコントローラ / Control domain controller",
        AssetType::Server,
        "HPE",
        "ProLiant",
        "DL360 Gen10",
        "Windows Server 2019",
        "3",
        "operations",
        Some("pims"),
        "10.20.1.5",
        &["LDAP 389", "Kerberos 88"],
        Criticality::High,
        None,
    ),
    (
        "SW-OPS-01",
        "操業ネットワークスイッチ / Operations switch",
        AssetType::NetworkSwitch,
        "Cisco",
        "Industrial Ethernet 4000",
        "IE-4000-8GT4G-E",
        "15.2(8)E",
        "3",
        "operations",
        Some("pims"),
        "10.20.1.2",
        &["SNMP 161"],
        Criticality::High,
        None,
    ),
    (
        "FW-03",
        "制御系ファイアウォール / Control firewall",
        AssetType::Firewall,
        "Fortinet",
        "FortiGate Rugged",
        "FortiGate Rugged 60F",
        "7.2.10",
        "2",
        "dcs",
        Some("dcs"),
        "10.30.0.1",
        &[],
        Criticality::Critical,
        Some([3, 3, 3, 3, 3, 2, 3]),
    ),
    (
        "HIS-EO-01",
        "EO 操作端末 1 / EO operator station 1",
        AssetType::Hmi,
        "Yokogawa",
        "CENTUM VP",
        "HIS (Windows 10 IoT LTSC)",
        "R6.10",
        "2",
        "dcs",
        Some("dcs"),
        "10.30.1.11",
        &["Vnet/IP"],
        Criticality::Critical,
        Some([2, 2, 2, 2, 2, 1, 2]),
    ),
    (
        "HIS-EO-02",
        "EO 操作端末 2 / EO operator station 2",
        AssetType::Hmi,
        "Yokogawa",
        "CENTUM VP",
        "HIS (Windows 10 IoT LTSC)",
        "R6.10",
        "2",
        "dcs",
        Some("dcs"),
        "10.30.1.12",
        &["Vnet/IP"],
        Criticality::Critical,
        Some([2, 2, 2, 2, 2, 1, 2]),
    ),
    (
        "HIS-EO-03",
        "EO 操作端末 3 / EO operator station 3",
        AssetType::Hmi,
        "Yokogawa",
        "CENTUM VP",
        "HIS (Windows 10 IoT LTSC)",
        "R6.10",
        "2",
        "dcs",
        Some("dcs"),
        "10.30.1.13",
        &["Vnet/IP"],
        Criticality::Critical,
        Some([2, 2, 2, 2, 2, 1, 2]),
    ),
    (
        "ENG-EO-01",
        "EO エンジニアリング端末 / EO engineering workstation",
        AssetType::EngineeringWorkstation,
        "Yokogawa",
        "CENTUM VP",
        "ENG (Windows 10 IoT LTSC)",
        "R6.10",
        "2",
        "dcs",
        Some("dcs"),
        "10.30.1.20",
        &["Vnet/IP", "RDP 3389"],
        Criticality::Critical,
        Some([2, 2, 2, 2, 2, 1, 2]),
    ),
    (
        "FCS-EO-01",
        "EO 反応器 制御ステーション / EO reactor FCS",
        AssetType::DcsController,
        "Yokogawa",
        "CENTUM VP",
        "AFV30D",
        "R6.10",
        "1",
        "dcs",
        Some("dcs"),
        "10.30.2.1",
        &["Vnet/IP"],
        Criticality::Critical,
        Some([2, 2, 2, 2, 2, 2, 2]),
    ),
    (
        "FCS-EO-02",
        "EO 精製 制御ステーション / EO purification FCS",
        AssetType::DcsController,
        "Yokogawa",
        "CENTUM VP",
        "AFV30D",
        "R6.10",
        "1",
        "dcs",
        Some("dcs"),
        "10.30.2.2",
        &["Vnet/IP"],
        Criticality::Critical,
        Some([2, 2, 2, 2, 2, 2, 2]),
    ),
    (
        "FCS-EO-03",
        "EO 冷却 制御ステーション / EO cooling FCS",
        AssetType::DcsController,
        "Yokogawa",
        "CENTUM VP",
        "AFV10D",
        "R6.10",
        "1",
        "dcs",
        Some("dcs"),
        "10.30.2.3",
        &["Vnet/IP"],
        Criticality::High,
        Some([2, 2, 2, 2, 2, 2, 2]),
    ),
    (
        "SW-EO-01",
        "制御ネットワークスイッチ A / Control network switch A",
        AssetType::NetworkSwitch,
        "Hirschmann",
        "GREYHOUND",
        "GRS1040",
        "HiOS 09.1",
        "2",
        "dcs",
        Some("dcs"),
        "10.30.0.2",
        &["SNMP 161"],
        Criticality::Critical,
        Some([2, 2, 2, 2, 2, 1, 2]),
    ),
    (
        "SW-EO-02",
        "制御ネットワークスイッチ B / Control network switch B",
        AssetType::NetworkSwitch,
        "Hirschmann",
        "GREYHOUND",
        "GRS1040",
        "HiOS 09.1",
        "2",
        "dcs",
        Some("dcs"),
        "10.30.0.3",
        &["SNMP 161"],
        Criticality::Critical,
        Some([2, 2, 2, 2, 2, 1, 2]),
    ),
    (
        "RIO-EO-01",
        "EO リモート I/O / EO remote I/O",
        AssetType::RemoteIo,
        "Yokogawa",
        "N-IO",
        "A2BN3D",
        "R6.10",
        "1",
        "dcs",
        Some("dcs"),
        "",
        &[],
        Criticality::High,
        None,
    ),
    (
        "TT-EO-101",
        "反応器温度伝送器 / Reactor temperature transmitter",
        AssetType::SensorActuator,
        "Yokogawa",
        "YTA",
        "YTA710",
        "HART 7",
        "0",
        "dcs",
        Some("dcs"),
        "",
        &["HART"],
        Criticality::High,
        None,
    ),
    (
        "SCS-01",
        "安全制御ステーション 1 / Safety control station 1",
        AssetType::SafetySystem,
        "Yokogawa",
        "ProSafe-RS",
        "SSC60D",
        "R4.08",
        "1",
        "sis",
        Some("sis"),
        "10.40.1.1",
        &["Vnet/IP", "Modbus/TCP 502"],
        Criticality::Critical,
        Some([3, 3, 3, 3, 3, 2, 3]),
    ),
    (
        "SCS-02",
        "安全制御ステーション 2 / Safety control station 2",
        AssetType::SafetySystem,
        "Yokogawa",
        "ProSafe-RS",
        "SSC60D",
        "R4.08",
        "1",
        "sis",
        Some("sis"),
        "10.40.1.2",
        &["Vnet/IP"],
        Criticality::Critical,
        Some([3, 3, 3, 3, 3, 2, 3]),
    ),
    (
        "SENG-01",
        "SIS エンジニアリング端末 / SIS engineering workstation",
        AssetType::EngineeringWorkstation,
        "Yokogawa",
        "ProSafe-RS",
        "SENG (Windows 10 IoT LTSC)",
        "R4.08",
        "2",
        "sis",
        Some("sis"),
        "10.40.1.20",
        &["Vnet/IP"],
        Criticality::Critical,
        Some([2, 2, 2, 2, 2, 1, 2]),
    ),
    (
        "GD-01",
        "可燃性ガス検知器 / Flammable gas detector",
        AssetType::SensorActuator,
        "Riken Keiki",
        "GD-A80",
        "GD-A80",
        "",
        "0",
        "sis",
        Some("sis"),
        "",
        &["4-20 mA"],
        Criticality::Critical,
        None,
    ),
    (
        "PLC-UT-01",
        "ボイラー制御 PLC / Boiler PLC",
        AssetType::Plc,
        "Siemens",
        "SIMATIC S7-1500",
        "CPU 1516-3 PN/DP",
        "V2.9.7",
        "1",
        "utility",
        Some("utility"),
        "10.50.1.10",
        &["S7comm 102", "PROFINET"],
        Criticality::High,
        Some([2, 2, 2, 1, 2, 1, 2]),
    ),
    (
        "PLC-UT-02",
        "冷却水制御 PLC / Cooling water PLC",
        AssetType::Plc,
        "Siemens",
        "SIMATIC S7-1200",
        "CPU 1215C DC/DC/DC",
        "V4.5.2",
        "1",
        "utility",
        Some("utility"),
        "10.50.1.11",
        &["S7comm 102", "Modbus/TCP 502"],
        Criticality::High,
        Some([1, 1, 1, 1, 1, 1, 1]),
    ),
    (
        "IED-UT-01",
        "受電保護リレー / Incoming feeder protection relay",
        AssetType::Ied,
        "Mitsubishi Electric",
        "MELPRO-D",
        "CFP1-A01D1",
        "",
        "1",
        "utility",
        Some("utility"),
        "10.50.1.30",
        &["IEC 61850 MMS 102"],
        Criticality::Critical,
        None,
    ),
    (
        "HMI-UT-01",
        "ユーティリティ HMI / Utility HMI",
        AssetType::Hmi,
        "Siemens",
        "SIMATIC WinCC",
        "WinCC V8.0 (IPC647E)",
        "V8.0 Upd 4",
        "2",
        "utility",
        Some("utility"),
        "10.50.1.20",
        &["S7comm 102"],
        Criticality::High,
        None,
    ),
    (
        "SW-UT-01",
        "ユーティリティスイッチ / Utility switch",
        AssetType::NetworkSwitch,
        "Siemens",
        "SCALANCE X",
        "XC208",
        "V4.5",
        "2",
        "utility",
        Some("utility"),
        "10.50.1.2",
        &["SNMP 161"],
        Criticality::Medium,
        None,
    ),
    (
        "PLC-SH-01",
        "出荷バッチ PLC / Loading batch PLC",
        AssetType::Plc,
        "Mitsubishi Electric",
        "MELSEC iQ-R",
        "R04CPU",
        "1.29",
        "1",
        "shipping",
        Some("shipping"),
        "10.60.1.10",
        &["SLMP 5007"],
        Criticality::Medium,
        Some([1, 1, 1, 1, 1, 1, 1]),
    ),
    (
        "HMI-SH-01",
        "計量端末 / Weighing terminal",
        AssetType::Hmi,
        "Pro-face",
        "GP4000",
        "GP-4501T",
        "",
        "2",
        "shipping",
        Some("shipping"),
        "10.60.1.20",
        &["SLMP 5007"],
        Criticality::Medium,
        None,
    ),
    (
        "RTU-SH-01",
        "タンクヤード RTU / Tank-yard RTU",
        AssetType::Rtu,
        "Yokogawa",
        "STARDOM",
        "FCN-RTU NFCP050",
        "R4.50",
        "1",
        "shipping",
        Some("shipping"),
        "10.60.1.30",
        &["Modbus/TCP 502", "DNP3 20000"],
        Criticality::Medium,
        None,
    ),
];

/// Adds the plant: one site, five systems, seven zones with conduits, and the devices.
pub async fn add(store: &Store, actor: &Actor, org_id: Uuid, owner: Uuid) -> anyhow::Result<Plant> {
    let site = store
        .create_site(
            actor,
            org_id,
            NewSite {
                name: "川崎工場 / Kawasaki Works".into(),
                location: "神奈川県川崎市川崎区（架空） / Kawasaki, Kanagawa (fictional)".into(),
                description: "エチレン誘導品の連続プロセスプラント。\nA continuous-process ethylene derivatives plant.".into(),
            },
        )
        .await?;
    let mut systems = HashMap::new();
    for (key, name, description, criticality) in SYSTEMS {
        let s = store
            .create_system(
                actor,
                org_id,
                NewSystem {
                    site_id: Some(site.id),
                    name: (*name).into(),
                    description: (*description).into(),
                    owner_id: Some(owner),
                    criticality: *criticality,
                },
            )
            .await?;
        systems.insert(*key, s.id);
    }
    let mut zones = HashMap::new();
    for (key, name, system, description, sl_t) in ZONES {
        let z = store
            .create_zone(
                actor,
                org_id,
                NewZone {
                    name: (*name).into(),
                    description: (*description).into(),
                    system_id: system.map(|s| systems[s]),
                    sl_t: SlVector::new(*sl_t)?,
                    sl_t_proposed: None,
                    sl_t_justification: String::new(),
                },
            )
            .await?;
        zones.insert(*key, z.id);
    }
    for (name, from, to, channels, description) in CONDUITS {
        store
            .create_conduit(
                actor,
                org_id,
                NewConduit {
                    name: (*name).into(),
                    from_zone_id: zones[from],
                    to_zone_id: zones[to],
                    channels: channels
                        .iter()
                        .map(|(protocol, port, one_way)| Channel {
                            protocol: (*protocol).into(),
                            port: *port,
                            direction: if *one_way {
                                Direction::OneWay
                            } else {
                                Direction::TwoWay
                            },
                            description: String::new(),
                        })
                        .collect(),
                    description: (*description).into(),
                },
            )
            .await?;
    }
    let new_assets: Vec<NewAsset> = ASSETS
        .iter()
        .enumerate()
        .map(
            |(
                i,
                (
                    tag,
                    name,
                    asset_type,
                    vendor,
                    family,
                    model,
                    firmware,
                    purdue,
                    zone,
                    system,
                    ip,
                    protocols,
                    criticality,
                    sl_c,
                ),
            )| {
                let interfaces = if ip.is_empty() {
                    Vec::new()
                } else {
                    vec![Interface {
                        name: "eth0".into(),
                        mac: Some(format!("00:1b:1b:4c:{:02x}:{:02x}", i / 256, i % 256)),
                        ip: Some(format!("{ip}/24")),
                        vlan: None,
                        protocols: Vec::new(),
                    }]
                };
                Ok::<_, anyhow::Error>(NewAsset {
                    asset_tag: (*tag).into(),
                    name: (*name).into(),
                    asset_type: *asset_type,
                    vendor: (*vendor).into(),
                    product_family: (*family).into(),
                    model: (*model).into(),
                    order_number: String::new(),
                    firmware_version: (*firmware).into(),
                    serial_number: format!("DEMO-{:05}", 31_000 + i),
                    purdue_level: Some((*purdue).into()),
                    location: match *zone {
                        "dcs" | "sis" => "計器室 CCR-1 / Central control room CCR-1".into(),
                        "utility" => "ユーティリティ電気室 / Utility electrical room".into(),
                        "shipping" => "出荷棟 / Loading station".into(),
                        _ => "サーバ室 SR-2 / Server room SR-2".into(),
                    },
                    interfaces,
                    protocols: protocols.iter().map(|p| (*p).into()).collect(),
                    criticality: *criticality,
                    owner_id: Some(owner),
                    system_id: system.map(|s| systems[s]),
                    zone_id: Some(zones[zone]),
                    lifecycle: if *tag == "PLC-UT-02" {
                        Lifecycle::Maintenance
                    } else {
                        Lifecycle::InOperation
                    },
                    sl_c: sl_c.map(SlVector::new).transpose()?,
                    custom: [(
                        "保守契約 / Maintenance contract".to_owned(),
                        "2027-03".to_owned(),
                    )]
                    .into_iter()
                    .filter(|_| *vendor == "Yokogawa")
                    .collect(),
                })
            },
        )
        .collect::<Result<_, _>>()?;
    store.import_assets(actor, org_id, new_assets).await?;
    let mut assets = HashMap::new();
    for (tag, ..) in ASSETS {
        assets.insert((*tag).to_owned(), store.asset_by_tag(org_id, tag).await?.id);
    }
    Ok(Plant {
        systems,
        zones,
        assets,
    })
}

/// SRs/REs of the EO control zone's 62443-3-3 assessment that are not (fully) met, with the
/// finding; every other requirement applying at SL 1 or 2 is met, those from SL 3 on are not
/// assessed yet.
const ZONE_FINDINGS: &[(&str, Outcome, &str)] = &[
    (
        "SR 1.1 RE 1",
        Outcome::Nonconformant,
        "操作端末は共有アカウント（OPERATOR）で運用。個人認証は 2027 年度の CENTUM VP R7 更新時に導入予定。",
    ),
    (
        "SR 1.3",
        Outcome::Partial,
        "アカウント管理手順はあるが、退職者アカウントの棚卸しが年 1 回のみ。",
    ),
    (
        "SR 2.4",
        Outcome::Partial,
        "USB メモリの使用はルールで禁止しているが、技術的な制限はエンジニアリング端末のみ。",
    ),
    (
        "SR 3.2",
        Outcome::Nonconformant,
        "操作端末のウイルス対策パターンの更新が 2025-12 で止まっている（パッチ配信サーバの経路未整備）。",
    ),
    (
        "SR 5.1 RE 1",
        Outcome::Partial,
        "制御ネットワークと SIS の間は物理的に分離されているが、操業ネットワークとの境界の FW-03 に any ルールが 2 件残る。",
    ),
    (
        "SR 6.2",
        Outcome::Nonconformant,
        "FW-03 と操作端末のログは各機器に残るのみで、継続的な監視は行っていない。",
    ),
];

/// Starts the 62443-3-3 assessment of the EO control zone, with its findings, so that the zone
/// shows SL-A and the gap to its SL-T.
pub async fn zone_assessment(
    store: &Store,
    actor: &Actor,
    org_id: Uuid,
    plant: &Plant,
    assessor: Uuid,
) -> anyhow::Result<()> {
    let catalogs = csms_catalog::shipped()
        .map_err(|e| anyhow::anyhow!("a shipped catalog is broken: {}", e[0]))?;
    let catalog = catalogs
        .iter()
        .find(|c| c.framework.id == "iec62443-3-3-2013")
        .ok_or_else(|| anyhow::anyhow!("the 62443-3-3 catalog is missing"))?;
    let nodes: Vec<_> = catalog.assessable().collect();
    let refs: Vec<String> = nodes.iter().map(|n| n.reference.clone()).collect();
    let assessment = store
        .create_zone_assessment(
            actor,
            org_id,
            NewAssessment {
                framework_id: "iec62443-3-3-2013".into(),
                title: "Z03 EO 制御 システムセキュリティ評価 2026 / EO unit control zone SL assessment 2026"
                    .into(),
                scope: "ゾーン Z03 EO 制御（操作端末、エンジニアリング端末、制御ステーション、制御ネットワーク）".into(),
                period_start: Some("2026-09-01".into()),
                period_end: Some("2026-12-31".into()),
                assessors: "鈴木 大輔（計装エンジニア）\nYokogawa サービス部門（立会い）".into(),
            },
            Some(plant.zones["dcs"]),
            &refs,
        )
        .await?;
    let changes = nodes
        .iter()
        .filter_map(|n| {
            let finding = ZONE_FINDINGS.iter().find(|(r, ..)| *r == n.reference);
            let min_level = n.security_levels.iter().min().copied().unwrap_or(4);
            let (outcome, notes) = match finding {
                Some((_, o, notes)) => (*o, (*notes).to_owned()),
                None if min_level <= 2 => (
                    Outcome::Conformant,
                    "現地確認済み（2026-10 立会い）。".to_owned(),
                ),
                None => return None,
            };
            Some(ResultChange {
                node_ref: n.reference.clone(),
                version: 1,
                outcome,
                input: ResultInput {
                    outcome: Some(outcome),
                    notes,
                    owner_id: Some(assessor),
                    due_date: (outcome != Outcome::Conformant).then(|| "2027-03-31".to_owned()),
                    ..Default::default()
                },
            })
        })
        .collect();
    store
        .set_results(actor, org_id, assessment.id, changes)
        .await?;
    Ok(())
}

/// (title, kind, system, zones, assets, source, vector, vulnerability, scenario, existing,
/// inherent (likelihood, [(category, consequence)]), treatment, planned, residual, due, review,
/// triggers).
struct DemoRisk {
    title: &'static str,
    system: Option<&'static str>,
    zones: &'static [&'static str],
    assets: &'static [&'static str],
    source: &'static str,
    vector: &'static str,
    vulnerability: &'static str,
    scenario: &'static str,
    existing: &'static str,
    inherent: (u8, &'static [(&'static str, u8)]),
    treatment: Treatment,
    planned: &'static str,
    residual: Option<(u8, &'static [(&'static str, u8)])>,
    due: Option<&'static str>,
    review: &'static str,
    triggers: &'static [Trigger],
}

const RISKS: &[DemoRisk] = &[
    DemoRisk {
        title: "プラント全体の制御停止（高レベル評価） / Loss of control of the EO unit (high-level)",
        system: Some("dcs"),
        zones: &[],
        assets: &[],
        source: "犯罪組織（ランサムウェア） / Criminal group (ransomware)",
        vector: "業務系からの侵入、リモート保守経路 / Intrusion from the enterprise network, remote maintenance",
        vulnerability: "業務系と制御系の境界が 1 段のファイアウォールのみだった時期の設定が残る。",
        scenario: "業務系で感染したランサムウェアが制御系に拡がり、操作端末が使えなくなって EO 系列を緊急停止する。",
        existing: "境界 FW、DMZ、ウイルス対策。",
        inherent: (
            3,
            &[("health_safety", 4), ("production", 5), ("financial", 4)],
        ),
        treatment: Treatment::Reduce,
        planned: "DMZ の二段 FW 化（完了）、操作端末のホワイトリスト化、オフラインバックアップと復旧訓練。",
        residual: Some((
            2,
            &[("health_safety", 3), ("production", 4), ("financial", 3)],
        )),
        due: Some("2027-03-31"),
        review: "2027-04-30",
        triggers: &[
            Trigger::SystemChange,
            Trigger::ThreatChange,
            Trigger::Incident,
        ],
    },
    DemoRisk {
        title: "エンジニアリング端末のランサムウェア感染でバッチ制御停止 / Ransomware on the EO engineering workstation",
        system: None,
        zones: &["dcs"],
        assets: &["ENG-EO-01"],
        source: "犯罪組織 / Criminal group",
        vector: "保守用 USB メモリ / Maintenance USB stick",
        vulnerability: "USB ポートの技術的制限がない。パターンファイルの更新停止（SR 3.2 不適合）。",
        scenario: "ベンダー保守時に持ち込まれた USB メモリからランサムウェアが感染し、エンジニアリング端末と操作端末が暗号化される。",
        existing: "USB 使用禁止ルール、入構時の持込申請。",
        inherent: (4, &[("production", 5), ("health_safety", 3)]),
        treatment: Treatment::Reduce,
        planned: "USB ポートのデバイス制御、持込媒体の検疫端末、パターン配信経路の整備（WSUS-01 経由）。",
        residual: Some((2, &[("production", 4), ("health_safety", 2)])),
        due: Some("2027-01-31"),
        review: "2027-02-28",
        triggers: &[Trigger::NewVulnerability, Trigger::SystemChange],
    },
    DemoRisk {
        title: "SIS の設定改ざんによる安全機能の喪失 / Tampering with the SIS safety logic",
        system: None,
        zones: &["sis"],
        assets: &["SENG-01", "SCS-01", "SCS-02"],
        source: "高度な攻撃者 / Sophisticated attacker",
        vector: "SIS エンジニアリング端末 / SIS engineering workstation",
        vulnerability: "SENG-01 が DCS 制御ネットワークから到達可能（ルーティング設定の誤り、2026-08 に発見）。",
        scenario: "SENG-01 経由で安全ロジックが書き換えられ、反応器の異常時に緊急遮断が作動しない。",
        existing: "SCS のキースイッチ（通常は RUN 位置）、ロジック変更時の二人確認。",
        inherent: (2, &[("health_safety", 5), ("environment", 5)]),
        treatment: Treatment::Reduce,
        planned: "SENG-01 の物理的分離（制御ネットワークから切り離し）、キースイッチ位置の DCS 監視、ロジックのハッシュ照合を月次点検に追加。",
        residual: Some((1, &[("health_safety", 5), ("environment", 4)])),
        due: Some("2026-12-31"),
        review: "2027-01-31",
        triggers: &[Trigger::SystemChange, Trigger::AuditFinding],
    },
    DemoRisk {
        title: "リモート保守経路の悪用 / Abuse of the remote-maintenance path",
        system: None,
        zones: &["dmz", "dcs"],
        assets: &["JH-01"],
        source: "ベンダーの保守アカウントを窃取した第三者 / Third party with stolen vendor credentials",
        vector: "インターネット経由の VPN とジャンプサーバ / Internet VPN and jump host",
        vulnerability: "ジャンプサーバの認証がパスワードのみ。",
        scenario: "窃取した保守アカウントでジャンプサーバに入り、RDP で操作端末を操作する。",
        existing: "作業時のみ VPN を有効化（チケット承認）。",
        inherent: (3, &[("production", 4), ("health_safety", 4)]),
        treatment: Treatment::Reduce,
        planned: "ジャンプサーバに多要素認証、セッション録画、接続先の許可リスト化。",
        residual: Some((1, &[("production", 4), ("health_safety", 3)])),
        due: Some("2026-10-31"),
        review: "2026-11-15",
        triggers: &[Trigger::ThreatChange, Trigger::OrganizationChange],
    },
    DemoRisk {
        title: "冷却水 PLC の旧ファームウェアの脆弱性 / Known vulnerability in the cooling-water PLC firmware",
        system: None,
        zones: &["utility"],
        assets: &["PLC-UT-02"],
        source: "内部関係者・委託先 / Insider or contractor",
        vector: "操業ネットワークからの S7comm / S7comm from the operations network",
        vulnerability: "CPU 1215C V4.5.2 に公開済みの脆弱性（CISA ICS アドバイザリ）。認証なしで停止指令を受け付ける。",
        scenario: "冷却水ポンプが停止し、ボイラーと反応器の冷却が失われる前に手動運転へ切り替える必要が生じる。",
        existing: "FW-04 で S7comm の送信元を HMI と ENG に制限。",
        inherent: (3, &[("production", 4), ("equipment", 3)]),
        treatment: Treatment::Accept,
        planned: "",
        residual: None,
        due: None,
        review: "2027-06-30",
        triggers: &[Trigger::NewVulnerability],
    },
    DemoRisk {
        title: "出荷実績の改ざん / Tampering with shipping records",
        system: None,
        zones: &["shipping"],
        assets: &["PLC-SH-01", "HMI-SH-01"],
        source: "内部関係者 / Insider",
        vector: "計量端末 / Weighing terminal",
        vulnerability: "計量端末の管理者パスワードが初期値のまま。",
        scenario: "出荷量の記録が書き換えられ、取引先への請求と在庫が合わなくなる。",
        existing: "月次の棚卸し照合。",
        inherent: (2, &[("financial", 3), ("reputation", 2)]),
        treatment: Treatment::Transfer,
        planned: "計量記録の真正性は出荷委託契約で委託先の責任範囲とし、保険で補償（2026 年度契約改定）。",
        residual: Some((2, &[("financial", 2), ("reputation", 2)])),
        due: Some("2027-03-31"),
        review: "2027-09-30",
        triggers: &[Trigger::RegulationChange],
    },
    DemoRisk {
        title: "ヒストリアン停止による運転記録の欠落 / Loss of operating records when the historian stops",
        system: None,
        zones: &["operations"],
        assets: &["HIS-01"],
        source: "マルウェア（業務系経由） / Malware from the enterprise",
        vector: "DMZ のミラーからの逆方向通信 / Reverse traffic from the DMZ mirror",
        vulnerability: "PI の複製が双方向で構成されていた（2026-06 に一方向へ変更済み）。",
        scenario: "ヒストリアンが停止し、法定の運転記録と品質記録が欠ける。",
        existing: "複製の一方向化、日次バックアップ。",
        inherent: (2, &[("regulatory", 3), ("production", 2)]),
        treatment: Treatment::Reduce,
        planned: "データダイオードの導入検討、バックアップからの復旧訓練を年 1 回。",
        residual: Some((1, &[("regulatory", 3), ("production", 2)])),
        due: Some("2027-06-30"),
        review: "2027-07-31",
        triggers: &[Trigger::SystemChange],
    },
];

/// Adds the risk register: a high-level risk of the DCS and detailed risks of the zones, two of
/// them accepted, one past its review date; then proposes the DMZ's SL-T from its risks.
pub async fn risks(
    store: &Store,
    manager: &Actor,
    contributor: &Actor,
    org_id: Uuid,
    plant: &Plant,
    owner: Uuid,
) -> anyhow::Result<()> {
    let method = store.risk_method(org_id).await?.method;
    let date = |s: &str| -> anyhow::Result<time::Date> {
        Ok(time::Date::parse(
            s,
            time::macros::format_description!("[year]-[month]-[day]"),
        )?)
    };
    let rating = |(l, cs): (u8, &[(&str, u8)])| RatingInput {
        likelihood: l,
        consequences: cs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
    };
    let mut stored = Vec::new();
    for r in RISKS {
        let new = NewRisk {
            title: r.title.into(),
            kind: if r.system.is_some() {
                RiskKind::HighLevel
            } else {
                RiskKind::Detailed
            },
            system_id: r.system.map(|s| plant.systems[s]),
            zone_ids: r.zones.iter().map(|z| plant.zones[z]).collect(),
            asset_ids: r.assets.iter().map(|a| plant.assets[*a]).collect(),
            threat_source: r.source.into(),
            threat_vector: r.vector.into(),
            vulnerability: r.vulnerability.into(),
            scenario: r.scenario.into(),
            existing_controls: r.existing.into(),
            inherent: rating(r.inherent),
            treatment: r.treatment,
            planned_controls: r.planned.into(),
            residual: r.residual.map(rating),
            owner_id: Some(owner),
            due_date: r.due.map(date).transpose()?,
            review_date: Some(date(r.review)?),
            triggers: r.triggers.to_vec(),
            trigger_notes: String::new(),
        };
        let scored = validate_risk(&method, new)
            .map_err(|e| anyhow::anyhow!("demo risk '{}': {}: {}", r.title, e.field, e.message))?;
        stored.push(store.create_risk(contributor, org_id, scored).await?);
    }
    // The accepted PLC vulnerability (above the tolerable level: the CSMS manager accepts it) and
    // the transferred shipping risk (within it: the engineer accepts it).
    let at = csms_domain::time::now();
    let manager_user = store.user_by_username("yamada").await?;
    let engineer = store.user_by_username("suzuki").await?;
    for (risk, (user, role, reason)) in [
        (
            &stored[4],
            (
                &manager_user,
                Role::CsmsManager,
                "PLC の更新は 2027 年度の定修（2027-10）で実施。それまでは FW-04 の送信元制限と冷却水ポンプの手動切替手順で補う。マネジメントレビュー（2026-10）で承認。",
            ),
        ),
        (
            &stored[5],
            (
                &engineer,
                Role::Contributor,
                "残留リスクは許容水準内。委託契約と保険で補償される。",
            ),
        ),
    ] {
        let acceptance = accept(&method, risk, user.id, &user.display_name, role, reason, at)
            .map_err(|e| anyhow::anyhow!("demo acceptance: {}", e.message))?;
        let actor = Actor::user(user.id, &user.username);
        store
            .accept_risk(&actor, org_id, risk.id, risk.version, acceptance)
            .await?;
    }

    // The DMZ's SL-T against the proposal from its worst unmitigated risk.
    let dmz = store.zone(org_id, plant.zones["dmz"]).await?;
    let zone_risks = store.zone_risks(org_id, dmz.id).await?;
    let proposal = propose_target(
        worst_unmitigated_rank(&method, &zone_risks),
        method.levels.len() as u8,
    );
    store
        .update_zone(
            manager,
            org_id,
            dmz.id,
            dmz.version,
            NewZone {
                name: dmz.name.clone(),
                description: dmz.description.clone(),
                system_id: dmz.system_id,
                sl_t: dmz.sl_t,
                sl_t_proposed: Some(proposal),
                sl_t_justification: "FR3（システム完全性）と FR6（イベントへの適時対応）は、DMZ に制御機能がなくデータの複製と中継のみのため SL 2 とする。FR1・FR2・FR4・FR5 はリモート保守経路があるため提案どおり。FR7 はミラーの停止が操業に影響しないため SL 2。".into(),
            },
        )
        .await?;
    Ok(())
}
