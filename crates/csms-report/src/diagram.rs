//! The zone and conduit diagram (62443-3-2) as SVG, with an automatic layout.
