//! The default members (`cargo run --example quickstart`) build no C crypto library: rustls runs
//! on `ring`, handed over by `cheqpoint::http_client_builder`, and nothing in their tree turns on
//! reqwest's own provider, `aws-lc-rs`, whose C source alone takes longer to compile than the
//! rest of the quickstart.

use std::{path::Path, process::Command};

#[test]
fn the_quickstart_builds_no_aws_lc() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tree = Command::new(env!("CARGO"))
        .current_dir(&workspace)
        .args([
            "tree",
            "--offline",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}"])
        .output()
        .expect("cargo runs");
    let listed = String::from_utf8_lossy(&tree.stdout);
    assert!(
        tree.status.success() && listed.contains("cheqpoint-examples"),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&tree.stderr)
    );
    assert!(
        listed.contains("ring v"),
        "rustls's provider is ring:\n{listed}"
    );
    let c_crypto: Vec<&str> = listed
        .lines()
        .filter(|line| line.starts_with("aws-lc") || line.starts_with("openssl-sys"))
        .collect();
    assert!(
        c_crypto.is_empty(),
        "the default members build C crypto: {c_crypto:?} (`cargo tree -i aws-lc-sys` says why)"
    );
}
