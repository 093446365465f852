//! The `#[checkpoint]` attribute of [cheqpoint](https://docs.rs/cheqpoint). Use it through that
//! crate (`cheqpoint::checkpoint`): the code it generates calls `cheqpoint::__private`.
//!
//! The attribute is parsed in `options`, the signature analysed in `params`, the summary
//! template checked in `summary`, and the gated function written in `expand`. Every mistake of
//! one attribute is reported at once, and the function is still emitted unchanged beside the
//! errors, so its callers see no second error.

#![warn(missing_docs)]

mod errors;
mod expand;
mod options;
mod params;
mod summary;

use proc_macro::TokenStream;
use quote::quote;
use syn::{ItemFn, ReturnType, ext::IdentExt};

use crate::{errors::Errors, expand::Gated, options::Options};

/// Puts a person in front of a function: it runs only after a reviewer approves, with the values
/// the reviewer approved. See the `cheqpoint` crate for the options and what it generates.
#[proc_macro_attribute]
pub fn checkpoint(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = Options::parse(args.into(), &mut errors);
    let item = proc_macro2::TokenStream::from(item);
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            errors.at(first_tokens(&item), misplaced(&item));
            let errors = errors.into_compile_errors();
            return quote!(#errors #item).into();
        }
    };
    check_signature(&function, &mut errors);
    let mut gated_fn = function.clone();
    let params = params::analyse(&mut gated_fn.sig, &options, &mut errors);
    let action = options.action.as_ref().map_or_else(
        || function.sig.ident.unraw().to_string(),
        |action| action.value(),
    );
    let summary = match &options.summary {
        Some(template) => summary::expand(template, &params, &mut errors),
        None => expand::literal_summary(&expand::readable(&action)),
    };
    if let Some(errors) = errors.into_compile_errors() {
        return quote!(#errors #function).into();
    }
    Gated {
        function: &gated_fn,
        options: &options,
        params: &params,
        action,
        summary,
    }
    .expand()
    .into()
}

/// What the signature must be for a gate to stand in front of the body.
fn check_signature(function: &ItemFn, errors: &mut Errors) {
    let sig = &function.sig;
    if let Some(constness) = &sig.constness {
        errors.at(
            constness,
            "a `const fn` cannot wait for a reviewer: remove `const` to use #[checkpoint]",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, "#[checkpoint] cannot gate an `extern` fn: gate a Rust fn and call it from the `extern` one");
    }
    if let ReturnType::Default = sig.output {
        errors.at(
            &sig.ident,
            format!(
                "a #[checkpoint] fn returns the rejection as an error: declare `-> Result<T, E>` with `E: From<cheqpoint::Error>`, e.g. `fn {}(..) -> Result<(), cheqpoint::Error>`",
                sig.ident
            ),
        );
    }
    for attr in &function.attrs {
        let path: Vec<String> = attr
            .path()
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        // `#[checkpoint]` or `#[cheqpoint::checkpoint]`; another crate's `checkpoint` is theirs.
        let is_checkpoint = match path.as_slice() {
            [name] => name == "checkpoint",
            [krate, name] => krate == "cheqpoint" && name == "checkpoint",
            _ => false,
        };
        if is_checkpoint {
            errors.at(attr, "#[checkpoint] is applied twice; keep one");
        }
    }
}

/// Why an item that is not a fn with a body cannot be gated.
fn misplaced(item: &proc_macro2::TokenStream) -> &'static str {
    match syn::parse2::<syn::TraitItemFn>(item.clone()) {
        Ok(method) if method.default.is_none() => {
            "#[checkpoint] needs the body it guards: put it on the method in each `impl` of the trait, or give this method a default body"
        }
        _ => {
            "#[checkpoint] goes on a fn with a body: `async fn refund(order_id: String) -> Result<Receipt, cheqpoint::Error> { .. }`"
        }
    }
}

/// The leading tokens of an item that is not a fn, to point an error at (e.g. `struct Name`).
fn first_tokens(item: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    item.clone()
        .into_iter()
        .skip_while(|token| matches!(token, proc_macro2::TokenTree::Punct(p) if p.as_char() == '#'))
        .skip_while(|token| matches!(token, proc_macro2::TokenTree::Group(_)))
        .take(2)
        .collect()
}
