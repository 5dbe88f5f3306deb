//! `csms evidence verify` and attachments in backups, driven through the command line (issue 6).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ADMIN_PASSWORD: &str = "a long enough admin passphrase";

struct Install {
    dir: tempfile::TempDir,
}

impl Install {
    fn new() -> Install {
        Install {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_csms"))
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CSMS_DATA_DIR", self.data_dir())
            .env("CSMS_LOG", "warn")
            .env("CSMS_ADMIN_PASSWORD", ADMIN_PASSWORD)
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
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn verify_finds_tampered_and_missing_attachments_and_backups_carry_them() {
    let source = Install::new();
    source.ok(&["init", "--org-slug", "kashima", "--org-name", "鹿島工場"]);
    source.ok(&["demo"]);
    let store_dir = source.data_dir().join("attachments").join("sha256");
    let files = files_under(&store_dir);
    assert!(files.len() >= 5, "the demo documents' files: {files:?}");
    let out = source.ok(&["evidence", "verify"]);
    assert!(
        out.contains(&format!("{} ok, 0 missing, 0 tampered", files.len())),
        "{out}"
    );

    // A backup carries the attachments; restored elsewhere, they verify.
    let file = source.dir.path().join("csms.backup");
    source.ok(&["backup", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("{\"blob\":").count(), files.len());
    let target = Install::new();
    std::fs::create_dir_all(target.data_dir()).unwrap();
    std::fs::copy(
        source.data_dir().join("trail.key"),
        target.data_dir().join("trail.key"),
    )
    .unwrap();
    target.ok(&["restore", file.to_str().unwrap()]);
    let restored = files_under(&target.data_dir().join("attachments").join("sha256"));
    assert_eq!(restored.len(), files.len());
    for (a, b) in files.iter().zip(&restored) {
        assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    }
    let out = target.ok(&["evidence", "verify", "--org", "minato-chemical"]);
    assert!(out.contains("0 missing, 0 tampered"), "{out}");

    // Tamper with one file and delete another: both are reported and the exit status is 1.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    bytes.extend_from_slice(b" (edited)");
    std::fs::write(&files[0], bytes).unwrap();
    std::fs::remove_file(&files[1]).unwrap();
    let out = source.run(&["evidence", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let name = |p: &Path| p.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        text.contains(&format!("TAMPERED  {}", name(&files[0]))),
        "{text}"
    );
    assert!(
        text.contains(&format!("MISSING   {}", name(&files[1]))),
        "{text}"
    );
    assert!(text.contains("1 missing, 1 tampered"), "{text}");
    // A backup refuses to carry a tampered attachment.
    let out = source.run(&["backup", source.dir.path().join("b2").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    // An unknown organization is named.
    let out = source.run(&["evidence", "verify", "--org", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no organization 'nope'"));
}

#[test]
fn a_tampered_backup_attachment_is_refused() {
    let source = Install::new();
    source.ok(&["init", "--org-slug", "kashima", "--org-name", "鹿島工場"]);
    source.ok(&["demo"]);
    let file = source.dir.path().join("csms.backup");
    source.ok(&["backup", file.to_str().unwrap()]);
    // Remove one attachment's content lines and fix nothing else: the checksum catches it.
    let text = std::fs::read_to_string(&file).unwrap();
    let cut: Vec<&str> = text
        .lines()
        .filter({
            let mut first_chunk = true;
            move |l| {
                if l.starts_with("{\"chunk\":") && first_chunk {
                    first_chunk = false;
                    return false;
                }
                true
            }
        })
        .collect();
    std::fs::write(&file, cut.join("\n") + "\n").unwrap();
    let target = Install::new();
    std::fs::create_dir_all(target.data_dir()).unwrap();
    std::fs::copy(
        source.data_dir().join("trail.key"),
        target.data_dir().join("trail.key"),
    )
    .unwrap();
    let out = target.run(&["restore", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}
