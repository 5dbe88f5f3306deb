//! The inventory area over HTTP: sites, systems, assets, zones, conduits and the diagram,
//! through the pages and the API; SL-A from a zone's 62443-3-3 assessment.

mod common;

use axum::http::{Method, StatusCode, header};
use common::*;
use csms_domain::assessment::{Outcome, ResultInput};
use csms_domain::auth::Role;
use csms_domain::inventory::{AssetType, NewAsset, NewZone};
use csms_domain::zone::SlVector;
use csms_store::assessment::ResultChange;
use serde_json::json;

fn location(h: &axum::http::HeaderMap) -> String {
    h.get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// `text` appears escaped (as askama or the SVG renderer writes it), never raw.
fn escaped(body: &str, text: &str) -> bool {
    let forms = [
        text.replace('<', "&lt;").replace('>', "&gt;"),
        text.replace('<', "&#60;").replace('>', "&#62;"),
    ];
    !body.contains(text) && forms.iter().any(|f| body.contains(f.as_str()))
}

/// The id in a redirect like `/o/alpha/zones/{id}?notice=saved`.
fn id_in(loc: &str) -> String {
    loc.split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

async fn asset(app: &App, org: csms_domain::Uuid, tag: &str, zone: Option<csms_domain::Uuid>) {
    app.db
        .store
        .create_asset(
            &cli(),
            org,
            NewAsset {
                asset_tag: tag.into(),
                name: format!("{tag} name"),
                asset_type: AssetType::Plc,
                purdue_level: Some("1".into()),
                zone_id: zone,
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sites_systems_zones_assets_and_conduits_through_the_pages() {
    let app = app().await;
    let admin = app.who("admin", &app.alpha, Some(Role::Admin)).await;
    // Site and system.
    let (s, h, _) = app
        .post_form(
            "/o/alpha/sites",
            Some(&admin),
            "name=%E5%B7%9D%E5%B4%8E%E5%B7%A5%E5%A0%B4&location=Kawasaki&description=",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{h:?}");
    let site = app.db.store.sites(app.alpha.id).await.unwrap().remove(0);
    assert_eq!(site.name, "川崎工場");
    let (s, _, _) = app
        .post_form(
            "/o/alpha/systems",
            Some(&admin),
            &format!(
                "name=EO+DCS&site_id={}&owner_id=&criticality=high&description=",
                site.id
            ),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let system = app.db.store.systems(app.alpha.id).await.unwrap().remove(0);
    // A bad name is refused with the field named, and the input kept.
    let (s, _, body) = app
        .post_form(
            "/o/alpha/sites",
            Some(&admin),
            "name=&location=kept-location",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("kept-location"), "input kept");
    let (s, _, body) = app.get("/o/alpha/sites", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("川崎工場") && body.contains("EO DCS"));
    // Zones: create two, one named with markup.
    let mut zone_form = format!("name=Control+%3Cb%3E&system_id={}&description=", system.id);
    for fr in 1..=7 {
        zone_form.push_str(&format!("&sl_t_{fr}=2"));
    }
    let (s, h, _) = app
        .post_form("/o/alpha/zones", Some(&admin), &zone_form, true)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let control: csms_domain::Uuid = id_in(&location(&h)).parse().unwrap();
    let (s, h, _) = app
        .post_form("/o/alpha/zones", Some(&admin), "name=DMZ&sl_t_1=1", true)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let dmz: csms_domain::Uuid = id_in(&location(&h)).parse().unwrap();
    assert_eq!(
        app.db.store.zone(app.alpha.id, control).await.unwrap().sl_t,
        SlVector::uniform(2)
    );
    // An asset with every attribute through the form.
    let form = format!(
        "asset_tag=PLC-101&name=Boiler+PLC&asset_type=plc&vendor=Yokogawa&product_family=STARDOM&model=FCN-500&order_number=NFCP501&firmware_version=R4.20&serial_number=S123\
         &purdue_level=1&location=Building+2&protocols=Modbus%2FTCP%2C+OPC+UA&criticality=critical&owner_id=&zone_id={control}&system_id={}\
         &lifecycle=in_operation&sl_c=1%2C1%2C1%2C1%2C1%2C1%2C1&custom=rack+%3D+R2%0Acabinet+%3D+C7\
         &if_name=eth0&if_mac=00-1A-2B-3C-4D-5E&if_ip=192.168.10.5&if_vlan=10&if_protocols=Modbus%2FTCP\
         &if_name=&if_mac=&if_ip=&if_vlan=&if_protocols=",
        system.id
    );
    let (s, h, body) = app
        .post_form("/o/alpha/assets", Some(&admin), &form, true)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let asset_path = location(&h);
    let (s, _, body) = app.get(&asset_path, Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    for text in [
        "PLC-101",
        "Yokogawa",
        "STARDOM",
        "FCN-500",
        "NFCP501",
        "R4.20",
        "S123",
        "Building 2",
        "192.168.10.5",
        "Modbus/TCP",
        "OPC UA",
        "rack",
        "C7",
        "EO DCS",
        "SL-C(1,1,1,1,1,1,1)",
    ] {
        assert!(body.contains(text), "asset page shows {text}");
    }
    // SL-C 1 below the zone's SL-T 2 in every FR: flagged.
    assert!(body.contains("id=\"sl-c-below\""));
    // Errors name the field: a bad IP, a bad SL-C, a bad custom line; input kept.
    let bad = form
        .replace("PLC-101", "PLC-102")
        .replace("192.168.10.5", "999.1.1.1");
    let (s, _, body) = app
        .post_form("/o/alpha/assets", Some(&admin), &bad, true)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("Network interfaces") && body.contains("999.1.1.1"),
        "{body}"
    );
    let bad = form
        .replace("PLC-101", "PLC-102")
        .replace("sl_c=1%2C1", "sl_c=9%2C1");
    let (s, _, body) = app
        .post_form("/o/alpha/assets", Some(&admin), &bad, true)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Capability security level"), "{body}");
    let bad = form
        .replace("PLC-101", "PLC-102")
        .replace("rack+%3D+R2", "rack+R2");
    let (s, _, body) = app
        .post_form("/o/alpha/assets", Some(&admin), &bad, true)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("Custom fields") && body.contains("lacks"),
        "{body}"
    );
    // Stale version on edit: 409, the user's input stays on the page.
    let id = id_in(&asset_path);
    let edit = format!("version=1&{}", form.replace("Boiler+PLC", "Renamed+by+me"));
    let (s, _, _) = app
        .post_form(
            &format!("/o/alpha/assets/{id}/edit"),
            Some(&admin),
            &edit,
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, body) = app
        .post_form(
            &format!("/o/alpha/assets/{id}/edit"),
            Some(&admin),
            &edit.replace("Renamed+by+me", "Second+edit"),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body.contains("Second edit") && body.contains("id=\"conflict\""));
    // A conduit with two one-way channels from DMZ to control.
    let (s, _, body) = app
        .post_form(
            "/o/alpha/conduits",
            Some(&admin),
            &format!(
                "name=DMZ+to+control&description=&from_zone_id={dmz}&to_zone_id={control}\
                 &ch_protocol=OPC+UA&ch_port=4840&ch_direction=one_way&ch_description=\
                 &ch_protocol=Modbus%2FTCP&ch_port=502&ch_direction=one_way&ch_description=\
                 &ch_protocol=&ch_port=&ch_direction=two_way&ch_description="
            ),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let conduit = app.db.store.conduits(app.alpha.id).await.unwrap().remove(0);
    assert_eq!(conduit.channels.len(), 2);
    let (s, _, body) = app
        .post_form(
            "/o/alpha/conduits",
            Some(&admin),
            &format!(
                "name=Bad&from_zone_id={dmz}&to_zone_id={control}&ch_protocol=X&ch_port=70000"
            ),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("70000"), "the bad port is named");
    // The zone list: SL-T, no SL-A yet, counts.
    let (s, _, body) = app.get("/o/alpha/zones", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(escaped(&body, "Control <b>"), "the name is escaped");
    assert!(body.contains("2,2,2,2,2,2,2"));
    // The zone page: its assets, the neighbours diagram, how to get an SL-A.
    let (s, _, body) = app
        .get(&format!("/o/alpha/zones/{control}"), Some(&admin))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("PLC-101") && body.contains("<svg") && body.contains("DMZ"));
    assert!(body.contains("/o/alpha/assessments") && body.contains("No IEC 62443-3-3 assessment"));
    assert!(body.contains(&format!("/o/alpha/zones/{control}/crs")));
    assert!(body.contains(&format!("/o/alpha/risks?zone_id={control}")));
    assert!(body.contains(&format!("/o/alpha/zones/{control}/propose")));
    // The conduit list and page.
    let (s, _, body) = app.get("/o/alpha/conduits", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("OPC UA 4840, Modbus/TCP 502"));
    let (s, _, body) = app
        .get(&format!("/o/alpha/conduits/{}", conduit.id), Some(&admin))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("4840"));
    // The diagram page and its download.
    let (s, _, body) = app.get("/o/alpha/zones/diagram", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("<svg") && body.contains("/o/alpha/zones/diagram.svg"));
    let (s, h, body) = app.get("/o/alpha/zones/diagram.svg", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    let cd = h[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        cd.starts_with("attachment") && cd.contains("zones-alpha.svg"),
        "{cd}"
    );
    assert!(body.starts_with("<svg") || body.starts_with("<?xml"));
    assert!(escaped(&body, "Control <b>"), "the name is escaped");
    assert!(
        body.contains(&format!("/o/alpha/zones/{control}")),
        "zone boxes link"
    );
    // Deleting a zone that holds assets is refused, with the reason.
    let (s, _, body) = app
        .post_form(
            &format!("/o/alpha/zones/{control}/delete"),
            Some(&admin),
            "version=1",
            true,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body.contains("move its assets"), "{body}");
    // Delete the asset with confirmation; without it nothing happens.
    let v = app
        .db
        .store
        .asset(app.alpha.id, id.parse().unwrap())
        .await
        .unwrap()
        .version;
    let (s, _, _) = app
        .post_form(
            &format!("/o/alpha/assets/{id}/delete"),
            Some(&admin),
            &format!("version={v}"),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _, _) = app
        .post_form(
            &format!("/o/alpha/assets/{id}/delete"),
            Some(&admin),
            &format!("version={v}&confirm=yes"),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(app.db.store.org_asset_count(app.alpha.id).await.unwrap(), 0);
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_asset_list_filters_and_pages() {
    let app = app().await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;
    let z = app
        .db
        .store
        .create_zone(
            &cli(),
            app.alpha.id,
            NewZone {
                name: "Z".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for i in 0..60 {
        asset(
            &app,
            app.alpha.id,
            &format!("A-{i:03}"),
            (i % 2 == 0).then_some(z.id),
        )
        .await;
    }
    let (s, _, body) = app.get("/o/alpha/assets", Some(&viewer)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("A-000") && body.contains("A-049") && !body.contains("A-050"));
    assert!(body.contains("60 assets in the organization"));
    let next = body
        .split("id=\"next-page\"")
        .next()
        .unwrap()
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let (s, _, body) = app.get(&next, Some(&viewer)).await;
    assert_eq!(s, StatusCode::OK, "{next}");
    assert!(body.contains("A-050") && body.contains("A-059") && !body.contains("A-049"));
    assert!(!body.contains("id=\"next-page\""));
    // Filters: zone and free text; the next-page link carries them.
    let (_, _, body) = app
        .get(
            &format!("/o/alpha/assets?zone={}&q=A-01", z.id),
            Some(&viewer),
        )
        .await;
    assert!(body.contains("A-010") && body.contains("A-018") && !body.contains("A-011"));
    let (_, _, body) = app.get("/o/alpha/assets?type=hmi", Some(&viewer)).await;
    assert!(body.contains("No asset matches"));
    // A bad filter value is named, not a server error.
    let (s, _, body) = app.get("/o/alpha/assets?type=toaster", Some(&viewer)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("toaster"));
    // The API pages the same way.
    let (s, _, page) = app
        .api(Method::GET, "/api/v1/assets?limit=25", &viewer, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 25);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, _, page2) = app
        .api(
            Method::GET,
            &format!("/api/v1/assets?limit=25&cursor={cursor}"),
            &viewer,
            None,
        )
        .await;
    assert_eq!(page2["items"][0]["asset_tag"], "A-025");
    let (_, _, filtered) = app
        .api(
            Method::GET,
            &format!("/api/v1/assets?zone_id={}&limit=200", z.id),
            &viewer,
            None,
        )
        .await;
    assert_eq!(filtered["items"].as_array().unwrap().len(), 30);
    assert!(filtered["next_cursor"].is_null());
    // A cursor with a NUL (never issued) is refused before it reaches the database.
    let (s, _, p) = app
        .api(Method::GET, "/api/v1/assets?cursor=AA", &viewer, None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    let (s, _, _) = app.get("/o/alpha/assets?after=%00", Some(&viewer)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, p) = app
        .api(Method::GET, "/api/v1/assets?zone_id=nope", &viewer, None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    let (s, _, p) = app
        .api(
            Method::GET,
            "/api/v1/assets?criticality=extreme",
            &viewer,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_are_added_to_and_removed_from_a_zone() {
    let app = app().await;
    let contributor = app
        .who("contrib", &app.alpha, Some(Role::Contributor))
        .await;
    let z = app
        .db
        .store
        .create_zone(
            &cli(),
            app.alpha.id,
            NewZone {
                name: "Cell 1".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for tag in ["HMI-1", "HMI-2", "PLC-9"] {
        asset(&app, app.alpha.id, tag, None).await;
    }
    let (s, _, body) = app
        .get(
            &format!("/o/alpha/zones/{}?cq=HMI", z.id),
            Some(&contributor),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("HMI-1") && body.contains("HMI-2") && !body.contains("PLC-9"));
    let picks: Vec<String> = app
        .db
        .store
        .assets(
            app.alpha.id,
            &csms_store::inventory::AssetFilter {
                q: Some("HMI".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .assets
        .iter()
        .map(|a| format!("asset={}%3A{}", a.id, a.version))
        .collect();
    let (s, h, body) = app
        .post_form(
            &format!("/o/alpha/zones/{}/assets", z.id),
            Some(&contributor),
            &picks.join("&"),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(location(&h).contains("notice=moved"));
    assert_eq!(
        app.db.store.zone_asset_counts(app.alpha.id).await.unwrap()[&z.id],
        2
    );
    // The same (now stale) versions again: 409, nothing moves.
    let (s, _, _) = app
        .post_form(
            &format!("/o/alpha/zones/{}/assets/remove", z.id),
            Some(&contributor),
            &picks.join("&"),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        app.db.store.zone_asset_counts(app.alpha.id).await.unwrap()[&z.id],
        2
    );
    let fresh: Vec<String> = app
        .db
        .store
        .assets(
            app.alpha.id,
            &csms_store::inventory::AssetFilter {
                zone_id: Some(z.id),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .assets
        .iter()
        .take(1)
        .map(|a| format!("asset={}%3A{}", a.id, a.version))
        .collect();
    let (s, _, _) = app
        .post_form(
            &format!("/o/alpha/zones/{}/assets/remove", z.id),
            Some(&contributor),
            &fresh.join("&"),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.db.store.zone_asset_counts(app.alpha.id).await.unwrap()[&z.id],
        1
    );
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sl_t_differing_from_the_proposal_needs_a_justification() {
    let app = app().await;
    let admin = app.who("admin", &app.alpha, Some(Role::Admin)).await;
    let z = app
        .db
        .store
        .create_zone(
            &cli(),
            app.alpha.id,
            NewZone {
                name: "Safety".into(),
                sl_t: SlVector::uniform(3),
                sl_t_proposed: Some(SlVector::uniform(3)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let levels = |v: [u8; 7]| {
        v.iter()
            .enumerate()
            .map(|(i, l)| format!("sl_t_{}={l}", i + 1))
            .collect::<Vec<_>>()
            .join("&")
    };
    let path = format!("/o/alpha/zones/{}/edit", z.id);
    let base = "name=Safety&description=&system_id=";
    let (s, _, body) = app
        .post_form(
            &path,
            Some(&admin),
            &format!(
                "version=1&{base}&{}&sl_t_justification=",
                levels([4, 3, 3, 3, 3, 3, 3])
            ),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("differs from the proposed") && body.contains("Justification of SL-T"),
        "{body}"
    );
    let (s, _, _) = app
        .post_form(
            &path,
            Some(&admin),
            &format!(
                "version=1&{base}&{}&sl_t_justification=Customer+requires+SL4+for+FR1",
                levels([4, 3, 3, 3, 3, 3, 3])
            ),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let after = app.db.store.zone(app.alpha.id, z.id).await.unwrap();
    assert_eq!(after.sl_t.values(), [4, 3, 3, 3, 3, 3, 3]);
    assert_eq!(
        after.sl_t_proposed,
        Some(SlVector::uniform(3)),
        "the proposal is kept"
    );
    // The stale version is a conflict that keeps the input.
    let (s, _, body) = app
        .post_form(
            &path,
            Some(&admin),
            &format!(
                "version=1&{base}&{}&sl_t_justification=my+stale+reason",
                levels([4, 4, 3, 3, 3, 3, 3])
            ),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body.contains("my stale reason"));
    // The API says the same.
    let (s, _, p) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/zones/{}", z.id),
            &admin,
            Some(json!({"version": 2, "sl_t": [3,3,3,3,3,3,2], "sl_t_justification": ""})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "sl_t_justification");
    let (s, _, p) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/zones/{}", z.id),
            &admin,
            Some(json!({"version": 1, "name": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["current_version"], 2);
    app.db.cleanup().await;
}

/// The assessable 62443-3-3 requirements applying at SL 1.
fn sl1_refs() -> Vec<String> {
    let text = include_str!("../../csms-catalog/catalogs/iec62443-3-3-2013.yaml");
    let c = csms_catalog::parse("iec62443-3-3-2013.yaml", text).unwrap();
    c.nodes
        .iter()
        .filter(|n| n.assessable && n.security_levels.contains(&1))
        .map(|n| n.reference.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zone_gets_its_sl_a_from_its_62443_3_3_assessment() {
    let app = app().await;
    let manager = app
        .who("manager", &app.alpha, Some(Role::CsmsManager))
        .await;
    let z = app
        .db
        .store
        .create_zone(
            &cli(),
            app.alpha.id,
            NewZone {
                name: "Unit 2".into(),
                sl_t: SlVector::uniform(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // A CSMS assessment cannot name a zone (page and API).
    let (s, _, body) = app
        .post_form(
            "/o/alpha/assessments",
            Some(&manager),
            &format!("framework_id=jipdec-csms-2010&title=CSMS&zone_id={}", z.id),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("62443-3-3"));
    let (s, _, p) = app
        .api(
            Method::POST,
            "/api/v1/assessments",
            &manager,
            Some(json!({"framework_id": "jipdec-csms-2010", "title": "CSMS", "zone_id": z.id})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "zone_id");
    // A 62443-3-3 assessment of the zone, from the page.
    let (s, h, _) = app
        .post_form(
            "/o/alpha/assessments",
            Some(&manager),
            &format!(
                "framework_id=iec62443-3-3-2013&title=Unit+2+SR&zone_id={}",
                z.id
            ),
            true,
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let aid: csms_domain::Uuid = id_in(&location(&h)).parse().unwrap();
    let a = app.db.store.assessment(app.alpha.id, aid).await.unwrap();
    assert_eq!(a.zone_id, Some(z.id));
    let (_, _, body) = app
        .get(&format!("/o/alpha/assessments/{aid}"), Some(&manager))
        .await;
    assert!(body.contains("id=\"assessment-zone\"") && body.contains("Unit 2"));
    // Nothing assessed yet: SL-A 0 everywhere, provisional, every FR has a gap.
    let (_, _, zone) = app
        .api(
            Method::GET,
            &format!("/api/v1/zones/{}", z.id),
            &manager,
            None,
        )
        .await;
    assert_eq!(zone["assessment_id"], aid.to_string());
    assert_eq!(zone["provisional"], true);
    assert_eq!(zone["sl_a"], json!([0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(zone["gap"].as_array().unwrap().len(), 7);
    // Every SL 1 requirement conformant: SL-A is 1 in every FR; the gap lists SL 2 ones.
    let results = app.db.store.results(app.alpha.id, aid).await.unwrap();
    let sl1 = sl1_refs();
    assert!(sl1.len() > 20);
    let changes = results
        .iter()
        .filter(|r| sl1.contains(&r.node_ref))
        .map(|r| ResultChange {
            node_ref: r.node_ref.clone(),
            version: r.version,
            outcome: Outcome::Conformant,
            input: ResultInput::default(),
        })
        .collect();
    app.db
        .store
        .set_results(&cli(), app.alpha.id, aid, changes)
        .await
        .unwrap();
    let (_, _, zone) = app
        .api(
            Method::GET,
            &format!("/api/v1/zones/{}", z.id),
            &manager,
            None,
        )
        .await;
    assert_eq!(zone["sl_a"], json!([1, 1, 1, 1, 1, 1, 1]), "{zone}");
    let gaps = zone["gap"].as_array().unwrap();
    assert_eq!(gaps.len(), 7);
    assert_eq!(gaps[0]["fr"], "fr1");
    assert_eq!(gaps[0]["achieved"], 1);
    assert_eq!(gaps[0]["target"], 2);
    let closing: Vec<&str> = gaps[0]["closing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(closing.contains(&"SR 1.1 RE 1"), "{closing:?}");
    assert!(
        !closing.contains(&"SR 1.1"),
        "met requirements do not close anything"
    );
    // The zone page shows SL-A, provisional, and links the closing requirements into the
    // workspace.
    let (_, _, body) = app
        .get(&format!("/o/alpha/zones/{}", z.id), Some(&manager))
        .await;
    assert!(body.contains("provisional") && body.contains("Unit 2 SR"));
    assert!(body.contains(&format!("/o/alpha/assessments/{aid}/work#r-")));
    assert!(body.contains("SR 1.1 RE 1"));
    let (_, _, body) = app.get("/o/alpha/zones", Some(&manager)).await;
    assert!(body.contains("1,1,1,1,1,1,1"));
    // Approved: no longer provisional.
    app.db
        .store
        .approve_assessment(
            &cli(),
            app.alpha.id,
            aid,
            app.db
                .store
                .assessment(app.alpha.id, aid)
                .await
                .unwrap()
                .version,
            "",
        )
        .await
        .unwrap();
    let (_, _, zone) = app
        .api(
            Method::GET,
            &format!("/api/v1/zones/{}", z.id),
            &manager,
            None,
        )
        .await;
    assert_eq!(zone["provisional"], false);
    // The zone cannot be deleted while the assessment names it.
    let (s, _, p) = app
        .api(
            Method::DELETE,
            &format!("/api/v1/zones/{}?version=1", z.id),
            &manager,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(p["detail"].as_str().unwrap().contains("Unit 2 SR"), "{p}");
    // The diagram marks the gap in the zone's title.
    let (_, h, svg) = app.get("/api/v1/zones/diagram.svg", Some(&manager)).await;
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert!(svg.contains("SL-A 1,1,1,1,1,1,1"));
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_creates_reads_changes_and_deletes() {
    let app = app().await;
    let c = app
        .who("contrib", &app.alpha, Some(Role::Contributor))
        .await;
    let m = app
        .who("manager", &app.alpha, Some(Role::CsmsManager))
        .await;
    let (s, h, site) = app
        .api(
            Method::POST,
            "/api/v1/sites",
            &c,
            Some(json!({"name": "Plant <&>", "location": "Chiba"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{site}");
    assert!(location(&h).starts_with("/api/v1/sites/"));
    let (s, _, system) = app
        .api(
            Method::POST,
            "/api/v1/systems",
            &c,
            Some(json!({"name": "Boiler DCS", "site_id": site["id"], "owner": "contrib", "criticality": "high"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{system}");
    assert_eq!(system["owner"], "contrib");
    let (s, _, zone) = app
        .api(Method::POST, "/api/v1/zones", &c, Some(json!({"name": "Boiler control", "system_id": system["id"], "sl_t": [2,2,1,1,2,1,2]})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{zone}");
    let (_, _, dmz) = app
        .api(
            Method::POST,
            "/api/v1/zones",
            &c,
            Some(json!({"name": "DMZ"})),
        )
        .await;
    assert_eq!(dmz["sl_t"], json!([1, 1, 1, 1, 1, 1, 1]));
    let (s, _, a) = app
        .api(
            Method::POST,
            "/api/v1/assets",
            &c,
            Some(json!({
                "asset_tag": "FCS-01", "name": "Field control station", "asset_type": "DCS controller",
                "vendor": "Yokogawa", "purdue_level": "L1", "zone_id": zone["id"], "system_id": system["id"],
                "interfaces": [{"name": "bus1", "ip": "10.0.0.1", "vlan": 20, "protocols": ["Vnet/IP"]}],
                "sl_c": [2,2,2,2,2,2,2], "custom": {"rack": "R1"}, "owner": "contrib"
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["asset_type"], "dcs_controller");
    assert_eq!(a["purdue_level"], "1");
    // Bad input: named fields, no 5xx.
    for (body, field) in [
        (json!({"asset_tag": "X", "sl_c": [1,2,3]}), "sl_c"),
        (json!({"asset_tag": "X", "sl_c": [9,9,9,9,9,9,9]}), "sl_c"),
        (
            json!({"asset_tag": "X", "asset_type": "toaster"}),
            "asset_type",
        ),
        (json!({"asset_tag": "X", "owner": "nobody"}), "owner"),
        (
            json!({"asset_tag": "X", "zone_id": csms_domain::Uuid::nil()}),
            "zone_id",
        ),
        (json!({"asset_tag": "X\u{0}"}), "asset_tag"),
        (json!({"asset_tag": "あ".repeat(5000)}), "asset_tag"),
    ] {
        let (s, _, p) = app
            .api(Method::POST, "/api/v1/assets", &c, Some(body.clone()))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
        assert_eq!(p["field"], field, "{p}");
    }
    let (s, _, _) = app
        .api(
            Method::POST,
            "/api/v1/assets",
            &c,
            Some(json!({"asset_tag": 5})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = app
        .api(Method::GET, "/api/v1/assets/not-a-uuid", &c, None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = app
        .api(
            Method::POST,
            "/api/v1/assets",
            &c,
            Some(json!({"asset_tag": "FCS-01"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "duplicate tag");
    // PATCH keeps omitted fields; a stale version is 409.
    let path = format!("/api/v1/assets/{}", a["id"].as_str().unwrap());
    let (s, _, a2) = app
        .api(
            Method::PATCH,
            &path,
            &c,
            Some(json!({"version": 1, "firmware_version": "R5.01", "sl_c": null})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a2}");
    assert_eq!(a2["firmware_version"], "R5.01");
    assert_eq!(a2["vendor"], "Yokogawa");
    assert!(a2["sl_c"].is_null());
    let (s, _, p) = app
        .api(
            Method::PATCH,
            &path,
            &c,
            Some(json!({"version": 1, "name": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["current_version"], 2);
    // Conduits with channels.
    let (s, _, cd) = app
        .api(
            Method::POST,
            "/api/v1/conduits",
            &c,
            Some(json!({"name": "Historian feed", "from_zone_id": zone["id"], "to_zone_id": dmz["id"],
                "channels": [{"protocol": "OPC UA", "port": 4840, "direction": "one_way"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cd}");
    assert_eq!(cd["channels"][0]["direction"], "one_way");
    let (s, _, p) = app
        .api(
            Method::POST,
            "/api/v1/conduits",
            &c,
            Some(json!({"name": "Loop", "from_zone_id": zone["id"], "to_zone_id": zone["id"]})),
        )
        .await;
    assert!(s.is_client_error(), "{p}");
    // Lists.
    for (path, n) in [
        ("/api/v1/sites", 1),
        ("/api/v1/systems", 1),
        ("/api/v1/zones", 2),
        ("/api/v1/conduits", 1),
    ] {
        let (s, _, list) = app.api(Method::GET, path, &c, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(list["items"].as_array().unwrap().len(), n, "{path}");
    }
    let (_, _, zones) = app.api(Method::GET, "/api/v1/zones", &c, None).await;
    let bz = zones["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["name"] == "Boiler control")
        .unwrap();
    assert_eq!(bz["asset_count"], 1);
    assert!(bz["sl_a"].is_null() && bz["assessment_id"].is_null());
    // Deleting needs a manager (contributors edit but do not delete), with the version.
    let zpath = format!("/api/v1/zones/{}", dmz["id"].as_str().unwrap());
    let (s, _, _) = app
        .api(Method::DELETE, &format!("{zpath}?version=1"), &c, None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = app
        .api(Method::DELETE, &format!("{zpath}?version=1"), &m, None)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "the conduit still joins it");
    // Conduits too: a contributor may not delete one; a manager must name the version.
    let cpath = format!("/api/v1/conduits/{}", cd["id"].as_str().unwrap());
    let (s, _, _) = app
        .api(Method::DELETE, &format!("{cpath}?version=1"), &c, None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = app.api(Method::DELETE, &cpath, &m, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "the version is required");
    let (s, _, _) = app
        .api(Method::DELETE, &format!("{cpath}?version=2"), &m, None)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a stale version");
    let (s, _, _) = app
        .api(Method::DELETE, &format!("{cpath}?version=1"), &m, None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = app
        .api(Method::DELETE, &format!("{zpath}?version=1"), &m, None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // The diagram escapes the names.
    let (s, h, svg) = app.get("/api/v1/zones/diagram.svg", Some(&c)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("zones-alpha.svg")
    );
    assert!(svg.contains("Boiler control"));
    // The OpenAPI document lists the routes.
    let (_, _, doc) = app.get("/api/openapi.json", None).await;
    for p in [
        "/api/v1/assets",
        "/api/v1/zones/{id}",
        "/api/v1/conduits/{id}",
        "/api/v1/zones/diagram.svg",
    ] {
        assert!(doc.contains(p), "{p} in the OpenAPI document");
    }
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_cannot_write_and_other_organizations_see_nothing() {
    let app = app().await;
    let viewer = app.who("viewer", &app.alpha, Some(Role::Viewer)).await;
    let outsider = app.who("outsider", &app.beta, Some(Role::Admin)).await;
    let z = app
        .db
        .store
        .create_zone(
            &cli(),
            app.alpha.id,
            NewZone {
                name: "alpha-secret-zone".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    asset(&app, app.alpha.id, "alpha-secret-tag", Some(z.id)).await;
    let a = app
        .db
        .store
        .assets(app.alpha.id, &Default::default())
        .await
        .unwrap()
        .assets
        .remove(0);
    // A viewer reads but cannot write, on pages and the API.
    let (s, _, body) = app
        .get(&format!("/o/alpha/zones/{}", z.id), Some(&viewer))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!body.contains("/propose") && !body.contains("sl_t_justification\""));
    let (s, _, _) = app
        .post_form("/o/alpha/zones", Some(&viewer), "name=x", true)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = app
        .api(
            Method::POST,
            "/api/v1/zones",
            &viewer,
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/assets/{}", a.id),
            &viewer,
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Another organization: alpha's ids are not found, and nothing of alpha leaks.
    for path in [
        format!("/api/v1/zones/{}", z.id),
        format!("/api/v1/assets/{}", a.id),
    ] {
        let (s, _, p) = app.api(Method::GET, &path, &outsider, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(!p.to_string().contains("alpha-secret"));
        let (s, _, p) = app
            .api(
                Method::PATCH,
                &path,
                &outsider,
                Some(json!({"version": 1, "name": "pwned"})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(!p.to_string().contains("alpha-secret"));
        let (s, _, _) = app
            .api(
                Method::DELETE,
                &format!("{path}?version=1"),
                &outsider,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    // Beta cannot point its asset at alpha's zone.
    let (s, _, p) = app
        .api(
            Method::POST,
            "/api/v1/assets",
            &outsider,
            Some(json!({"asset_tag": "B-1", "zone_id": z.id})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!p.to_string().contains("alpha-secret"));
    for path in [
        format!("/o/beta/zones/{}", z.id),
        format!("/o/beta/assets/{}", a.id),
    ] {
        let (s, _, body) = app.get(&path, Some(&outsider)).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert!(!body.contains("alpha-secret"));
    }
    let (_, _, svg) = app.get("/o/beta/zones/diagram.svg", Some(&outsider)).await;
    assert!(!svg.contains("alpha-secret"));
    let (_, _, list) = app
        .api(Method::GET, "/api/v1/assets", &outsider, None)
        .await;
    assert!(list["items"].as_array().unwrap().is_empty());
    assert_eq!(
        app.db.store.zone(app.alpha.id, z.id).await.unwrap().version,
        1
    );
    app.db.cleanup().await;
}
