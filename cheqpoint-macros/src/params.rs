//! Analysing the parameters: what each one is, and how it travels to the reviewer and back. A
//! parameter that cannot be gated is kept as a known name ([`Kind::Invalid`]), so naming it in
//! `skip(..)` or a summary is not reported as a second mistake.

use proc_macro2::Span;
use syn::{
    FnArg, Ident, Lifetime, Pat, Signature, Type, TypeReference, ext::IdentExt, spanned::Spanned,
    visit::Visit, visit_mut::VisitMut,
};

use crate::{
    errors::Errors,
    options::{OptionName, Options},
};

/// One named parameter of the gated function (receivers are never sent).
pub(crate) struct Param {
    /// The parameter as the body names it.
    pub ident: Ident,
    /// Its key in `details`: the name without `r#`.
    pub key: String,
    /// The declared type.
    pub ty: Type,
    pub kind: Kind,
    /// `mut` moved from the signature onto the rebinding.
    pub mutability: Option<syn::Token![mut]>,
    /// `#[cfg(..)]` and `#[cfg_attr(..)]` of the parameter, repeated on what is generated for it.
    pub cfg_attrs: Vec<syn::Attribute>,
    /// Lint attributes (`#[allow(..)]`, `#[expect(..)]`, …) moved from the signature onto the
    /// rebinding, the binding the body uses.
    pub lint_attrs: Vec<syn::Attribute>,
}

/// How a parameter travels.
pub(crate) enum Kind {
    /// Sent; an edit replaces the value.
    Owned,
    /// `&T`: sent; an edit is read into `T::Owned` and borrowed.
    Shared(Type),
    /// `&mut T`: sent; an edit is written through the reference.
    Exclusive(Type),
    /// Sent; an edit fails the call.
    Readonly,
    /// Not sent.
    Skipped,
    /// Cannot be gated as written; reported already.
    Invalid,
}

impl Param {
    /// True when the parameter goes into `details`.
    pub(crate) fn is_sent(&self) -> bool {
        matches!(
            self.kind,
            Kind::Owned | Kind::Shared(_) | Kind::Exclusive(_) | Kind::Readonly
        )
    }

    /// True when a reviewer's edit may change it.
    pub(crate) fn is_editable(&self) -> bool {
        matches!(
            self.kind,
            Kind::Owned | Kind::Shared(_) | Kind::Exclusive(_)
        )
    }

    /// True when the body sees it through a new binding (the approved value, or for a
    /// read-only one the same value, carrying the parameter's `mut` and lint attributes).
    pub(crate) fn is_rebound(&self) -> bool {
        matches!(self.kind, Kind::Owned | Kind::Shared(_) | Kind::Readonly)
    }

    /// Where an error about reading an edit into the parameter points: the `T` of a `&T`, else
    /// the type. The compiler points there itself, so a call spanned here adds no second label.
    pub(crate) fn edit_span(&self) -> Span {
        match unparen(&self.ty) {
            Type::Reference(reference) => reference.elem.span(),
            other => other.span(),
        }
    }
}

/// Reads the parameters of `sig`, moving `mut` and lint attributes off those that are rebound,
/// and checks them against `skip(..)` and `readonly(..)`.
pub(crate) fn analyse(sig: &mut Signature, options: &Options, errors: &mut Errors) -> Vec<Param> {
    if let Some(variadic) = &sig.variadic {
        errors.at(
            variadic,
            "#[checkpoint] cannot send variadic arguments; take a slice instead",
        );
    }
    // Without a readable `skip`/`readonly`, a parameter they might have excused is not judged.
    let lists_known = !options.failed(OptionName::Skip) && !options.failed(OptionName::Readonly);
    let mut params = Vec::new();
    for arg in sig.inputs.iter_mut() {
        let FnArg::Typed(typed) = arg else { continue };
        let Pat::Ident(binding) = &mut *typed.pat else {
            errors.at(
                &typed.pat,
                "#[checkpoint] sends each parameter under its name: bind this one to a name (e.g. `point: Point`) and destructure it in the body",
            );
            continue;
        };
        let ident = binding.ident.clone();
        let skipped = contains(&options.skip, &ident);
        let readonly = contains(&options.readonly, &ident);
        let mut kind = if skipped {
            Kind::Skipped
        } else if readonly {
            Kind::Readonly
        } else {
            match unparen(&typed.ty) {
                Type::Reference(TypeReference {
                    mutability: Some(_),
                    elem,
                    ..
                }) => Kind::Exclusive((**elem).clone()),
                Type::Reference(TypeReference { elem, .. }) => Kind::Shared((**elem).clone()),
                _ => Kind::Owned,
            }
        };
        if binding.by_ref.is_some() || binding.subpat.is_some() {
            errors.at(
                &*binding,
                "#[checkpoint] sends each parameter under its name: write a plain `name: Type`",
            );
            kind = Kind::Invalid;
        } else if matches!(kind, Kind::Owned | Kind::Shared(_) | Kind::Exclusive(_))
            && lists_known
            && let Some(problem) = cannot_take_edits(&typed.ty, &kind)
        {
            errors.at(&typed.ty, problem.explain(&ident));
            kind = Kind::Invalid;
        } else if !lists_known && !matches!(kind, Kind::Skipped | Kind::Readonly) {
            kind = Kind::Invalid;
        }
        let param = Param {
            key: ident.unraw().to_string(),
            ident,
            ty: (*typed.ty).clone(),
            mutability: None,
            cfg_attrs: typed
                .attrs
                .iter()
                .filter(|attr| attr.path().is_ident("cfg") || attr.path().is_ident("cfg_attr"))
                .cloned()
                .collect(),
            lint_attrs: Vec::new(),
            kind,
        };
        let param = if param.is_rebound() {
            let (lints, others) = typed.attrs.drain(..).partition(is_lint);
            typed.attrs = others;
            Param {
                mutability: binding.mutability.take(),
                lint_attrs: lints,
                ..param
            }
        } else {
            param
        };
        params.push(param);
    }
    check_names(&params, options, errors);
    params
}

/// Why a parameter cannot take the reviewer's edits as written.
enum Problem {
    /// An `impl Trait` or `dyn Trait` type: an edit cannot be rebuilt into it.
    TraitType(&'static str),
    /// A borrow the edited value, a new value made during the call, cannot live for.
    Borrow(String),
}

impl Problem {
    fn explain(&self, ident: &Ident) -> String {
        match self {
            Problem::TraitType(kind) => format!(
                "{kind} parameter cannot take the reviewer's edits: add `readonly({ident})` to send it unedited, or `skip({ident})` to keep it out"
            ),
            Problem::Borrow(borrow) => format!(
                "`{ident}` {borrow}, and an edited value is made during the call, so it cannot live that long: add `readonly({ident})` to send it and run the caller's value unedited, or take it by value"
            ),
        }
    }
}

/// The reason `ty` cannot take edits, when it cannot: a trait type anywhere; a borrow for a
/// named or `'static` lifetime; a borrow inside an owned type.
fn cannot_take_edits(ty: &Type, kind: &Kind) -> Option<Problem> {
    if let Some(kind) = trait_type(ty) {
        return Some(Problem::TraitType(kind));
    }
    let (outer, inner) = match (unparen(ty), kind) {
        (Type::Reference(reference), Kind::Shared(elem)) => (reference.lifetime.as_ref(), elem),
        (Type::Reference(_), Kind::Exclusive(elem)) => (None, elem),
        (ty, _) => (None, ty),
    };
    if let Some(lifetime) = outer.filter(|lifetime| lifetime.ident != "_") {
        return Some(Problem::Borrow(format!("borrows for `{lifetime}`")));
    }
    borrow_inside(inner).map(Problem::Borrow)
}

/// A borrow held inside an owned type (`Option<&str>`, `Cow<'a, str>`), described.
fn borrow_inside(ty: &Type) -> Option<String> {
    struct Finder(Option<String>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_type_reference(&mut self, _: &'ast TypeReference) {
            self.0
                .get_or_insert_with(|| "holds a borrow inside its type".to_owned());
        }
        fn visit_lifetime(&mut self, lifetime: &'ast Lifetime) {
            if lifetime.ident != "static" {
                self.0.get_or_insert_with(|| {
                    format!("holds a borrow for `{lifetime}` inside its type")
                });
            }
        }
    }
    let mut finder = Finder(None);
    finder.visit_type(ty);
    finder.0
}

/// `skip` and `readonly` must name parameters, each once, and not the same one in both.
fn check_names(params: &[Param], options: &Options, errors: &mut Errors) {
    let known: Vec<String> = params
        .iter()
        .map(|param| format!("`{}`", param.ident))
        .collect();
    for (option, names) in [("skip", &options.skip), ("readonly", &options.readonly)] {
        for (index, name) in names.iter().enumerate() {
            if contains(&names[..index], name) {
                errors.at(
                    name,
                    format!("`{name}` is named twice in `{option}(..)`; name it once"),
                );
            } else if !params
                .iter()
                .any(|param| param.ident.unraw() == name.unraw())
            {
                let listed = if known.is_empty() {
                    "it has none".to_owned()
                } else {
                    format!("they are {}", known.join(", "))
                };
                errors.at(
                    name,
                    format!("`{option}({name})` names no parameter of this fn; {listed}"),
                );
            }
        }
    }
    for name in &options.readonly {
        if contains(&options.skip, name) {
            errors.at(
                name,
                format!("`{name}` is both `skip`ped and `readonly`: skip keeps it from the reviewer, readonly shows it without edits; choose one"),
            );
        }
    }
}

/// True for `#[allow]`, `#[expect]`, `#[warn]`, `#[deny]` and `#[forbid]`.
fn is_lint(attr: &syn::Attribute) -> bool {
    ["allow", "expect", "warn", "deny", "forbid"]
        .iter()
        .any(|lint| attr.path().is_ident(lint))
}

/// True when `names` holds `ident`, `r#name` and `name` being the same parameter.
fn contains(names: &[Ident], ident: &Ident) -> bool {
    names.iter().any(|name| name.unraw() == ident.unraw())
}

pub(crate) fn unparen(ty: &Type) -> &Type {
    match ty {
        Type::Paren(inner) => unparen(&inner.elem),
        Type::Group(inner) => unparen(&inner.elem),
        other => other,
    }
}

/// "an `impl Trait`" or "a `dyn Trait`" when a trait type appears anywhere in `ty`: its value
/// cannot be rebuilt from an edit.
fn trait_type(ty: &Type) -> Option<&'static str> {
    struct Finder(Option<&'static str>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = Some("an `impl Trait`");
        }
        fn visit_type_trait_object(&mut self, _: &'ast syn::TypeTraitObject) {
            self.0.get_or_insert("a `dyn Trait`");
        }
    }
    let mut finder = Finder(None);
    finder.visit_type(ty);
    finder.0
}

/// `ty` with every `impl Trait` replaced by `_`, so it can be named in an expression.
pub(crate) fn erase_impl_trait(ty: &Type) -> Type {
    struct Eraser;
    impl VisitMut for Eraser {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(impl_trait) = ty {
                let span = impl_trait.impl_token.span();
                *ty = syn::parse_quote_spanned!(span=> _);
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut erased = ty.clone();
    Eraser.visit_type_mut(&mut erased);
    erased
}
