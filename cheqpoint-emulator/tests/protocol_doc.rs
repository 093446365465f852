//! The contract the emulator cites is in the workspace: every section of docs/protocol.md that the
//! emulator's sources and tests cite (by its number) is in that file.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
    found
}

#[test]
fn every_cited_section_is_in_docs_protocol_md() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let protocol = fs::read_to_string(crate_dir.join("../docs/protocol.md"))
        .expect("docs/protocol.md is in the workspace");
    // Spelled in two parts, so that this file does not cite itself.
    let citation = ["docs/protocol.md ", "§"].concat();
    let mut cited = 0;
    for file in [crate_dir.join("src"), crate_dir.join("tests")]
        .iter()
        .flat_map(|dir| sources(dir))
    {
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains(&["PROTOCOL", ".md"].concat()),
            "{} cites a contract that is not in the project",
            file.display()
        );
        for (at, _) in text.match_indices(&citation) {
            let section: String = text[at + citation.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            assert!(
                protocol.contains(&format!("\n## §{section} ")),
                "{} cites §{section}, which docs/protocol.md does not have",
                file.display()
            );
            cited += 1;
        }
    }
    assert!(cited >= 4, "only {cited} citations found");
}
