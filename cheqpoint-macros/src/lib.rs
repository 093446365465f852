//! The `#[checkpoint]` attribute of [cheqpoint](https://docs.rs/cheqpoint). Use it through that
//! crate (`cheqpoint::checkpoint`): the code it generates calls `cheqpoint::__private`.
//!
//! Three stages over one model: `options` parses the attribute, `item` reads the fn (its body
//! kept as tokens), `analysis` (with `params` and `template`) turns both into a plan, and `expand`
//! writes the gated fn from the plan. Every mistake of one attribute is reported at once, and
//! the fn is still emitted unchanged beside the errors, so its callers see no second error.

#![warn(missing_docs)]

mod analysis;
mod errors;
mod expand;
mod item;
mod options;
#[cfg(test)]
mod outline;
mod params;
mod template;

use proc_macro::TokenStream;
use quote::quote;

use crate::{errors::Errors, item::GatedItem, options::Options};

/// Puts a person in front of a function: it runs only after a reviewer approves, with the values
/// the reviewer approved. See the `cheqpoint` crate for the options and what it generates.
#[proc_macro_attribute]
pub fn checkpoint(args: TokenStream, item: TokenStream) -> TokenStream {
    gate(args.into(), item.into()).into()
}

/// The attribute on `proc_macro2` tokens, so tests can run it.
fn gate(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let mut errors = Errors::default();
    let options = Options::parse(args, &mut errors);
    let mut gated: GatedItem = match syn::parse2(item.clone()) {
        Ok(gated) => gated,
        Err(_) => {
            errors.at(&item, misplaced(&item));
            let errors = errors.into_compile_errors();
            return quote!(#errors #item);
        }
    };
    let plan = analysis::analyse(&options, &mut gated, &mut errors);
    match (errors.into_compile_errors(), plan) {
        (None, Some(plan)) => expand::expand(&gated, &plan, &options),
        (errors, _) => quote!(#errors #item),
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
