//! Risk heat maps (likelihood x consequence) as SVG.
