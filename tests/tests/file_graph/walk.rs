//! From a crate's module tree to its file graph: each file walked for the paths it names (a
//! `use` leaf, a code path of two or more segments, such a path inside a macro call), each
//! resolved and recorded as an edge to the file that defines the item.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::{self, Visit};

use super::circles::Graph;
use super::resolve::{self, Target};
use super::tree::{self, Binding, FileId, ModId, ROOT, Read, Tree, UsePath};

/// Macros whose tokens are code generated for somewhere else (`quote! { crate::X }` names the
/// expansion site's `crate`), not paths of the file they are written in.
const GENERATORS: &[&str] = &[
    "quote",
    "quote_spanned",
    "parse_quote",
    "parse_quote_spanned",
];

/// The file graph of the crate whose root file is `root`; files are named relative to its directory.
pub(crate) fn graph(root: &Path, read: Read<'_>) -> Result<Graph, String> {
    let tree = Tree::load(root, read)?;
    let base = root.parent().unwrap_or(Path::new(""));
    let mut edges = BTreeMap::new();
    for (file, source) in tree.files.iter().enumerate() {
        let mut names = Names {
            tree: &tree,
            file,
            modules: vec![source.module],
            blocks: Vec::new(),
            edges: &mut edges,
        };
        for item in &source.ast.items {
            names.visit_item(item);
        }
    }
    let files = tree.files.iter().map(|f| {
        let relative = f.path.strip_prefix(base).unwrap_or(&f.path);
        relative.to_string_lossy().replace('\\', "/")
    });
    Ok(Graph {
        files: files.collect(),
        edges,
    })
}

/// Walks one file and records an edge for every item it names in another file.
struct Names<'a> {
    tree: &'a Tree,
    file: FileId,
    /// The module being walked, innermost last (`mod m { .. }` blocks push one).
    modules: Vec<ModId>,
    /// Names bound by `use`s inside the blocks being walked, innermost last.
    blocks: Vec<BTreeMap<String, UsePath>>,
    edges: &'a mut BTreeMap<(FileId, FileId), BTreeSet<String>>,
}

impl Names<'_> {
    fn module(&self) -> ModId {
        *self.modules.last().unwrap_or(&ROOT)
    }

    fn record(&mut self, targets: Vec<Target>) {
        for target in targets {
            if let Target::Item { file, name, .. } = target
                && file != self.file
            {
                self.edges
                    .entry((self.file, file))
                    .or_default()
                    .insert(name);
            }
        }
    }

    /// A path in code: its first segment may be a name a block's `use` binds.
    fn code_path(&mut self, mut written: UsePath) {
        if written.segments.len() < 2 {
            return;
        }
        let bound = self
            .blocks
            .iter()
            .rev()
            .find_map(|b| b.get(&written.segments[0]));
        if let (false, Some(bound)) = (written.leading_colon, bound) {
            let mut segments = bound.segments.clone();
            segments.extend(written.segments.drain(1..));
            written = UsePath {
                leading_colon: bound.leading_colon,
                segments,
            };
        }
        let targets = resolve::path(self.tree, self.module(), &written);
        self.record(targets);
    }
}

impl<'ast> Visit<'ast> for Names<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if !tree::is_test_only(tree::attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let Some((_, items)) = &item.content else {
            return; // `mod child;` is no edge; the child's file is walked on its own
        };
        let Some(&child) = self.tree.modules[self.module()]
            .children
            .get(&item.ident.to_string())
        else {
            return;
        };
        self.modules.push(child);
        for item in items {
            self.visit_item(item);
        }
        self.modules.pop();
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        tree::use_leaves(
            &item.tree,
            item.leading_colon.is_some(),
            Vec::new(),
            &mut leaves,
        );
        let module = self.module();
        for (written, binding) in leaves {
            let targets = resolve::path(self.tree, module, &written);
            if !matches!(binding, Binding::Glob) {
                self.record(targets);
                continue;
            }
            for target in targets {
                let Target::Module(from) = target else {
                    self.record(vec![target]); // `use Enum::*`
                    continue;
                };
                for each in resolve::every_name(self.tree, from) {
                    let targets = resolve::name(self.tree, from, &each);
                    self.record(targets);
                }
            }
        }
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let mut bound = BTreeMap::new();
        for stmt in &block.stmts {
            if let syn::Stmt::Item(syn::Item::Use(u)) = stmt {
                if tree::is_test_only(&u.attrs) {
                    continue;
                }
                let mut leaves = Vec::new();
                tree::use_leaves(&u.tree, u.leading_colon.is_some(), Vec::new(), &mut leaves);
                for (written, binding) in leaves {
                    if let Binding::Name(name) = binding {
                        bound.insert(name, written);
                    }
                }
            }
        }
        self.blocks.push(bound);
        visit::visit_block(self, block);
        self.blocks.pop();
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.code_path(UsePath {
            leading_colon: path.leading_colon.is_some(),
            segments,
        });
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        let generator = mac
            .path
            .segments
            .last()
            .is_some_and(|s| GENERATORS.iter().any(|g| s.ident == g));
        if !generator {
            let mut found = Vec::new();
            token_paths(mac.tokens.clone(), &mut found);
            for segments in found {
                self.code_path(UsePath {
                    leading_colon: false,
                    segments,
                });
            }
        }
    }
}

/// The `a::b::c` runs in a macro's tokens, less those after `::`, `$` or `#` (`$crate::x`).
fn token_paths(tokens: TokenStream, out: &mut Vec<Vec<String>>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let colons = |at: usize| {
        matches!((tokens.get(at), tokens.get(at + 1)),
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':')
    };
    let mut at = 0;
    while at < tokens.len() {
        match &tokens[at] {
            TokenTree::Group(group) => token_paths(group.stream(), out),
            TokenTree::Ident(first) => {
                let prefixed = at > 0
                    && matches!(&tokens[at - 1], TokenTree::Punct(p) if matches!(p.as_char(), ':' | '$' | '#'));
                let mut segments = vec![first.to_string()];
                while colons(at + 1) {
                    let Some(TokenTree::Ident(next)) = tokens.get(at + 3) else {
                        break;
                    };
                    segments.push(next.to_string());
                    at += 3;
                }
                if !prefixed {
                    out.push(segments);
                }
            }
            _ => {}
        }
        at += 1;
    }
}
