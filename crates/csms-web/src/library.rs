//! The catalogs an organization works with: the shipped ones (parsed once at start) and the
//! ones it imported (read from the database, cached by content hash so several stateless
//! instances stay consistent: a new import changes the hash and every instance reloads it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use csms_catalog::{Catalog, MappingSet, Node, Relationship};
use csms_domain::Uuid;
use csms_domain::assessment::{Coverage, TreeNode};
use csms_store::assessment::OrgCatalog;
use csms_store::{Store, StoreError};

/// A catalog with its lookups.
#[derive(Debug)]
pub struct Indexed {
    pub catalog: Catalog,
    pub by_ref: HashMap<String, usize>,
    pub children: Vec<Vec<usize>>,
    pub roots: Vec<usize>,
    /// Each node's parent, and its nearest non-assessable ancestor (computed once).
    parents: Vec<Option<usize>>,
    groups: Vec<Option<usize>>,
    /// `None` for shipped catalogs; the import record otherwise.
    pub imported: Option<OrgCatalog>,
}

impl Indexed {
    pub fn new(catalog: Catalog, imported: Option<OrgCatalog>) -> Indexed {
        let by_ref: HashMap<String, usize> = catalog
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.reference.clone(), i))
            .collect();
        let mut children = vec![Vec::new(); catalog.nodes.len()];
        let mut roots = Vec::new();
        let mut parents = vec![None; catalog.nodes.len()];
        for (i, n) in catalog.nodes.iter().enumerate() {
            match n.parent.as_ref().and_then(|p| by_ref.get(p)) {
                Some(&p) => {
                    children[p].push(i);
                    parents[i] = Some(p);
                }
                None => roots.push(i),
            }
        }
        let groups = (0..catalog.nodes.len())
            .map(|i| {
                let mut at = parents[i];
                let mut steps = 0;
                while let Some(p) = at {
                    if !catalog.nodes[p].assessable {
                        return Some(p);
                    }
                    at = parents[p];
                    steps += 1;
                    if steps > catalog.nodes.len() {
                        break;
                    }
                }
                None
            })
            .collect();
        Indexed {
            catalog,
            by_ref,
            children,
            roots,
            parents,
            groups,
            imported,
        }
    }

    pub fn id(&self) -> &str {
        &self.catalog.framework.id
    }

    pub fn node(&self, reference: &str) -> Option<&Node> {
        self.by_ref.get(reference).map(|&i| &self.catalog.nodes[i])
    }

    pub fn parent_of(&self, i: usize) -> Option<usize> {
        self.parents[i]
    }

    /// The tree as the roll-ups see it.
    pub fn tree(&self) -> Vec<TreeNode<'_>> {
        self.catalog
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| TreeNode {
                reference: &n.reference,
                parent: self.parent_of(i),
                assessable: n.assessable,
            })
            .collect()
    }

    /// Every node in tree order (depth first, as the file lists siblings) with its depth.
    pub fn walk(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(self.catalog.nodes.len());
        let mut stack: Vec<(usize, usize)> = self.roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((i, d)) = stack.pop() {
            out.push((i, d));
            for &c in self.children[i].iter().rev() {
                stack.push((c, d + 1));
            }
        }
        out
    }

    pub fn assessable_refs(&self) -> Vec<String> {
        self.walk()
            .into_iter()
            .map(|(i, _)| &self.catalog.nodes[i])
            .filter(|n| n.assessable)
            .map(|n| n.reference.clone())
            .collect()
    }

    /// The maturity range of the framework's scale, if it has one.
    pub fn scale_range(&self) -> Option<(u8, u8)> {
        let s = self.catalog.framework.scale.as_ref()?;
        let lo = s.levels.iter().map(|l| l.value).min()?;
        let hi = s.levels.iter().map(|l| l.value).max()?;
        Some((lo, hi))
    }

    /// The nearest ancestor of node `i` that is not assessable (the clause or element a
    /// requirement sits under), for grouping.
    pub fn group_of(&self, i: usize) -> Option<usize> {
        self.groups[i]
    }
}

/// The shipped catalogs and mapping sets plus a cache of imported ones.
pub struct Library {
    shipped: Vec<Arc<Indexed>>,
    shipped_mappings: Vec<Arc<MappingSet>>,
    cache: Mutex<HashMap<String, Cached>>,
}

#[derive(Clone)]
enum Cached {
    Framework(Arc<Indexed>),
    Mapping(Arc<MappingSet>),
}

impl Default for Library {
    fn default() -> Self {
        Library::shipped()
    }
}

impl Library {
    /// The catalogs and mapping sets in the binary, parsed once per process (checked by the
    /// test suite; a broken one is a bug).
    pub fn shipped() -> Library {
        type Shipped = (Vec<Arc<Indexed>>, Vec<Arc<MappingSet>>);
        static SHIPPED: std::sync::LazyLock<Shipped> = std::sync::LazyLock::new(|| {
            let broken = |what: &str, e: Vec<csms_catalog::Diagnostic>| -> ! {
                panic!(
                    "a shipped {what} is broken: {}",
                    e.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            let catalogs = csms_catalog::shipped().unwrap_or_else(|e| broken("catalog", e));
            let mappings =
                csms_catalog::shipped_mappings().unwrap_or_else(|e| broken("mapping set", e));
            (
                catalogs
                    .into_iter()
                    .map(|c| Arc::new(Indexed::new(c, None)))
                    .collect(),
                mappings.into_iter().map(Arc::new).collect(),
            )
        });
        Library {
            shipped: SHIPPED.0.clone(),
            shipped_mappings: SHIPPED.1.clone(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn shipped_catalogs(&self) -> &[Arc<Indexed>] {
        &self.shipped
    }

    /// The catalogs of one organization: shipped plus imported.
    pub async fn for_org(&self, store: &Store, org_id: Uuid) -> Result<OrgLibrary, StoreError> {
        let imported = store.org_catalogs(org_id).await?;
        let mut frameworks: Vec<Arc<Indexed>> = self.shipped.clone();
        let mut mappings: Vec<Arc<MappingSet>> = self.shipped_mappings.clone();
        for row in imported {
            let key = format!("{}:{}", row.id, row.content_sha256);
            let hit = self.cache.lock().ok().and_then(|c| c.get(&key).cloned());
            let entry = match hit {
                Some(e) => e,
                None => {
                    let content = store.org_catalog_content(org_id, row.id).await?;
                    let entry = if row.kind == "framework" {
                        match serde_json::from_str::<Catalog>(&content) {
                            Ok(c) => {
                                Cached::Framework(Arc::new(Indexed::new(c, Some(row.clone()))))
                            }
                            Err(e) => {
                                tracing::error!(error = %e, id = %row.ref_id, "an imported framework cannot be read");
                                continue;
                            }
                        }
                    } else {
                        match serde_json::from_str::<MappingSet>(&content) {
                            Ok(m) => Cached::Mapping(Arc::new(m)),
                            Err(e) => {
                                tracing::error!(error = %e, id = %row.ref_id, "an imported mapping set cannot be read");
                                continue;
                            }
                        }
                    };
                    if let Ok(mut c) = self.cache.lock() {
                        if c.len() > 256 {
                            c.clear();
                        }
                        c.insert(key, entry.clone());
                    }
                    entry
                }
            };
            match entry {
                Cached::Framework(f) => frameworks.push(f),
                Cached::Mapping(m) => mappings.push(m),
            }
        }
        Ok(OrgLibrary {
            frameworks,
            mappings,
        })
    }
}

/// What one organization can browse and assess.
pub struct OrgLibrary {
    pub frameworks: Vec<Arc<Indexed>>,
    pub mappings: Vec<Arc<MappingSet>>,
}

/// One relation from a requirement to a requirement of another framework, read from the
/// requirement's side.
#[derive(Debug, Clone)]
pub struct Relation {
    pub mapping_id: String,
    pub provenance: &'static str,
    /// The framework and ref on the other side.
    pub framework: String,
    pub reference: String,
    pub relationship: Relationship,
    pub basis: String,
    /// Reached through a node's own reference to another framework (e.g. a JIPDEC clause
    /// carrying its IEC 62443-2-1 id): the ref of that intermediate node.
    pub via: Option<String>,
}

impl OrgLibrary {
    pub fn framework(&self, id: &str) -> Option<&Arc<Indexed>> {
        // Imported frameworks come after the shipped ones; ids do not overlap (imports get a
        // `ciso.` or their own id, refused when it collides with a shipped one).
        self.frameworks.iter().find(|f| f.id() == id)
    }

    /// The relations of a node to nodes of `other` (every framework when `None`), through
    /// every mapping set in either direction, also through the node's own references to
    /// another framework (treated as equal).
    pub fn relations(&self, framework: &str, node: &Node, other: Option<&str>) -> Vec<Relation> {
        let mut starts: Vec<(String, String, Option<String>)> =
            vec![(framework.to_owned(), node.reference.clone(), None)];
        for r in &node.references {
            starts.push((
                r.framework.clone(),
                r.reference.clone(),
                Some(r.reference.clone()),
            ));
        }
        let mut out = Vec::new();
        for (fw, reference, via) in &starts {
            for m in &self.mappings {
                let forward = m.source_framework == *fw;
                let backward = m.target_framework == *fw;
                if !forward && !backward {
                    continue;
                }
                let far = if forward {
                    &m.target_framework
                } else {
                    &m.source_framework
                };
                if far == framework || other.is_some_and(|o| o != far) {
                    continue;
                }
                for e in &m.entries {
                    let (near, far_ref, rel) = if forward {
                        (&e.source, &e.target, e.relationship)
                    } else {
                        (&e.target, &e.source, e.relationship.inverse())
                    };
                    if near != reference {
                        continue;
                    }
                    out.push(Relation {
                        mapping_id: m.id.clone(),
                        provenance: m.provenance.as_str(),
                        framework: far.clone(),
                        reference: far_ref.clone(),
                        relationship: rel,
                        basis: e.basis.clone().unwrap_or_default(),
                        via: via.clone(),
                    });
                }
            }
        }
        out
    }
}

/// How much of a requirement a related requirement of another framework covers, read from
/// the requirement's side ("this is equal to / a subset of the other" means meeting the other
/// meets this one).
pub fn coverage(rel: Relationship) -> Coverage {
    match rel {
        Relationship::Equal | Relationship::Subset => Coverage::Full,
        Relationship::Superset | Relationship::Intersect | Relationship::Related => Coverage::Part,
    }
}
