//! The risk register and the zone Cybersecurity Requirements Specification as XLSX and CSV.
