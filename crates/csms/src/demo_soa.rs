//! Demo content of issue 6 (being built).

use csms_domain::Uuid;
use csms_domain::trail::Actor;
use csms_store::Store;

use crate::demo_plant::Plant;

/// Adds this area's demo content to the demo organization: `manager` is the CSMS manager
/// (yamada), `engineer` a contributor (suzuki).
pub async fn add(
    _store: &Store,
    _manager: &Actor,
    _engineer: &Actor,
    _org_id: Uuid,
    _plant: &Plant,
) -> anyhow::Result<()> {
    Ok(())
}
