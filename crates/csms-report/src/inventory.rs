//! The asset inventory as CSV and XLSX: reading an import file into checked rows (with row and
//! column errors) and writing the inventory out in the same layout.
