//! Where a path leads: made absolute against the working directory, `~` read as the home
//! folder, `..` resolved, and every existing symlink on the way followed (a dangling one too:
//! a write through it lands at its target). Containment (`under`, `outside`) compares whole
//! components, so `/p-old` is not under `/p`. A path that cannot be placed — relative with no
//! working directory, `~user`, a symlink loop, a folder that cannot be read — is unknown, and
//! an unknown path never lets a rule allow (see [`Judged`]).

use std::{
    cell::RefCell,
    collections::HashMap,
    ffi::OsString,
    io::ErrorKind,
    path::{Component, Path, PathBuf},
};

use serde_json::Value;

use super::{arguments::ArgPath, wildcard::Wildcard};

/// How many symlinks one path may pass through before it counts as a loop (Linux's own limit).
const MAX_LINKS: usize = 40;

/// The argument keys a `path` rule reads when it names none.
pub(crate) const DEFAULT_KEYS: [&str; 3] = ["file_path", "path", "notebook_path"];

/// What a condition says of a call: it holds, it does not, or it cannot be told. A rule whose
/// conditions cannot be told never allows; an ask rule matches, a deny rule asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Judged {
    Yes,
    No,
    Unsure,
}

/// Where one call's paths lead, with `{cwd}` and `{home}`: each path placed once per call,
/// however many rules read it.
#[derive(Debug)]
pub(crate) struct Places<'a> {
    pub(crate) cwd: &'a Path,
    home: Option<&'a Path>,
    placed: RefCell<HashMap<String, Option<PathBuf>>>,
}

impl<'a> Places<'a> {
    pub(crate) fn new(cwd: &'a Path, home: Option<&'a Path>) -> Places<'a> {
        Places {
            cwd,
            home,
            placed: RefCell::default(),
        }
    }

    /// Where `raw` leads, or `None` when that cannot be told.
    pub(crate) fn place(&self, raw: &str) -> Option<PathBuf> {
        if let Some(placed) = self.placed.borrow().get(raw) {
            return placed.clone();
        }
        let placed = self.place_anew(raw);
        self.placed
            .borrow_mut()
            .insert(raw.to_owned(), placed.clone());
        placed
    }

    fn place_anew(&self, raw: &str) -> Option<PathBuf> {
        if raw.is_empty() || raw.contains('\0') {
            return None;
        }
        // The folder the path starts from, itself placed (and placed once a call).
        let (start, rest) = match raw.strip_prefix('~') {
            Some("") => (self.place(self.home?.to_str()?)?, ""),
            Some(rest) if rest.starts_with('/') => (self.place(self.home?.to_str()?)?, &rest[1..]),
            // `~user`: another user's home, which this process does not know.
            Some(_) => return None,
            None if raw.starts_with('/') => (PathBuf::from("/"), raw),
            None if self.cwd.is_absolute() => (self.place(self.cwd.to_str()?)?, raw),
            None => return None,
        };
        resolve(start, Path::new(rest))
    }

    /// A base folder of a rule (`{cwd}`, `{home}/.ssh`, `~/x`, `/etc`, `target` relative to the
    /// working directory), placed.
    fn base(&self, template: &str) -> Option<PathBuf> {
        let cwd = self.cwd.to_str()?;
        let filled = if template.contains("{home}") {
            template.replace("{home}", self.home?.to_str()?)
        } else {
            template.to_owned()
        };
        self.place(&filled.replace("{cwd}", cwd))
    }
}

/// `path` resolved from `start` (a folder already resolved): `.` dropped, `..` taken off what
/// came before it, each symlink replaced by its target. Below a name that does not exist
/// nothing exists either, so no file is looked at there until `..` climbs back.
fn resolve(start: PathBuf, path: &Path) -> Option<PathBuf> {
    let mut todo: Vec<OsString> = parts(path);
    todo.reverse();
    let mut out = start;
    let mut links = 0;
    // How many of `out`'s last names do not exist.
    let mut missing: usize = 0;
    while let Some(part) = todo.pop() {
        match part.to_str() {
            Some(".") => continue,
            Some("..") => {
                out.pop();
                missing = missing.saturating_sub(1);
                continue;
            }
            _ => {}
        }
        let next = out.join(&part);
        if missing > 0 {
            out = next;
            missing += 1;
            continue;
        }
        match std::fs::symlink_metadata(&next) {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return None;
                }
                let target = std::fs::read_link(&next).ok()?;
                if target.is_absolute() {
                    out = PathBuf::from("/");
                }
                // `out` stays the link's folder; the target's parts come next.
                let mut target_parts = parts(&target);
                target_parts.reverse();
                todo.extend(target_parts);
            }
            Ok(_) => out = next,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                out = next;
                missing = 1;
            }
            // Unreadable: it may be a link to anywhere.
            Err(_) => return None,
        }
    }
    Some(out)
}

/// The parts of a path after its root, `.` and `..` kept as parts.
fn parts(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_owned()),
            Component::ParentDir => Some("..".into()),
            Component::CurDir => Some(".".into()),
            Component::RootDir | Component::Prefix(_) => None,
        })
        .collect()
}

/// `path = { at = .., under = .., outside = .., matches = .. }`: every part given must hold.
#[derive(Debug, Clone)]
pub(crate) struct PathCondition {
    at: Vec<ArgPath>,
    /// The argument paths it reads: `at`, or the default keys (made once, read at every call).
    keys: Vec<ArgPath>,
    under: Vec<String>,
    outside: Vec<String>,
    matches: Vec<Wildcard>,
}

impl PathCondition {
    pub(crate) fn new(
        at: Vec<String>,
        under: Vec<String>,
        outside: Vec<String>,
        matches: Vec<String>,
    ) -> Result<PathCondition, String> {
        if under.is_empty() && outside.is_empty() && matches.is_empty() {
            return Err("`path` needs `under`, `outside` or `matches`".into());
        }
        if let Some(bad) = under.iter().chain(&outside).find(|b| b.trim().is_empty()) {
            return Err(format!("`path` names an empty folder ({bad:?})"));
        }
        Ok(PathCondition {
            keys: if at.is_empty() {
                DEFAULT_KEYS.iter().map(|k| ArgPath::parse(k)).collect()
            } else {
                at.iter().map(|at| ArgPath::parse(at)).collect()
            },
            at: at.iter().map(|at| ArgPath::parse(at)).collect(),
            under,
            outside,
            matches: matches.iter().map(|m| Wildcard::path(m)).collect(),
        })
    }

    /// The argument paths it reads: those named, or the default keys.
    pub(crate) fn keys(&self) -> &[ArgPath] {
        &self.keys
    }

    /// True when it names its arguments with `at`.
    pub(crate) fn names_keys(&self) -> bool {
        !self.at.is_empty()
    }

    /// True when every call this condition holds for, `wider` holds for too, by the folders as
    /// written: the same arguments read, each `under` folder inside one of the wider's, each of
    /// the wider's `outside` folders inside one of these, and only the wider's `matches`
    /// patterns. (Folders are compared as written; where a symlink could part them, a grant
    /// checks both conditions at each call.)
    pub(crate) fn within(&self, wider: &PathCondition) -> bool {
        let inside = |inner: &str, outer: &str| {
            let inner = Path::new(inner);
            !inner
                .components()
                .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
                && inner.starts_with(outer)
        };
        let matches_of = |condition: &PathCondition| -> Vec<String> {
            let mut patterns: Vec<String> = condition
                .matches
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect();
            patterns.sort();
            patterns
        };
        self.keys() == wider.keys()
            && (wider.under.is_empty()
                || (!self.under.is_empty()
                    && self
                        .under
                        .iter()
                        .all(|n| wider.under.iter().any(|w| inside(n, w)))))
            && wider
                .outside
                .iter()
                .all(|w| self.outside.iter().any(|n| inside(w, n)))
            && (wider.matches.is_empty()
                || (!self.matches.is_empty()
                    && matches_of(self)
                        .iter()
                        .all(|n| matches_of(wider).contains(n))))
    }

    /// Judges the call's paths: `under` holds when every path is under one of the folders,
    /// `outside` when some path is outside all of them, `matches` when some path matches.
    pub(crate) fn judge(&self, arguments: &Value, places: &Places<'_>) -> Judged {
        let found: Vec<Option<PathBuf>> = self.paths(arguments, places);
        let bases = |list: &[String]| -> Option<Vec<PathBuf>> {
            list.iter().map(|b| places.base(b)).collect()
        };
        let mut verdicts = Vec::new();
        if !self.under.is_empty() {
            verdicts.push(match bases(&self.under) {
                None => Judged::Unsure,
                Some(bases) => all(&found, |p| bases.iter().any(|b| p.starts_with(b))),
            });
        }
        if !self.outside.is_empty() {
            verdicts.push(match bases(&self.outside) {
                None => Judged::Unsure,
                Some(bases) => any(&found, |p| !bases.iter().any(|b| p.starts_with(b))),
            });
        }
        if !self.matches.is_empty() {
            verdicts.push(any(&found, |p| {
                p.to_str()
                    .is_some_and(|p| self.matches.iter().any(|m| m.matches(p)))
            }));
        }
        combine(&verdicts)
    }

    /// Each path the call names, placed; a key holding something other than a string (or a list
    /// of strings) is an unknown place, and a call naming no path at all is one unknown place.
    fn paths(&self, arguments: &Value, places: &Places<'_>) -> Vec<Option<PathBuf>> {
        let mut found = Vec::new();
        for key in &self.keys {
            match key.lookup(arguments) {
                None | Some(Value::Null) => {}
                Some(Value::String(raw)) => found.push(places.place(raw)),
                Some(Value::Array(items)) => found.extend(
                    items
                        .iter()
                        .map(|item| item.as_str().and_then(|raw| places.place(raw))),
                ),
                Some(_) => found.push(None),
            }
        }
        if found.is_empty() {
            found.push(None);
        }
        found
    }
}

/// Yes when `test` holds for every known path and none is unknown.
fn all(found: &[Option<PathBuf>], test: impl Fn(&Path) -> bool) -> Judged {
    if found.iter().flatten().any(|p| !test(p)) {
        Judged::No
    } else if found.iter().any(Option::is_none) {
        Judged::Unsure
    } else {
        Judged::Yes
    }
}

/// Yes when `test` holds for some known path; unsure when it holds for none but one is unknown.
fn any(found: &[Option<PathBuf>], test: impl Fn(&Path) -> bool) -> Judged {
    if found.iter().flatten().any(|p| test(p)) {
        Judged::Yes
    } else if found.iter().any(Option::is_none) {
        Judged::Unsure
    } else {
        Judged::No
    }
}

/// Several verdicts that must all hold.
pub(crate) fn combine(verdicts: &[Judged]) -> Judged {
    if verdicts.contains(&Judged::No) {
        Judged::No
    } else if verdicts.contains(&Judged::Unsure) {
        Judged::Unsure
    } else {
        Judged::Yes
    }
}
