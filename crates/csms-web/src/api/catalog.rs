//! `/api/v1` for the requirement catalogs: the organization's frameworks (shipped and
//! imported) and their nodes, mapping sets, and the import of catalog files.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use csms_catalog::MappingSet;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{BilingualText, ProblemDto, bad_path, bad_query};
use crate::authz::Caller;
use crate::library::{Indexed, OrgLibrary};
use crate::pages::catalog::{UPLOAD_LIMIT, display_name, import_text, node_matches};
use crate::{AppState, Problem};

/// Where a framework comes from.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Shipped with OpenCSMS (the same for every organization).
    Shipped,
    /// Imported by this organization.
    Imported,
}

/// One level of a framework's maturity scale.
#[derive(Serialize, ToSchema)]
pub struct ScaleLevelDto {
    pub value: u8,
    pub label: BilingualText,
}

/// A framework's maturity scale: the values a result's `maturity` may take.
#[derive(Serialize, ToSchema)]
pub struct ScaleDto {
    pub id: String,
    pub levels: Vec<ScaleLevelDto>,
}

/// A framework the organization can browse and assess.
#[derive(Serialize, ToSchema)]
pub struct FrameworkDto {
    /// Use it as `{framework}` in paths and as `framework_id` of an assessment.
    pub id: String,
    pub name: BilingualText,
    pub edition: String,
    pub publisher: String,
    pub origin: Origin,
    /// The file an imported framework came from.
    pub source_file: Option<String>,
    /// Number of nodes (clauses, requirements, controls, ...).
    pub nodes: usize,
    /// Number of assessable nodes (the rows of an assessment).
    pub assessable: usize,
    /// The maturity scale, when the framework has one.
    pub scale: Option<ScaleDto>,
}

impl FrameworkDto {
    fn of(f: &Indexed) -> FrameworkDto {
        let fw = &f.catalog.framework;
        FrameworkDto {
            id: f.id().to_owned(),
            name: (&fw.name).into(),
            edition: fw.edition.clone(),
            publisher: fw.publisher.clone(),
            origin: if f.imported.is_some() {
                Origin::Imported
            } else {
                Origin::Shipped
            },
            source_file: f.imported.as_ref().map(|i| i.source_name.clone()),
            nodes: f.catalog.nodes.len(),
            assessable: f.catalog.assessable().count(),
            scale: fw.scale.as_ref().map(|s| ScaleDto {
                id: s.id.clone(),
                levels: s
                    .levels
                    .iter()
                    .map(|l| ScaleLevelDto {
                        value: l.value,
                        label: (&l.label).into(),
                    })
                    .collect(),
            }),
        }
    }
}

/// The organization's frameworks.
#[derive(Serialize, ToSchema)]
pub struct FrameworkList {
    pub items: Vec<FrameworkDto>,
}

/// The kind of a node.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Clause,
    Element,
    Requirement,
    Control,
    Enhancement,
}

impl From<csms_catalog::Kind> for NodeKind {
    fn from(k: csms_catalog::Kind) -> Self {
        match k {
            csms_catalog::Kind::Clause => NodeKind::Clause,
            csms_catalog::Kind::Element => NodeKind::Element,
            csms_catalog::Kind::Requirement => NodeKind::Requirement,
            csms_catalog::Kind::Control => NodeKind::Control,
            csms_catalog::Kind::Enhancement => NodeKind::Enhancement,
        }
    }
}

/// A reference from a node to a node of another framework.
#[derive(Serialize, ToSchema)]
pub struct NodeReferenceDto {
    pub framework: String,
    #[serde(rename = "ref")]
    pub reference: String,
}

/// A node of a framework's tree.
#[derive(Serialize, ToSchema)]
pub struct NodeDto {
    /// The standard's identifier (`4.2.3.1`, `SR 1.1 RE 2`, `A.5.9`).
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: NodeKind,
    /// The parent's `ref`; null for a root.
    pub parent: Option<String>,
    /// 0 for a root.
    pub depth: usize,
    pub title: BilingualText,
    /// A short paraphrase (not the standard's wording).
    pub gist: BilingualText,
    pub guidance: Option<BilingualText>,
    /// Whether an assessment records a result for it.
    pub assessable: bool,
    /// Markers such as `unverified`.
    pub flags: Vec<String>,
    /// The security levels (1 to 4) a requirement applies to, when the standard says.
    pub security_levels: Vec<u8>,
    pub references: Vec<NodeReferenceDto>,
}

/// A framework's nodes in tree order (depth first, siblings as the catalog lists them).
#[derive(Serialize, ToSchema)]
pub struct NodeList {
    pub framework: String,
    /// Number of nodes returned.
    pub count: usize,
    pub items: Vec<NodeDto>,
}

/// Node filter.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NodeParams {
    /// Only nodes whose ref, title, gist or guidance contains this text, in Japanese or
    /// English, ignoring case (at most 200 characters).
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// The provenance of a mapping set.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// Published by the owner of one of the standards.
    Official,
    /// Derived by joining published references.
    Derived,
    /// A reasoned judgement of the OpenCSMS project; a starting point, not a fact.
    Indicative,
    /// Brought in by an organization.
    Imported,
}

impl From<csms_catalog::Provenance> for Provenance {
    fn from(p: csms_catalog::Provenance) -> Self {
        match p {
            csms_catalog::Provenance::Official => Provenance::Official,
            csms_catalog::Provenance::Derived => Provenance::Derived,
            csms_catalog::Provenance::Indicative => Provenance::Indicative,
            csms_catalog::Provenance::Imported => Provenance::Imported,
        }
    }
}

/// How a source node relates to a target node (read "source is … target").
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    Equal,
    Subset,
    Superset,
    Intersect,
    Related,
}

impl From<csms_catalog::Relationship> for Relationship {
    fn from(r: csms_catalog::Relationship) -> Self {
        match r {
            csms_catalog::Relationship::Equal => Relationship::Equal,
            csms_catalog::Relationship::Subset => Relationship::Subset,
            csms_catalog::Relationship::Superset => Relationship::Superset,
            csms_catalog::Relationship::Intersect => Relationship::Intersect,
            csms_catalog::Relationship::Related => Relationship::Related,
        }
    }
}

/// A mapping set between two frameworks.
#[derive(Serialize, ToSchema)]
pub struct MappingDto {
    /// Use it as `{mapping}` in paths.
    pub id: String,
    /// The source framework's id.
    pub source: String,
    /// The target framework's id.
    pub target: String,
    pub provenance: Provenance,
    pub name: BilingualText,
    /// Number of entries.
    pub entries: usize,
}

impl MappingDto {
    fn of(m: &MappingSet) -> MappingDto {
        MappingDto {
            id: m.id.clone(),
            source: m.source_framework.clone(),
            target: m.target_framework.clone(),
            provenance: m.provenance.into(),
            name: (&m.name).into(),
            entries: m.entries.len(),
        }
    }
}

/// The organization's mapping sets (shipped and imported).
#[derive(Serialize, ToSchema)]
pub struct MappingList {
    pub items: Vec<MappingDto>,
}

/// One relation of a mapping set.
#[derive(Serialize, ToSchema)]
pub struct MappingEntryDto {
    /// Ref of the node in the source framework.
    pub source: String,
    /// Ref of the node in the target framework.
    pub target: String,
    pub relationship: Relationship,
    /// Why the two are related.
    pub basis: Option<String>,
}

/// A mapping set with its entries.
#[derive(Serialize, ToSchema)]
pub struct MappingDetail {
    pub id: String,
    pub source: String,
    pub target: String,
    pub provenance: Provenance,
    pub name: BilingualText,
    pub notes: Option<BilingualText>,
    pub entries: Vec<MappingEntryDto>,
}

/// Import options.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The file name the diagnostics name (default `catalog.yaml`).
    pub name: Option<String>,
    /// Replace frameworks and mapping sets with the same id (a new version of a library)
    /// instead of refusing them as duplicates.
    pub replace: Option<bool>,
}

/// What an import stored.
#[derive(Serialize, ToSchema)]
pub struct StoredCatalogDto {
    pub id: csms_domain::Uuid,
    /// `framework` or `mapping`.
    pub kind: String,
    /// The framework or mapping-set id.
    pub ref_id: String,
    pub name: BilingualText,
    pub source_file: String,
    /// Nodes of a framework, entries of a mapping set.
    pub count: i64,
    /// 1 when new; higher when it replaced an earlier import.
    pub version: i64,
    pub created_at: String,
}

/// The frameworks and mapping sets one file held, all stored.
#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub items: Vec<StoredCatalogDto>,
}

/// The problem of a refused import: every diagnostic, one line each.
#[derive(Serialize, ToSchema)]
pub struct ImportProblem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// `FILE:LINE: what is wrong` (at most 50).
    pub errors: Vec<String>,
}

async fn library(state: &AppState, caller: &Caller) -> Result<OrgLibrary, Problem> {
    let org = &caller.org()?.0;
    Ok(state.library().for_org(state.store(), org.id).await?)
}

/// The organization's frameworks: shipped and imported.
#[utoipa::path(get, path = "/api/v1/frameworks", tag = "catalogs",
    responses((status = 200, body = FrameworkList),
        (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_frameworks(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<FrameworkList>, Problem> {
    let lib = library(&state, &caller).await?;
    Ok(Json(FrameworkList {
        items: lib.frameworks.iter().map(|f| FrameworkDto::of(f)).collect(),
    }))
}

fn unknown_framework(id: &str) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        format!(
            "there is no framework '{}' in this organization; list them with GET /api/v1/frameworks",
            super::shown(id)
        ),
    )
}

/// Every node of a framework in tree order, optionally only those matching a search.
#[utoipa::path(get, path = "/api/v1/frameworks/{framework}/nodes", tag = "catalogs",
    params(("framework" = String, Path, description = "A framework id from GET /api/v1/frameworks"), NodeParams),
    responses((status = 200, body = NodeList),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, description = "No such framework", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_nodes(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    framework: Result<Path<String>, PathRejection>,
    p: Result<Query<NodeParams>, QueryRejection>,
) -> Result<Json<NodeList>, Problem> {
    let Path(framework) = framework.map_err(|e| bad_path(e, "a framework id"))?;
    let Query(p) = p.map_err(bad_query)?;
    let q = p.q.as_deref().map(str::trim).unwrap_or("");
    if q.chars().count() > 200 {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Malformed request",
            "q is limited to 200 characters; search for a shorter text",
        ));
    }
    let lib = library(&state, &caller).await?;
    let fw = lib
        .framework(&framework)
        .ok_or_else(|| unknown_framework(&framework))?;
    let items: Vec<NodeDto> = fw
        .walk()
        .into_iter()
        .filter(|(i, _)| q.is_empty() || node_matches(&fw.catalog.nodes[*i], q))
        .map(|(i, depth)| {
            let n = &fw.catalog.nodes[i];
            NodeDto {
                reference: n.reference.clone(),
                kind: n.kind.into(),
                parent: n.parent.clone(),
                depth,
                title: (&n.title).into(),
                gist: (&n.gist).into(),
                guidance: n.guidance.as_ref().map(Into::into),
                assessable: n.assessable,
                flags: n.flags.clone(),
                security_levels: n.security_levels.clone(),
                references: n
                    .references
                    .iter()
                    .map(|r| NodeReferenceDto {
                        framework: r.framework.clone(),
                        reference: r.reference.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(Json(NodeList {
        framework: fw.id().to_owned(),
        count: items.len(),
        items,
    }))
}

/// The organization's mapping sets: shipped and imported.
#[utoipa::path(get, path = "/api/v1/mappings", tag = "catalogs",
    responses((status = 200, body = MappingList),
        (status = 401, body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn list_mappings(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<MappingList>, Problem> {
    let lib = library(&state, &caller).await?;
    Ok(Json(MappingList {
        items: lib.mappings.iter().map(|m| MappingDto::of(m)).collect(),
    }))
}

/// A mapping set with every entry.
#[utoipa::path(get, path = "/api/v1/mappings/{mapping}", tag = "catalogs",
    params(("mapping" = String, Path, description = "A mapping-set id from GET /api/v1/mappings")),
    responses((status = 200, body = MappingDetail),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, description = "No such mapping set", body = ProblemDto, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn get_mapping(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    mapping: Result<Path<String>, PathRejection>,
) -> Result<Json<MappingDetail>, Problem> {
    let Path(mapping) = mapping.map_err(|e| bad_path(e, "a mapping-set id"))?;
    let lib = library(&state, &caller).await?;
    let m = lib
        .mappings
        .iter()
        .find(|m| m.id == mapping)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                format!(
                    "there is no mapping set '{}' in this organization; list them with GET /api/v1/mappings",
                    super::shown(&mapping)
                ),
            )
        })?;
    Ok(Json(MappingDetail {
        id: m.id.clone(),
        source: m.source_framework.clone(),
        target: m.target_framework.clone(),
        provenance: m.provenance.into(),
        name: (&m.name).into(),
        notes: m.notes.as_ref().map(Into::into),
        entries: m
            .entries
            .iter()
            .map(|e| MappingEntryDto {
                source: e.source.clone(),
                target: e.target.clone(),
                relationship: e.relationship.into(),
                basis: e.basis.clone(),
            })
            .collect(),
    }))
}

fn import_problem(
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    errors: Vec<String>,
) -> Problem {
    let detail = match errors.as_slice() {
        [] => title.to_owned(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (and {} more in errors)", rest.len()),
    };
    Problem {
        extra: Some(serde_json::json!({ "errors": errors })),
        ..Problem::new(status, kind, title, detail)
    }
}

/// Imports a catalog file: a CISO Assistant library (framework or mapping set) or an OpenCSMS
/// catalog or mapping file, in YAML, sent as the request body (at most 16 MB). Everything the
/// file holds is stored, or nothing. Import the frameworks a mapping set relates first.
#[utoipa::path(post, path = "/api/v1/catalogs", tag = "catalogs",
    params(ImportParams),
    request_body(description = "The YAML file itself (not a form)",
        content((String = "application/yaml"), (String = "text/plain"))),
    responses((status = 201, description = "Stored", body = ImportResult),
        (status = 400, body = ProblemDto, content_type = "application/problem+json"),
        (status = 401, body = ProblemDto, content_type = "application/problem+json"),
        (status = 403, body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "A framework or mapping set with the same id exists (send replace=true to replace it), or the id is one of a shipped catalog", body = ImportProblem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 16 MB", body = ProblemDto, content_type = "application/problem+json"),
        (status = 415, description = "Sent as a form; send the file itself", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "The file is not a catalog this version reads; `errors` lists every problem as FILE:LINE: what", body = ImportProblem, content_type = "application/problem+json")),
    security(("token" = [])))]
pub async fn import_catalog(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    p: Result<Query<ImportParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let Query(p) = p.map_err(bad_query)?;
    let org = caller.org()?.0.clone();
    let tr = &caller.tr;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/")
        || content_type.starts_with("application/x-www-form-urlencoded")
    {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send the YAML file itself as the body with Content-Type: application/yaml, not as a form",
        ));
    }
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Too large",
                tr.t1("import-too-large", "limit", UPLOAD_LIMIT / (1024 * 1024)),
            )
        } else {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                "Malformed request",
                tr.t1("import-unreadable", "reason", e.body_text()),
            )
        }
    })?;
    let file_name = display_name(p.name.as_deref().unwrap_or("catalog.yaml"));
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(import_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-catalog",
            "Not a catalog",
            vec![tr.t("import-no-file")],
        ));
    }
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return Err(import_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-catalog",
            "Not a catalog",
            vec![tr.t1("import-not-utf8", "file", &file_name)],
        ));
    };
    match import_text(
        &state,
        &caller,
        &org,
        &file_name,
        &text,
        p.replace.unwrap_or(false),
    )
    .await
    {
        Ok(stored) => {
            let items = stored
                .into_iter()
                .map(|c| StoredCatalogDto {
                    id: c.id,
                    kind: c.kind,
                    ref_id: c.ref_id,
                    name: BilingualText {
                        ja: c.name_ja,
                        en: c.name_en,
                    },
                    source_file: c.source_name,
                    count: c.node_count,
                    version: c.version,
                    created_at: csms_domain::time::format_canonical(c.created_at),
                })
                .collect();
            Ok((StatusCode::CREATED, Json(ImportResult { items })).into_response())
        }
        Err((status, errors)) => Err(match status {
            StatusCode::UNPROCESSABLE_ENTITY => {
                import_problem(status, "invalid-catalog", "Not a catalog", errors)
            }
            StatusCode::CONFLICT => import_problem(status, "duplicate", "Already exists", errors),
            _ => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "the server could not complete the request; the error is in the server log",
            ),
        }),
    }
}
