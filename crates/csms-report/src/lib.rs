//! Documents rendered from domain data.
//!
//! This crate never queries a database: callers pass the data, already localized for the
//! reader, and get bytes or text back.
//!
//! - [`assessment`] — a conformance assessment as an XLSX workbook or an RFC 4180 CSV file.

pub mod assessment;
mod error;

pub use error::ReportError;
