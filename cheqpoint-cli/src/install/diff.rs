//! A file's change shown as a person reads a diff: `-` and `+` lines with two lines of context,
//! the unchanged stretches between them cut to `…`.

/// The lines of context kept around a change.
const CONTEXT: usize = 2;

/// `before` → `after` (a missing file is empty), as `---`/`+++` headers naming `path` and the
/// changed lines; empty when nothing changes.
pub(crate) fn render(path: &str, before: Option<&str>, after: Option<&str>) -> String {
    let old: Vec<&str> = before.unwrap_or_default().lines().collect();
    let new: Vec<&str> = after.unwrap_or_default().lines().collect();
    if before == after {
        return String::new();
    }
    let lines = lines(&old, &new);
    let near = |at: usize| {
        let from = at.saturating_sub(CONTEXT);
        let to = (at + CONTEXT + 1).min(lines.len());
        lines[from..to].iter().any(|(mark, _)| *mark != ' ')
    };
    let mut out = format!(
        "--- {path}{}\n+++ {path}{}\n",
        if before.is_none() { " (new file)" } else { "" },
        if after.is_none() { " (removed)" } else { "" }
    );
    let mut cut = false;
    for (at, (mark, line)) in lines.iter().enumerate() {
        if near(at) {
            out.push_str(&format!("{mark}{line}\n"));
            cut = false;
        } else if !cut {
            out.push_str(" …\n");
            cut = true;
        }
    }
    out
}

/// Each line of `old` and `new` marked ` ` (both), `-` (old only) or `+` (new only), in order:
/// the longest common subsequence of lines.
fn lines<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<(char, &'a str)> {
    let (n, m) = (old.len(), new.len());
    let mut common = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push((' ', old[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || common[i + 1][j] >= common[i][j + 1]) {
            out.push(('-', old[i]));
            i += 1;
        } else {
            out.push(('+', new[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_lines_with_context_and_the_rest_cut() {
        let before = "a\nb\nc\nd\ne\nf\ng\n";
        let after = "a\nb\nc\nd\ne\nF\ng\nh\n";
        assert_eq!(
            render("x.json", Some(before), Some(after)),
            "--- x.json\n+++ x.json\n …\n d\n e\n-f\n+F\n g\n+h\n"
        );
        assert_eq!(render("x", Some(before), Some(before)), "");
        assert!(render("x", None, Some("a\n")).starts_with("--- x (new file)\n"));
    }
}
