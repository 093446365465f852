//! A crate's module tree read from its sources: which file each module lives in, the names each
//! module defines, and the names its `use`s bind (still unresolved), found the way rustc finds
//! them (`a.rs`, `a/mod.rs`, `a/b.rs` beside `a.rs`, `#[path]`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use syn::{Attribute, Item, UseTree};

/// Index of a file in [`Tree::files`].
pub(crate) type FileId = usize;
/// Index of a module in [`Tree::modules`].
pub(crate) type ModId = usize;

/// The root module, the crate's `lib.rs` or `main.rs`.
pub(crate) const ROOT: ModId = 0;

/// Reads a source file; `None` when there is none at that path.
pub(crate) type Read<'a> = &'a dyn Fn(&Path) -> Option<String>;

/// One parsed source file and the module its top level is.
pub(crate) struct SourceFile {
    pub(crate) path: PathBuf,
    pub(crate) ast: syn::File,
    pub(crate) module: ModId,
}

/// A name a module defines itself, and the file it is written in.
pub(crate) struct Def {
    pub(crate) file: FileId,
    /// A struct, enum, union, trait or type alias: a path may go on past it (`Verdict::Approved`).
    pub(crate) is_type: bool,
}

/// A path written in a `use` (or a code path), relative to the module it is written in.
#[derive(Clone)]
pub(crate) struct UsePath {
    /// `::name`: another crate.
    pub(crate) leading_colon: bool,
    pub(crate) segments: Vec<String>,
}

/// What one leaf of a `use` tree binds.
pub(crate) enum Binding {
    Name(String),
    Glob,
    /// `as _`: names the item, binds nothing.
    Nothing,
}

/// A module: inline (`mod m { .. }`) or a file of its own.
#[derive(Default)]
pub(crate) struct Module {
    pub(crate) parent: Option<ModId>,
    pub(crate) children: BTreeMap<String, ModId>,
    pub(crate) defs: BTreeMap<String, Vec<Def>>,
    pub(crate) imports: BTreeMap<String, Vec<UsePath>>,
    pub(crate) globs: Vec<UsePath>,
}

/// Every non-test module of one crate.
#[derive(Default)]
pub(crate) struct Tree {
    pub(crate) files: Vec<SourceFile>,
    pub(crate) modules: Vec<Module>,
}

/// Where a module's `mod child;` files are looked for.
struct Dirs {
    /// Children of this module: `dir/child.rs`, `dir/child/mod.rs`.
    children: PathBuf,
    /// The directory of the file being read, base of a top-level `#[path]`.
    file: PathBuf,
    /// Inside a `mod m { .. }` block, where `#[path]` is relative to `children`.
    inline: bool,
}

impl Tree {
    /// Reads the crate whose root file is `root` and every file its modules declare.
    pub(crate) fn load(root: &Path, read: Read<'_>) -> Result<Tree, String> {
        let mut tree = Tree::default();
        tree.modules.push(Module::default());
        tree.read_file(root.to_path_buf(), ROOT, true, read)?;
        Ok(tree)
    }

    /// Parses `path` as module `module`'s file; `mod_rs` when its children sit beside it.
    fn read_file(
        &mut self,
        path: PathBuf,
        module: ModId,
        mod_rs: bool,
        read: Read<'_>,
    ) -> Result<(), String> {
        let text = read(&path).ok_or_else(|| format!("{} cannot be read", path.display()))?;
        let ast = syn::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let children = match path.file_stem() {
            Some(stem) if !mod_rs => dir.join(stem),
            _ => dir.clone(),
        };
        let file = self.files.len();
        self.files.push(SourceFile { path, ast, module });
        let items = std::mem::take(&mut self.files[file].ast.items);
        let dirs = Dirs {
            children,
            file: dir,
            inline: false,
        };
        let added = self.add_items(module, file, &items, &dirs, read);
        self.files[file].ast.items = items;
        added
    }

    fn add_items(
        &mut self,
        module: ModId,
        file: FileId,
        items: &[Item],
        dirs: &Dirs,
        read: Read<'_>,
    ) -> Result<(), String> {
        for item in items.iter().filter(|item| !is_test_only(attrs(item))) {
            match item {
                Item::Mod(m) => {
                    let name = m.ident.to_string();
                    let child = self.modules.len();
                    self.modules.push(Module {
                        parent: Some(module),
                        ..Module::default()
                    });
                    self.modules[module].children.insert(name.clone(), child);
                    let path = path_attr(&m.attrs);
                    match &m.content {
                        Some((_, items)) => {
                            let children = dirs.children.join(path.unwrap_or(name));
                            let inner = Dirs {
                                children,
                                file: dirs.file.clone(),
                                inline: true,
                            };
                            self.add_items(child, file, items, &inner, read)?;
                        }
                        None => {
                            let (path, mod_rs) = match path {
                                Some(p) if dirs.inline => (dirs.children.join(p), true),
                                Some(p) => (dirs.file.join(p), true),
                                None => module_file(&dirs.children, &name, read)?,
                            };
                            self.read_file(path, child, mod_rs, read)?;
                        }
                    }
                }
                Item::Use(u) => {
                    let mut leaves = Vec::new();
                    use_leaves(&u.tree, u.leading_colon.is_some(), Vec::new(), &mut leaves);
                    for (path, binding) in leaves {
                        let module = &mut self.modules[module];
                        match binding {
                            Binding::Name(name) => {
                                module.imports.entry(name).or_default().push(path)
                            }
                            Binding::Glob => module.globs.push(path),
                            Binding::Nothing => {}
                        }
                    }
                }
                Item::ExternCrate(e) if e.ident == "self" => {
                    if let Some((_, alias)) = &e.rename {
                        let path = UsePath {
                            leading_colon: false,
                            segments: vec!["crate".into()],
                        };
                        self.modules[module]
                            .imports
                            .entry(alias.to_string())
                            .or_default()
                            .push(path);
                    }
                }
                Item::Macro(m) => {
                    if let Some(ident) = &m.ident {
                        let def = Def {
                            file,
                            is_type: false,
                        };
                        let exported = m.attrs.iter().any(|a| a.path().is_ident("macro_export"));
                        let home = if exported { ROOT } else { module };
                        self.modules[home]
                            .defs
                            .entry(ident.to_string())
                            .or_default()
                            .push(def);
                    }
                }
                Item::ForeignMod(f) => {
                    for foreign in &f.items {
                        let ident = match foreign {
                            syn::ForeignItem::Fn(f) => &f.sig.ident,
                            syn::ForeignItem::Static(s) => &s.ident,
                            syn::ForeignItem::Type(t) => &t.ident,
                            _ => continue,
                        };
                        let def = Def {
                            file,
                            is_type: false,
                        };
                        self.modules[module]
                            .defs
                            .entry(ident.to_string())
                            .or_default()
                            .push(def);
                    }
                }
                _ => {
                    if let Some((name, is_type)) = defined_name(item) {
                        let def = Def { file, is_type };
                        self.modules[module].defs.entry(name).or_default().push(def);
                    }
                }
            }
        }
        Ok(())
    }
}

/// `dir/name.rs` or `dir/name/mod.rs`, whichever exists; the flag says which.
fn module_file(dir: &Path, name: &str, read: Read<'_>) -> Result<(PathBuf, bool), String> {
    let flat = dir.join(format!("{name}.rs"));
    let nested = dir.join(name).join("mod.rs");
    match (read(&flat).is_some(), read(&nested).is_some()) {
        (true, false) => Ok((flat, false)),
        (false, true) => Ok((nested, true)),
        (true, true) => Err(format!("both {} and {}", flat.display(), nested.display())),
        (false, false) => Err(format!(
            "mod {name}: neither {} nor {}",
            flat.display(),
            nested.display()
        )),
    }
}

/// The name an item defines in its module's namespaces, and whether a path may go on past it.
fn defined_name(item: &Item) -> Option<(String, bool)> {
    let (ident, is_type) = match item {
        Item::Const(i) => (&i.ident, false),
        Item::Enum(i) => (&i.ident, true),
        Item::Fn(i) => (&i.sig.ident, false),
        Item::Static(i) => (&i.ident, false),
        Item::Struct(i) => (&i.ident, true),
        Item::Trait(i) => (&i.ident, true),
        Item::TraitAlias(i) => (&i.ident, true),
        Item::Type(i) => (&i.ident, true),
        Item::Union(i) => (&i.ident, true),
        _ => return None,
    };
    (ident != "_").then(|| (ident.to_string(), is_type))
}

/// Flattens a `use` tree into (full path, binding) leaves.
pub(crate) fn use_leaves(
    tree: &UseTree,
    leading_colon: bool,
    mut prefix: Vec<String>,
    out: &mut Vec<(UsePath, Binding)>,
) {
    let leaf = |segments: Vec<String>| UsePath {
        leading_colon,
        segments,
    };
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_leaves(&p.tree, leading_colon, prefix, out);
        }
        UseTree::Name(n) if n.ident == "self" => {
            let name = prefix
                .last()
                .cloned()
                .map_or(Binding::Nothing, Binding::Name);
            out.push((leaf(prefix), name));
        }
        UseTree::Name(n) => {
            prefix.push(n.ident.to_string());
            out.push((leaf(prefix), Binding::Name(n.ident.to_string())));
        }
        UseTree::Rename(r) => {
            if r.ident != "self" {
                prefix.push(r.ident.to_string());
            }
            let name = if r.rename == "_" {
                Binding::Nothing
            } else {
                Binding::Name(r.rename.to_string())
            };
            out.push((leaf(prefix), name));
        }
        UseTree::Glob(_) => out.push((leaf(prefix), Binding::Glob)),
        UseTree::Group(g) => {
            for tree in &g.items {
                use_leaves(tree, leading_colon, prefix.clone(), out);
            }
        }
    }
}

/// `#[path = ".."]`, if present.
fn path_attr(attrs: &[Attribute]) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.path().is_ident("path"))
        .and_then(|a| match &a.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }),
                ..
            }) => Some(s.value()),
            _ => None,
        })
}

/// `#[cfg(test)]` exactly: compiled only into the crate's own unit tests.
pub(crate) fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Ident>()
                .is_ok_and(|predicate| predicate == "test")
    })
}

/// An item's attributes.
pub(crate) fn attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}
