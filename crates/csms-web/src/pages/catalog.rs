//! The requirement browser: frameworks (shipped and imported), a framework's tree with search
//! in both languages and both languages side by side, a node with its mappings and the
//! organization's licensed wording, and the import of catalogs.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use csms_catalog::Node;
use csms_domain::org::Organization;
use csms_store::assessment::{LicensedWording, NewOrgCatalog, OrgCatalog, WordingInput};
use serde::Deserialize;

use super::assessment::pick;
use super::auth::NoticeQuery;
use super::org::{org_of, store_error};
use super::{Ctx, error_page, render};
use crate::AppState;
use crate::authz::{Caller, Perm};
use crate::library::{Indexed, Relation};

/// The most a catalog file may weigh (the largest CISO Assistant library is about 1.4 MB).
pub const UPLOAD_LIMIT: usize = 16 * 1024 * 1024;

/// A framework in the list.
pub struct FrameworkView {
    pub id: String,
    pub name: String,
    pub edition: String,
    pub publisher: String,
    pub nodes: usize,
    pub assessable: usize,
    pub imported: bool,
    pub source: String,
}

fn framework_view(tr: &crate::i18n::Tr, f: &Indexed) -> FrameworkView {
    FrameworkView {
        id: f.id().to_owned(),
        name: pick(tr, &f.catalog.framework.name).to_owned(),
        edition: f.catalog.framework.edition.clone(),
        publisher: f.catalog.framework.publisher.clone(),
        nodes: f.catalog.nodes.len(),
        assessable: f.catalog.assessable().count(),
        imported: f.imported.is_some(),
        source: f
            .imported
            .as_ref()
            .map(|i| i.source_name.clone())
            .unwrap_or_default(),
    }
}

/// A mapping set in the list.
pub struct MappingView {
    pub id: String,
    pub name: String,
    pub source: String,
    pub target: String,
    pub provenance: &'static str,
    pub entries: usize,
}

#[derive(Template)]
#[template(path = "frameworks.html")]
struct FrameworksPage {
    ctx: Ctx,
    org: Organization,
    frameworks: Vec<FrameworkView>,
    mappings: Vec<MappingView>,
    can_manage: bool,
    errors: Vec<String>,
}

fn provenance_key(p: &str) -> String {
    format!("provenance-{p}")
}

impl FrameworksPage {
    fn provenance_key(&self, p: &str) -> String {
        provenance_key(p)
    }
}

impl NodePage {
    fn provenance_key(&self, p: &str) -> String {
        provenance_key(p)
    }
}

async fn frameworks_page(
    state: &AppState,
    caller: &Caller,
    notice: Option<&str>,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let org = org_of(caller);
    let library = match state.library().for_org(state.store(), org.id).await {
        Ok(l) => l,
        Err(e) => {
            let (s, _) = store_error(&caller.tr, &e);
            return error_page(caller, s, "error-internal-page");
        }
    };
    let tr = &caller.tr;
    let frameworks = library
        .frameworks
        .iter()
        .map(|f| framework_view(tr, f))
        .collect();
    let mappings = library
        .mappings
        .iter()
        .map(|m| MappingView {
            id: m.id.clone(),
            name: pick(tr, &m.name).to_owned(),
            source: m.source_framework.clone(),
            target: m.target_framework.clone(),
            provenance: m.provenance.as_str(),
            entries: m.entries.len(),
        })
        .collect();
    let path = format!("/o/{}/requirements", org.slug);
    let mut ctx = Ctx::new(state, caller, "requirements", &path)
        .await
        .with_notice(notice);
    for e in &errors {
        ctx.error(e.clone());
    }
    let page = FrameworksPage {
        can_manage: caller.may(Perm::OrgManage),
        ctx,
        org,
        frameworks,
        mappings,
        errors,
    };
    (status, render(&page)).into_response()
}

pub async fn frameworks(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    frameworks_page(
        &state,
        &caller,
        q.notice.as_deref(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// Imports a catalog file (CISO Assistant library, or OpenCSMS catalog or mapping format).
/// Everything the file holds is stored in one transaction, or nothing.
pub async fn import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: axum::http::HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let org = org_of(&caller);
    let tr = &caller.tr;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut replace = false;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let file_name = field.file_name().unwrap_or("catalog.yaml").to_owned();
                match field.bytes().await {
                    Ok(bytes) if name == "file" => file = Some((file_name, bytes.to_vec())),
                    Ok(bytes) if name == "replace" => replace = !bytes.is_empty(),
                    Ok(_) => {}
                    Err(e) => {
                        let status = e.status();
                        let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
                            tr.t1("import-too-large", "limit", UPLOAD_LIMIT / (1024 * 1024))
                        } else {
                            tr.t1("import-unreadable", "reason", e.body_text())
                        };
                        return frameworks_page(&state, &caller, None, vec![msg], status).await;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                let status = e.status();
                let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    tr.t1("import-too-large", "limit", UPLOAD_LIMIT / (1024 * 1024))
                } else {
                    tr.t1("import-unreadable", "reason", e.body_text())
                };
                return frameworks_page(&state, &caller, None, vec![msg], status).await;
            }
        }
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let msg = tr.t("import-no-file");
        return frameworks_page(
            &state,
            &caller,
            None,
            vec![msg],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let display_name = display_name(&file_name);
    let Ok(text) = String::from_utf8(bytes) else {
        let msg = tr.t1("import-not-utf8", "file", &display_name);
        return frameworks_page(
            &state,
            &caller,
            None,
            vec![msg],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match import_text(&state, &caller, &org, &display_name, &text, replace).await {
        Ok(_) => {
            let to = format!("/o/{}/requirements?notice=catalog-imported", org.slug);
            if headers.contains_key("hx-request") {
                // htmx follows this with a full page load.
                let mut res = StatusCode::NO_CONTENT.into_response();
                if let Ok(v) = axum::http::HeaderValue::from_str(&to) {
                    res.headers_mut().insert("hx-redirect", v);
                }
                res
            } else {
                Redirect::to(&to).into_response()
            }
        }
        Err((status, errors)) => frameworks_page(&state, &caller, None, errors, status).await,
    }
}

/// The name of an uploaded file as messages show it: without its directories and control
/// characters, at most 200 characters (`catalog.yaml` when nothing is left).
pub(crate) fn display_name(file_name: &str) -> String {
    let name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if name.trim().is_empty() {
        "catalog.yaml".to_owned()
    } else {
        name
    }
}

/// Checks and stores an imported file (all or nothing) and returns what was stored; errors
/// are one line each (`FILE:LINE: what`).
pub(crate) async fn import_text(
    state: &AppState,
    caller: &Caller,
    org: &Organization,
    file_name: &str,
    text: &str,
    replace: bool,
) -> Result<Vec<OrgCatalog>, (StatusCode, Vec<String>)> {
    let library = state
        .library()
        .for_org(state.store(), org.id)
        .await
        .map_err(|e| {
            let (s, m) = store_error(&caller.tr, &e);
            (s, vec![m])
        })?;
    let known: Vec<&csms_catalog::Catalog> =
        library.frameworks.iter().map(|f| &f.catalog).collect();
    let parsed = {
        let text = text.to_owned();
        let file_name = file_name.to_owned();
        let known: Vec<csms_catalog::Catalog> = known.into_iter().cloned().collect();
        // One import parses at a time per instance: parsing is CPU work on the blocking pool,
        // which sign-in hashing shares.
        static IMPORTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
        let _permit = IMPORTS.acquire().await.map_err(|_| {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                vec![caller.tr.t("error-internal")],
            )
        })?;
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&csms_catalog::Catalog> = known.iter().collect();
            csms_catalog::import(&file_name, &text, &refs)
        })
        .await
        .map_err(|_| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                vec![caller.tr.t("error-internal")],
            )
        })?
    };
    let lib = parsed.map_err(|diags| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            diags
                .iter()
                .take(csms_catalog::MAX_DIAGNOSTICS + 1)
                .map(ToString::to_string)
                .collect(),
        )
    })?;
    // Names are stored as columns; PostgreSQL refuses NUL in text.
    let names = lib
        .frameworks
        .iter()
        .map(|f| (&f.framework.id, &f.framework.name))
        .chain(lib.mappings.iter().map(|m| (&m.id, &m.name)));
    for (id, name) in names {
        if name.ja.contains('\0') || name.en.contains('\0') {
            return Err((
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![format!(
                    "{file_name}: the name of '{id}' contains a NUL character; remove it"
                )],
            ));
        }
    }
    let shipped: Vec<&str> = state
        .library()
        .shipped_catalogs()
        .iter()
        .map(|f| f.id())
        .collect();
    let mut rows = Vec::new();
    for f in &lib.frameworks {
        if shipped.contains(&f.framework.id.as_str()) {
            return Err((
                StatusCode::CONFLICT,
                vec![caller.tr.t1("import-shipped", "id", &f.framework.id)],
            ));
        }
        rows.push(NewOrgCatalog {
            kind: "framework",
            ref_id: f.framework.id.clone(),
            name_ja: f.framework.name.ja.clone(),
            name_en: f.framework.name.en.clone(),
            source_name: file_name.to_owned(),
            content: serde_json::to_string(f).unwrap_or_default(),
            node_count: i64::try_from(f.nodes.len()).unwrap_or(i64::MAX),
        });
    }
    for m in &lib.mappings {
        rows.push(NewOrgCatalog {
            kind: "mapping",
            ref_id: m.id.clone(),
            name_ja: m.name.ja.clone(),
            name_en: m.name.en.clone(),
            source_name: file_name.to_owned(),
            content: serde_json::to_string(m).unwrap_or_default(),
            node_count: i64::try_from(m.entries.len()).unwrap_or(i64::MAX),
        });
    }
    if rows.is_empty() {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![caller.tr.t("import-empty")],
        ));
    }
    state
        .store()
        .save_org_catalogs(&caller.actor(), org.id, rows, replace)
        .await
        .map_err(|e| {
            let (s, m) = store_error(&caller.tr, &e);
            (s, vec![m])
        })
}

/// A node in the tree view.
pub struct TreeRow {
    pub reference: String,
    pub depth: usize,
    pub kind: &'static str,
    pub title_ja: String,
    pub title_en: String,
    pub gist_ja: String,
    pub gist_en: String,
    pub assessable: bool,
    pub unverified: bool,
    pub security_levels: String,
    pub matched: bool,
    pub licensed: bool,
}

#[derive(Template)]
#[template(path = "framework.html")]
struct BrowsePage {
    ctx: Ctx,
    org: Organization,
    fw: FrameworkView,
    notes: String,
    rows: Vec<TreeRow>,
    q: BrowseQuery,
    both: bool,
    matches: usize,
}

#[derive(Debug, Default, Deserialize)]
pub struct BrowseQuery {
    #[serde(default)]
    pub q: String,
    /// Show Japanese and English side by side.
    #[serde(default)]
    pub both: String,
}

fn kind_str(n: &Node) -> &'static str {
    match n.kind {
        csms_catalog::Kind::Clause => "clause",
        csms_catalog::Kind::Element => "element",
        csms_catalog::Kind::Requirement => "requirement",
        csms_catalog::Kind::Control => "control",
        csms_catalog::Kind::Enhancement => "enhancement",
    }
}

/// Whether a node's ref, title or gist matches a search, in either language
/// (case-insensitive): the assessment workspace's search.
pub fn node_text_matches(n: &Node, q: &str) -> bool {
    let q = q.to_lowercase();
    [
        &n.reference,
        &n.title.ja,
        &n.title.en,
        &n.gist.ja,
        &n.gist.en,
    ]
    .iter()
    .any(|t| t.to_lowercase().contains(&q))
}

/// Whether a node matches a search of the requirement browser: ref, title, gist or guidance,
/// in either language (case-insensitive).
pub fn node_matches(n: &Node, q: &str) -> bool {
    let lower = q.to_lowercase();
    node_text_matches(n, q)
        || n.guidance.as_ref().is_some_and(|g| {
            g.ja.to_lowercase().contains(&lower) || g.en.to_lowercase().contains(&lower)
        })
}

async fn framework_of(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(Organization, Arc<Indexed>, crate::library::OrgLibrary), Response> {
    let org = org_of(caller);
    let library = state
        .library()
        .for_org(state.store(), org.id)
        .await
        .map_err(|e| {
            let (s, _) = store_error(&caller.tr, &e);
            error_page(caller, s, "error-internal-page")
        })?;
    let fw = library
        .framework(id)
        .cloned()
        .ok_or_else(|| error_page(caller, StatusCode::NOT_FOUND, "error-not-found"))?;
    Ok((org, fw, library))
}

pub async fn browse(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, framework)): Path<(String, String)>,
    Query(q): Query<BrowseQuery>,
) -> Response {
    let (org, fw, _) = match framework_of(&state, &caller, &framework).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let wording = state
        .store()
        .licensed_wording(org.id, fw.id())
        .await
        .unwrap_or_default();
    let query = q.q.trim();
    let walk = fw.walk();
    // With a search: the matching nodes and their ancestors, so each match keeps its place.
    let mut keep = vec![query.is_empty(); fw.catalog.nodes.len()];
    let mut matched = vec![false; fw.catalog.nodes.len()];
    if !query.is_empty() {
        for (i, n) in fw.catalog.nodes.iter().enumerate() {
            if node_matches(n, query) {
                matched[i] = true;
                let mut at = Some(i);
                let mut steps = 0;
                while let Some(j) = at {
                    keep[j] = true;
                    at = fw.parent_of(j);
                    steps += 1;
                    if steps > fw.catalog.nodes.len() {
                        break;
                    }
                }
            }
        }
    }
    let rows: Vec<TreeRow> = walk
        .into_iter()
        .filter(|(i, _)| keep[*i])
        .map(|(i, depth)| {
            let n = &fw.catalog.nodes[i];
            TreeRow {
                reference: n.reference.clone(),
                depth,
                kind: kind_str(n),
                title_ja: n.title.ja.clone(),
                title_en: n.title.en.clone(),
                gist_ja: n.gist.ja.clone(),
                gist_en: n.gist.en.clone(),
                assessable: n.assessable,
                unverified: n.flags.iter().any(|f| f == "unverified"),
                security_levels: n
                    .security_levels
                    .iter()
                    .map(|l| format!("SL{l}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                matched: matched[i],
                licensed: wording.contains_key(&n.reference),
            }
        })
        .collect();
    let path = format!("/o/{}/requirements/{}", org.slug, fw.id());
    let ctx = Ctx::new(&state, &caller, "requirements", &path).await;
    let notes = fw
        .catalog
        .framework
        .notes
        .as_ref()
        .map(|n| pick(&ctx.tr, n).to_owned())
        .unwrap_or_default();
    render(&BrowsePage {
        fw: framework_view(&ctx.tr, &fw),
        matches: matched.iter().filter(|m| **m).count(),
        both: !q.both.is_empty(),
        notes,
        ctx,
        org,
        rows,
        q,
    })
}

#[derive(Template)]
#[template(path = "node.html")]
struct NodePage {
    ctx: Ctx,
    org: Organization,
    fw: FrameworkView,
    node: Node,
    parent_title: String,
    children: Vec<(String, String)>,
    relations: Vec<(Relation, String)>,
    wording: Vec<LicensedWording>,
    can_manage: bool,
}

impl NodePage {
    fn wording_of(&self, lang: &str) -> String {
        self.wording
            .iter()
            .find(|w| w.lang == lang)
            .map(|w| w.body.clone())
            .unwrap_or_default()
    }

    fn wording_source(&self) -> String {
        self.wording
            .first()
            .map(|w| w.source.clone())
            .unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
pub struct NodeQuery {
    #[serde(rename = "ref", default)]
    pub reference: String,
    pub notice: Option<String>,
}

pub async fn node(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, framework)): Path<(String, String)>,
    Query(q): Query<NodeQuery>,
) -> Response {
    let (org, fw, library) = match framework_of(&state, &caller, &framework).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(&i) = fw.by_ref.get(&q.reference) else {
        return error_page(&caller, StatusCode::NOT_FOUND, "error-not-found");
    };
    let n = fw.catalog.nodes[i].clone();
    let tr = &caller.tr;
    let parent_title = fw
        .parent_of(i)
        .map(|p| {
            let p = &fw.catalog.nodes[p];
            format!("{} {}", p.reference, pick(tr, &p.title))
        })
        .unwrap_or_default();
    let children = fw.children[i]
        .iter()
        .map(|&c| {
            let c = &fw.catalog.nodes[c];
            (c.reference.clone(), pick(tr, &c.title).to_owned())
        })
        .collect();
    let relations = library
        .relations(fw.id(), &n, None)
        .into_iter()
        .map(|r| {
            let title = library
                .framework(&r.framework)
                .and_then(|f| f.node(&r.reference))
                .map(|x| pick(tr, &x.title).to_owned())
                .unwrap_or_default();
            (r, title)
        })
        .collect();
    let wording = state
        .store()
        .licensed_wording(org.id, fw.id())
        .await
        .unwrap_or_default()
        .remove(&n.reference)
        .unwrap_or_default();
    let path = format!("/o/{}/requirements/{}/node", org.slug, fw.id());
    let ctx = Ctx::new(&state, &caller, "requirements", &path)
        .await
        .with_notice(q.notice.as_deref());
    render(&NodePage {
        fw: framework_view(&ctx.tr, &fw),
        can_manage: caller.may(Perm::OrgManage),
        ctx,
        org,
        node: n,
        parent_title,
        children,
        relations,
        wording,
    })
}

#[derive(Debug, Deserialize)]
pub struct WordingForm {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default)]
    pub ja: String,
    #[serde(default)]
    pub en: String,
    #[serde(default)]
    pub source: String,
}

/// Saves the licensed wording of a node in both languages (an empty text removes it).
pub async fn save_wording(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_, framework)): Path<(String, String)>,
    Form(form): Form<WordingForm>,
) -> Response {
    let (org, fw, _) = match framework_of(&state, &caller, &framework).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if fw.node(&form.reference).is_none() {
        return error_page(&caller, StatusCode::NOT_FOUND, "error-not-found");
    }
    let items = [("ja", &form.ja), ("en", &form.en)].map(|(lang, body)| WordingInput {
        framework_id: fw.id(),
        node_ref: &form.reference,
        lang,
        body,
        source: &form.source,
    });
    if let Err(e) = state
        .store()
        .set_licensed_wording(&caller.actor(), org.id, &items)
        .await
    {
        let (s, _) = store_error(&caller.tr, &e);
        return error_page(&caller, s, "error-invalid-page");
    }
    Redirect::to(&format!(
        "/o/{}/requirements/{}/node?ref={}&notice=wording-saved",
        org.slug,
        fw.id(),
        crate::authz::urlencode(&form.reference)
    ))
    .into_response()
}
