//! `csms report …` on the demo organization: every report is written as a file, named as the
//! server names its download, complete and in the asked language (issue 6).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEMO: &str = "minato-chemical";

struct Install {
    dir: tempfile::TempDir,
}

impl Install {
    fn with_demo() -> Install {
        let i = Install {
            dir: tempfile::tempdir().unwrap(),
        };
        i.ok(&["init", "--org-slug", "kashima", "--org-name", "鹿島工場"]);
        i.ok(&["demo"]);
        i
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_csms"))
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CSMS_DATA_DIR", self.dir.path().join("data"))
            .env("CSMS_LOG", "warn")
            .env("CSMS_ADMIN_PASSWORD", "a long enough admin passphrase")
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "csms {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "csms {args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The one file in `dir`.
fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

fn pdf_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"%PDF-"),
        "{} is not a PDF",
        path.display()
    );
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

#[test]
fn reports_are_written_as_files_in_either_language() {
    let i = Install::with_demo();

    // The SoA workbook under its usual name in a directory; the printed hash is the file's.
    let dir = i.path("out");
    std::fs::create_dir(&dir).unwrap();
    let said = i.ok(&[
        "report",
        "soa",
        "--org",
        DEMO,
        "--output",
        dir.to_str().unwrap(),
    ]);
    let xlsx = only_file(&dir);
    let name = xlsx.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("minato-chemical-soa-") && name.ends_with("-ja.xlsx"),
        "{name}"
    );
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    assert!(said.contains(&sha256_of(&xlsx)), "{said}");

    // The SoA as PDF in Japanese: the demo organization's name comes back intact.
    let pdf = i.path("soa.pdf");
    i.ok(&[
        "report",
        "soa",
        "--org",
        DEMO,
        "--format",
        "pdf",
        "--output",
        pdf.to_str().unwrap(),
    ]);
    let text = pdf_text(&pdf);
    assert!(text.contains("みなと化学"), "{text}");
    // An exclusion's justification, as the demo wrote it (line breaks of the table cell
    // aside), and the approval on the page furniture.
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        flat.contains("当工場は制御システムを自社で開発しておらず"),
        "{text}"
    );
    assert!(flat.contains("5.8.1"), "{text}");

    // The risk register in English, the scope, and the certification pack.
    let risks = i.path("risks.pdf");
    i.ok(&[
        "report",
        "risks",
        "--org",
        DEMO,
        "--format",
        "pdf",
        "--lang",
        "en",
        "--output",
        risks.to_str().unwrap(),
    ]);
    assert!(pdf_text(&risks).contains("Minato Chemical"));
    let scope = i.path("scope.pdf");
    i.ok(&[
        "report",
        "scope",
        "--org",
        DEMO,
        "--output",
        scope.to_str().unwrap(),
    ]);
    assert!(pdf_text(&scope).contains("川崎"));
    let pack = i.path("pack.zip");
    i.ok(&[
        "report",
        "pack",
        "--org",
        DEMO,
        "--output",
        pack.to_str().unwrap(),
    ]);
    let zip = std::fs::read(&pack).unwrap();
    assert!(zip.starts_with(b"PK"));
    // ZIP entry names are stored as they are: the manifest and the checksums are there.
    for entry in ["SHA256SUMS", "manifest.csv"] {
        assert!(
            zip.windows(entry.len()).any(|w| w == entry.as_bytes()),
            "{entry} missing from the pack"
        );
    }
    let assessment = i.path("assessment.xlsx");
    i.ok(&[
        "report",
        "assessment",
        "--org",
        DEMO,
        "--output",
        assessment.to_str().unwrap(),
    ]);
    assert!(std::fs::read(&assessment).unwrap().starts_with(b"PK"));
}

#[test]
fn report_errors_say_what_is_wrong() {
    let i = Install::with_demo();
    let e = i.fails(&["report", "soa", "--org", "nowhere"]);
    assert!(e.contains("no organization 'nowhere'"), "{e}");
    let e = i.fails(&["report", "soa", "--org", DEMO, "--number", "99"]);
    assert!(e.contains("no version 99"), "{e}");
    // The organization without content has no statement yet: said, and no file is left.
    let out = i.path("none.xlsx");
    let e = i.fails(&[
        "report",
        "soa",
        "--org",
        "kashima",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(e.contains("no Statement of Applicability"), "{e}");
    assert!(!out.exists());
    let e = i.fails(&[
        "report",
        "soa",
        "--org",
        DEMO,
        "--output",
        i.path("missing/dir/x.xlsx").to_str().unwrap(),
    ]);
    assert!(e.contains("cannot write"), "{e}");
}
