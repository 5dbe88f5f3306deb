//! (Being built for issue 6.)
