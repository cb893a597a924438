//! The three layers depend one way: `tfplugin` (protocol) and `bootstrap`
//! (domain) know nothing of each other or of `provider`; only `provider`
//! joins them. `cli` (the operator's commands) uses them all and none of them
//! uses it. This test reads the sources and fails on a wrong-way import.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Code lines (comments dropped) of every Rust file under `src/<layer>`.
fn code_lines(layer: &str) -> Vec<(String, usize, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(layer);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(!files.is_empty(), "no sources under {}", root.display());
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !code.trim().is_empty() {
                out.push((f.display().to_string(), i + 1, code.to_string()));
            }
        }
    }
    out
}

fn forbid(layer: &str, needles: &[&str]) {
    let mut hits = Vec::new();
    for (file, line, code) in code_lines(layer) {
        for n in needles {
            if code.contains(n) {
                hits.push(format!("{file}:{line}: {}", code.trim()));
            }
        }
    }
    assert!(hits.is_empty(), "src/{layer} must not use {needles:?}:\n{}", hits.join("\n"));
}

#[test]
fn protocol_layer_knows_no_domain() {
    forbid("tfplugin", &["crate::bootstrap", "crate::provider", "kubeadm", "Kubeadm"]);
}

#[test]
fn domain_layer_knows_no_protocol() {
    forbid("bootstrap", &["crate::tfplugin", "crate::provider", "tonic", "prost", "rmp", "rmpv", "msgpack"]);
}

#[test]
fn no_layer_knows_the_cli() {
    for layer in ["tfplugin", "bootstrap", "provider"] {
        forbid(layer, &["crate::cli"]);
    }
}
