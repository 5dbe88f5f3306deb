//! The risk register (criteria 4.2.3.3, 4.2.3.9, 4.2.3.10): risk scenarios of systems, zones
//! and assets, their treatment, acceptance and review.
