//! Documents rendered from domain data.
//!
//! This crate never queries a database: callers pass the data, already localized for the
//! reader, and get bytes or text back.
//!
//! - [`assessment`] — a conformance assessment as an XLSX workbook or an RFC 4180 CSV file.
//! - [`diagram`] — the zone and conduit diagram as SVG.
//! - [`heatmap`] — risk heat maps as SVG.
//! - [`inventory`] — the asset inventory: import files read and checked, exports written.
//! - [`register`] — the risk register and a zone's requirements specification.
//! - [`table`] — titled tables written as XLSX sheets or CSV (the register and CRS exports).

pub mod assessment;
pub mod diagram;
mod error;
pub mod heatmap;
pub mod inventory;
pub mod register;
pub mod soa;
pub mod table;

pub use error::ReportError;
