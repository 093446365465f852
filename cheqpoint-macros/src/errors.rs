//! Collects every mistake of one attribute so they are reported together.

use proc_macro2::TokenStream;

/// An accumulator of compile errors, combined into one `syn::Error` at the end.
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    /// Records an error.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// Records an error at `tokens`.
    pub(crate) fn at(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// The `compile_error!`s, or `None` when nothing went wrong.
    pub(crate) fn into_compile_errors(self) -> Option<TokenStream> {
        self.combined.map(|error| error.to_compile_error())
    }
}

#[cfg(test)]
impl Errors {
    /// Each message recorded, in order.
    pub(crate) fn messages(&self) -> Vec<String> {
        self.combined
            .iter()
            .flat_map(|combined| combined.clone().into_iter())
            .map(|error| error.to_string())
            .collect()
    }
}
