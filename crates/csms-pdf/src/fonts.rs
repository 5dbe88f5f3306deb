//! The fonts of the reports: Noto Sans CJK JP Regular and Bold, read from a directory.
//!
//! Debian's `fonts-noto-cjk` installs the static TTC collections
//! `NotoSansCJK-Regular.ttc` and `NotoSansCJK-Bold.ttc` (face 0 of each is the JP variant).
//! The variable `*-VF.otf.ttc` fonts are not used: Typst renders them as empty boxes.

use std::path::{Path, PathBuf};

use typst::foundations::Bytes;
use typst::text::Font;

use crate::PdfError;

/// Where Debian installs the fonts.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts/opentype/noto";

/// The environment variable naming another directory.
pub const FONT_DIR_ENV: &str = "CSMS_FONT_DIR";

/// The files read from the directory (face 0 of each: Japanese).
pub const FONT_FILES: [&str; 2] = ["NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"];

/// The family name the template asks for.
pub const FAMILY: &str = "Noto Sans CJK JP";

/// The font directory: `CSMS_FONT_DIR` when set (and not empty), else the Debian path.
pub fn font_dir() -> PathBuf {
    std::env::var_os(FONT_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_FONT_DIR), PathBuf::from)
}

/// Reads the two faces from [`font_dir`].
pub(crate) fn load() -> Result<Vec<Font>, PdfError> {
    load_from(&font_dir())
}

/// Reads the two faces from `dir`; the error names the file, the package and the variable.
pub fn load_from(dir: &Path) -> Result<Vec<Font>, PdfError> {
    let mut out = Vec::with_capacity(FONT_FILES.len());
    for name in FONT_FILES {
        let path = dir.join(name);
        let data = std::fs::read(&path).map_err(|e| {
            PdfError::Fonts(format!(
                "the Japanese font {} cannot be read ({e}); install the Debian package \
                 fonts-noto-cjk, or set {FONT_DIR_ENV} to a directory holding {} and {}",
                path.display(),
                FONT_FILES[0],
                FONT_FILES[1]
            ))
        })?;
        let font = Font::new(Bytes::new(data), 0).ok_or_else(|| {
            PdfError::Fonts(format!(
                "{} is not a font collection Typst can read (expected the static Noto Sans CJK \
                 TTC of the package fonts-noto-cjk, not the variable VF font)",
                path.display()
            ))
        })?;
        if !font.info().family.eq_ignore_ascii_case(FAMILY) {
            return Err(PdfError::Fonts(format!(
                "face 0 of {} is \"{}\", not \"{FAMILY}\"; use the files of the package \
                 fonts-noto-cjk",
                path.display(),
                font.info().family
            )));
        }
        out.push(font);
    }
    Ok(out)
}
