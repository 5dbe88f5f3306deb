//! OpenCSMS domain: the types and rules of the CSMS, with no I/O.
//!
//! Nothing in this crate touches a database, the network, the file system or an async
//! runtime. Every rule here is a plain function over plain types so that it can be
//! tested exhaustively with unit and property tests.

pub mod assessment;
pub mod auth;
pub mod control;
pub mod document;
pub mod inventory;
pub mod org;
pub mod register;
pub mod risk;
pub mod soa;
pub mod time;
pub mod trail;
pub mod zone;

pub use uuid::Uuid;

/// A new application-generated key: UUIDv7, so keys sort by creation time.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
