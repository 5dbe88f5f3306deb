//! PDF reports (being built for issue 6).
