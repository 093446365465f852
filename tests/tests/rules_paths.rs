//! `path` rules on real files in a temporary folder: relative paths start at the working
//! directory, `..` is resolved, and a symlink is judged by where it leads (a dangling one by
//! where a write through it would land). A path that cannot be placed never lets an allow
//! rule match.

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering::SeqCst},
};

use cheqpoint::policy::rules::{Decide, Rules};
use serde_json::{Value, json};

use Decide::{Allow, Ask, Deny};

const RULES: &str = r#"
[[rule]]
tool = "Write|Edit"
path = { under = "{cwd}" }
decide = "allow"

[[rule]]
tool = "Write|Edit"
path = { outside = "{cwd}" }
decide = "ask"
risk = 0.8

[[rule]]
tool = "Write|Edit"
path = { matches = ["**/.env", "**/.git/**"] }
decide = "deny"
reason = "secrets and git internals stay as they are"

[[rule]]
tool = "read_multiple_files"
path = { at = "paths", under = ["{cwd}", "/usr/share"] }
decide = "allow"
"#;

/// A project beside another folder, in a fresh temporary folder: `project/src`, links from
/// inside to inside and to outside, a dangling link to outside, a loop, and a sibling whose
/// name starts like the project's.
struct Tree {
    root: PathBuf,
    project: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        // One folder a tree: the tests of a file run at once.
        static TREES: AtomicUsize = AtomicUsize::new(0);
        let n = TREES.fetch_add(1, SeqCst);
        let root =
            std::env::temp_dir().join(format!("cheqpoint-rules-paths-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let project = root.join("project");
        let outside = root.join("outside");
        for dir in [
            project.join("src"),
            outside.clone(),
            root.join("project-old"),
        ] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(project.join("Cargo.toml"), "").unwrap();
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, project.join(name)).unwrap()
        };
        link(&outside, "out");
        link(&project.join("src"), "inner");
        link(&outside.join("not-yet"), "dangling");
        link(&project.join("loop-b"), "loop-a");
        link(&project.join("loop-a"), "loop-b");
        Tree { root, project }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[test]
fn paths_are_judged_where_they_lead() {
    let tree = Tree::new();
    let rules: Rules = toml::from_str(RULES).unwrap();
    let project = tree.project.to_str().unwrap();
    let sibling = format!("{project}-old/x.rs");
    let absolute_inside = format!("{project}/src/lib.rs");
    let cases: Vec<(Value, Decide, &str)> = vec![
        (json!("src/lib.rs"), Allow, "a relative path inside"),
        (
            json!("./src/../Cargo.toml"),
            Allow,
            "`..` that stays inside",
        ),
        (json!(absolute_inside), Allow, "an absolute path inside"),
        (
            json!("new/dir/file.rs"),
            Allow,
            "a file that does not exist yet, inside",
        ),
        (json!("inner/lib.rs"), Allow, "a link from inside to inside"),
        (json!("src/../../outside/x"), Ask, "`..` that leaves"),
        (json!("../outside/x"), Ask, "a relative path outside"),
        (
            json!(sibling),
            Ask,
            "a sibling whose name starts like the project's",
        ),
        (json!("out/x"), Ask, "a link from inside to outside"),
        (json!("inner/../../outside/x"), Ask, "`..` after a link"),
        (
            json!("dangling"),
            Ask,
            "a dangling link: the write lands outside",
        ),
        (json!("loop-a/x"), Ask, "a link loop cannot be placed"),
        (json!("~/x"), Ask, "the home folder"),
        (
            json!("~someone/x"),
            Ask,
            "another user's home cannot be placed",
        ),
        (json!(""), Ask, "an empty path cannot be placed"),
        (json!(5), Ask, "a path that is no string"),
        (json!(".env"), Deny, "a deny by pattern"),
        (json!("src/.git/config"), Deny, "a deny by a deep pattern"),
        (json!("inner/.env"), Deny, "a deny through a link"),
    ];
    let mut wrong = Vec::new();
    for (path, expected, what) in &cases {
        let ruling = rules.decide("Write", &json!({ "file_path": path }), &tree.project);
        if ruling.decide != *expected {
            wrong.push(format!("{what}: {path} got {}", ruling.explain()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The ask rule's settings come with its decision, and a missing path is asked about.
    let outside = rules.decide("Edit", &json!({"file_path": "/etc/passwd"}), &tree.project);
    assert_eq!((outside.decide, outside.ask.risk), (Ask, Some(0.8)));
    assert_eq!(outside.rules[0].index, 1);
    assert_eq!(rules.decide("Write", &json!({}), &tree.project).decide, Ask);
    // Without a working directory, a relative path cannot be placed.
    assert_eq!(
        rules
            .decide("Write", &json!({"file_path": "src/x"}), Path::new(""))
            .decide,
        Ask
    );
}

#[test]
fn every_path_of_a_list_must_be_inside() {
    let tree = Tree::new();
    let rules: Rules = toml::from_str(RULES).unwrap();
    let decide = |paths: Value| {
        rules
            .decide(
                "read_multiple_files",
                &json!({ "paths": paths }),
                &tree.project,
            )
            .decide
    };
    assert_eq!(decide(json!(["src/a", "/usr/share/dict/words"])), Allow);
    assert_eq!(decide(json!(["src/a", "out/secret"])), Ask);
    assert_eq!(decide(json!(["src/a", 7])), Ask);
    assert_eq!(decide(json!([])), Ask);
}
