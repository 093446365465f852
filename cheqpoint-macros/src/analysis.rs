//! From the attribute and the fn to a [`Plan`]: what to send, what may be edited, and what the
//! gated fn returns its refusals through. Pure: it reads syntax and records mistakes, all of
//! them; generation starts only from a finished plan.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Path, ReturnType, Type, TypeImplTrait, TypeParamBound, ext::IdentExt, visit::Visit};

use crate::{
    errors::Errors,
    item::GatedItem,
    options::Options,
    params::{self, Param, unparen},
    template,
};

/// What the generated fn does, decided.
pub(crate) struct Plan {
    pub params: Vec<Param>,
    /// The action's name.
    pub action: String,
    /// The expression that builds the summary.
    pub summary: TokenStream,
    /// The expression that builds the operation's key, when `key = ..` gives one.
    pub key: Option<TokenStream>,
    /// The path of the `cheqpoint` crate.
    pub krate: Path,
    /// The declared return type, through which refusals are returned.
    pub output: Type,
    /// True for an `async fn`; a plain fn waits on its thread.
    pub is_async: bool,
}

/// Analyses `item` under `options`, moving `mut` and lint attributes off the parameters that
/// the generated code rebinds. `None` when anything was wrong; every mistake is in `errors`.
pub(crate) fn analyse(
    options: &Options,
    item: &mut GatedItem,
    errors: &mut Errors,
) -> Option<Plan> {
    check_signature(item, errors);
    let params = params::analyse(&mut item.sig, options, errors);
    let action = options.action.as_ref().map_or_else(
        || item.sig.ident.unraw().to_string(),
        |action| action.value(),
    );
    let summary = match &options.summary {
        Some(template) => template::expand("summary", template, &params, errors),
        None => literal_summary(&readable(&action)),
    };
    let key = options
        .key
        .as_ref()
        .map(|template| template::expand("key", template, &params, errors));
    let ReturnType::Type(_, output) = &item.sig.output else {
        return None;
    };
    Some(Plan {
        output: (**output).clone(),
        is_async: item.sig.asyncness.is_some(),
        params,
        action,
        summary,
        key,
        krate: options
            .krate
            .clone()
            .unwrap_or_else(|| syn::parse_quote!(::cheqpoint)),
    })
}

/// What the signature must be for a gate to stand in front of the body.
fn check_signature(item: &GatedItem, errors: &mut Errors) {
    let sig = &item.sig;
    if let Some(constness) = &sig.constness {
        errors.at(
            constness,
            "a `const fn` cannot wait for a reviewer: remove `const` to use #[checkpoint]",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, "#[checkpoint] cannot gate an `extern` fn: gate a Rust fn and call it from the `extern` one");
    }
    match &sig.output {
        ReturnType::Default => errors.at(
            &sig.ident,
            format!(
                "a #[checkpoint] fn returns the rejection as an error: declare `-> Result<T, E>` with `E: From<cheqpoint::Error>`, e.g. `fn {}(..) -> Result<(), cheqpoint::Error>`",
                sig.ident
            ),
        ),
        ReturnType::Type(_, ty) => check_output(ty, errors),
    }
    for attr in &item.outer_attrs {
        if is_checkpoint(attr.path()) {
            errors.at(attr, "#[checkpoint] is applied twice; keep one");
        }
    }
    if item.is_gated() {
        errors.push(syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[checkpoint] is applied twice (once under another name); keep one",
        ));
    }
}

/// `#[checkpoint]` or `#[cheqpoint::checkpoint]`; another crate's `checkpoint` is theirs.
fn is_checkpoint(path: &Path) -> bool {
    let names: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    match names.as_slice() {
        [name] => name == "checkpoint",
        [krate, name] => krate == "cheqpoint" && name == "checkpoint",
        _ => false,
    }
}

/// A return type that could hide the rejection, or a future the gate cannot wait inside.
fn check_output(ty: &Type, errors: &mut Errors) {
    match unparen(ty) {
        Type::ImplTrait(opaque) if bounds_future(opaque.bounds.iter()) => errors.at(
            ty,
            "#[checkpoint] waits inside the fn, so it cannot gate a fn that returns a future: write `async fn name(..) -> Result<T, E>` instead of returning `impl Future`",
        ),
        Type::ImplTrait(_) => errors.at(
            ty,
            "a #[checkpoint] fn must return its rejection, which `-> impl Trait` would hide: return `Result<impl Trait, cheqpoint::Error>` (or a `Result` with your own error type that implements `From<cheqpoint::Error>`)",
        ),
        _ if holds_future(ty) => errors.at(
            ty,
            "this fn returns a boxed future (the shape `#[async_trait]` gives trait methods), which #[checkpoint] cannot wait inside: put #[checkpoint] on an inherent or free `async fn` and call it from the trait method",
        ),
        _ => {}
    }
}

fn bounds_future<'a>(mut bounds: impl Iterator<Item = &'a TypeParamBound>) -> bool {
    bounds.any(|bound| match bound {
        TypeParamBound::Trait(bound) => bound
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Future"),
        _ => false,
    })
}

/// True when `ty` holds a `dyn Future` or an `impl Future` anywhere.
fn holds_future(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_type_trait_object(&mut self, object: &'ast syn::TypeTraitObject) {
            self.0 |= bounds_future(object.bounds.iter());
        }
        fn visit_type_impl_trait(&mut self, opaque: &'ast TypeImplTrait) {
            self.0 |= bounds_future(opaque.bounds.iter());
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}

/// "process_refund" → "Process refund": the summary when none is given.
pub(crate) fn readable(action: &str) -> String {
    let words = action.replace(['_', '-'], " ");
    let mut chars = words.trim().chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The summary expression for a literal text.
fn literal_summary(text: &str) -> TokenStream {
    quote!(::std::string::String::from(#text))
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;
    use crate::params::Kind;

    /// The plan for `item` under `args`, and every message recorded.
    fn analysed(args: TokenStream, item: TokenStream) -> (Option<Plan>, Vec<String>) {
        let mut errors = Errors::default();
        let options = Options::parse(args, &mut errors);
        let mut item: GatedItem = syn::parse2(item).unwrap();
        let plan = analyse(&options, &mut item, &mut errors);
        (plan, errors.messages())
    }

    fn kinds(plan: &Plan) -> Vec<(&str, &'static str)> {
        plan.params
            .iter()
            .map(|param| {
                let kind = match param.kind {
                    Kind::Owned => "owned",
                    Kind::Shared(_) => "shared",
                    Kind::Exclusive(_) => "exclusive",
                    Kind::Readonly => "readonly",
                    Kind::Skipped => "skipped",
                    Kind::Invalid => "invalid",
                };
                (param.key.as_str(), kind)
            })
            .collect()
    }

    #[test]
    fn each_parameter_gets_its_way_of_travelling_and_receivers_none() {
        let (plan, messages) = analysed(
            quote!(skip(conn), readonly(account)),
            quote!(
                async fn f(
                    &mut self,
                    conn: Db,
                    account: u32,
                    r#type: String,
                    name: &str,
                    log: &mut Vec<String>,
                    items: &'a mut [u8],
                ) -> Result<(), E> {
                }
            ),
        );
        assert_eq!(messages, Vec::<String>::new());
        let plan = plan.unwrap();
        assert_eq!(
            kinds(&plan),
            [
                ("conn", "skipped"),
                ("account", "readonly"),
                ("type", "owned"),
                ("name", "shared"),
                ("log", "exclusive"),
                ("items", "exclusive")
            ]
        );
        assert!(plan.is_async);
    }

    #[test]
    fn a_refused_parameter_is_still_a_name() {
        let (_, messages) = analysed(
            quote!(readonly(name), summary = "Hi {name}"),
            quote!(
                fn f(ref name: String) -> Result<(), E> {}
            ),
        );
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].contains("plain `name: Type`"), "{messages:?}");
    }

    #[test]
    fn an_unreadable_skip_is_the_only_error() {
        let (_, messages) = analysed(
            quote!(skip(conn conn)),
            quote!(
                fn f(conn: impl Fn(), other: &'a str) -> Result<(), E> {}
            ),
        );
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].contains("`skip` takes parameter names"),
            "{messages:?}"
        );
    }

    #[test]
    fn borrows_for_a_named_lifetime_need_readonly() {
        for (ty, says) in [
            (quote!(&'a [String]), "borrows for `'a`"),
            (quote!(&'static str), "borrows for `'static`"),
            (quote!(Option<&str>), "holds a borrow inside its type"),
            (
                quote!(Cow<'a, str>),
                "holds a borrow for `'a` inside its type",
            ),
        ] {
            let (plan, messages) = analysed(quote!(), quote!(fn f(items: #ty) -> Result<(), E> {}));
            assert!(plan.is_some_and(|plan| matches!(plan.params[0].kind, Kind::Invalid)));
            assert_eq!(messages.len(), 1, "{messages:?}");
            assert!(
                messages[0].contains(says) && messages[0].contains("readonly(items)"),
                "{messages:?}"
            );
            let (_, messages) = analysed(
                quote!(readonly(items)),
                quote!(fn f(items: #ty) -> Result<(), E> {}),
            );
            assert_eq!(messages, Vec::<String>::new());
        }
    }

    #[test]
    fn return_types_that_would_hide_the_rejection_are_refused() {
        for (output, says) in [
            (quote!(impl Debug), "`-> impl Trait` would hide"),
            (
                quote!(impl Future<Output = Result<(), E>>),
                "write `async fn",
            ),
            (
                quote!(Pin<Box<dyn Future<Output = Result<(), E>> + Send + 'a>>),
                "#[async_trait]",
            ),
        ] {
            let (_, messages) = analysed(quote!(), quote!(fn f(x: u8) -> #output {}));
            assert_eq!(messages.len(), 1, "{messages:?}");
            assert!(messages[0].contains(says), "{messages:?}");
        }
        let (_, messages) = analysed(
            quote!(),
            quote!(
                async fn f(x: u8) -> Result<impl Debug, E> {}
            ),
        );
        assert_eq!(messages, Vec::<String>::new());
    }

    #[test]
    fn options_in_one_enum_are_read_once_each() {
        let (plan, messages) = analysed(
            quote!(
                when = x > 1,
                crate = ::reexport::cq,
                timeout = -1,
                risk = 1u64,
                skip(self)
            ),
            quote!(
                fn f(&self, x: u8) -> Result<(), E> {}
            ),
        );
        assert!(plan.is_some());
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages[0].contains("`timeout` takes a whole number"),
            "{messages:?}"
        );
        assert!(
            messages[1].contains("`risk` takes a number"),
            "{messages:?}"
        );
        assert!(messages[2].contains("`self` is never sent"), "{messages:?}");
        let (plan, _) = analysed(
            quote!(crate = ::reexport::cq),
            quote!(
                fn f(x: u8) -> Result<(), E> {}
            ),
        );
        assert_eq!(
            quote::ToTokens::to_token_stream(&plan.unwrap().krate).to_string(),
            ":: reexport :: cq"
        );
    }
}
