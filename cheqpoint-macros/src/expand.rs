//! Generating the gated function: the user's signature and body, with the approval in front.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{AttrStyle, Ident, ItemFn, ReturnType, spanned::Spanned};

use crate::{
    options::Options,
    params::{Kind, Param, erase_impl_trait},
};

/// What the expansion needs, checked already.
pub struct Gated<'a> {
    pub function: &'a ItemFn,
    pub options: &'a Options,
    pub params: &'a [Param],
    pub action: String,
    pub summary: TokenStream,
}

/// A name only generated code can see.
fn hidden(name: &str) -> Ident {
    Ident::new(&format!("__cheqpoint_{name}"), Span::mixed_site())
}

/// A hidden name shown at `span`, still seen only by generated code: a call on it is then
/// reported at `span` as a whole, not at the attribute.
fn shown_at(hidden: &Ident, span: Span) -> Ident {
    let mut shown = hidden.clone();
    shown.set_span(hidden.span().located_at(span));
    shown
}

impl Gated<'_> {
    /// The rewritten function.
    pub fn expand(&self) -> TokenStream {
        let function = self.function;
        let (outer, inner): (Vec<_>, Vec<_>) = function
            .attrs
            .iter()
            .partition(|attr| matches!(attr.style, AttrStyle::Outer));
        let vis = &function.vis;
        let sig = &function.sig;
        let preamble = self.preamble();
        let statements = &function.block.stmts;
        let mut tokens = quote!(#(#outer)* #vis #sig);
        function.block.brace_token.surround(&mut tokens, |body| {
            quote! {
                #(#inner)*
                #preamble
                { #(#statements)* }
            }
            .to_tokens(body)
        });
        tokens
    }

    /// Asks for approval, then rebinds each parameter to its approved value.
    fn preamble(&self) -> TokenStream {
        let error = hidden("error");
        let [client, gate, verdict] = ["client", "gate", "verdict"].map(hidden);
        let client_binding = match &self.options.client {
            Some(expr) => quote_spanned!(expr.span()=> let #client: &::cheqpoint::Client = #expr;),
            None => self.on_error(
                quote!(::cheqpoint::__private::global()),
                |value| quote!(let #client: &::cheqpoint::Client = #value;),
            ),
        };
        let action = &self.action;
        let summary = &self.summary;
        let settings = self.settings(&gate);
        let sends = self
            .params
            .iter()
            .filter(|param| param.is_sent())
            .map(|param| {
                let (cfg, ident, key) = (&param.cfg_attrs, &param.ident, &param.key);
                let ty = erase_impl_trait(&param.ty);
                let span = param.ty.span();
                let gate = shown_at(&gate, span);
                let send = quote_spanned!(span=> #gate.param::<#ty>(#key, &#ident));
                let refuse = self.refuse();
                quote!(#(#cfg)* if let ::core::result::Result::Err(#error) = #send { #refuse })
            });
        let approve = if self.function.sig.asyncness.is_some() {
            quote!(#gate.approve(#client).await)
        } else {
            quote!(#gate.approve_blocking(#client))
        };
        let verdict_binding = self.on_error(approve, |value| quote!(let #verdict = #value;));
        let reads = self
            .params
            .iter()
            .map(|param| self.read_edit(param, &verdict));
        let applies = self.params.iter().map(apply_edit);
        quote! {
            #client_binding
            let mut #gate = ::cheqpoint::__private::Gate::new(#action, #summary);
            #settings
            #(#sends)*
            #verdict_binding
            #(#reads)*
            #(#applies)*
        }
    }

    /// The options that become request settings, each call spanned on its value so a value of
    /// the wrong type is pointed at.
    fn settings(&self, gate: &Ident) -> TokenStream {
        let options = self.options;
        [
            ("risk", &options.risk),
            ("justification", &options.justification),
            ("timeout_secs", &options.timeout),
            ("webhook_url", &options.webhook_url),
        ]
        .into_iter()
        .filter_map(|(setter, value)| {
            let value = value.as_ref()?;
            let span = value.span();
            let (gate, setter) = (shown_at(gate, span), Ident::new(setter, span));
            Some(quote_spanned!(span=> #gate.#setter(#value);))
        })
        .collect()
    }

    /// Phase one: every edit is read (and every read-only parameter checked) before any is applied,
    /// so a bad edit of one parameter leaves a `&mut` argument untouched.
    fn read_edit(&self, param: &Param, verdict: &Ident) -> TokenStream {
        let error = hidden("error");
        let (cfg, key, ty, span) = (&param.cfg_attrs, &param.key, &param.ty, param.edit_span());
        let edit = hidden(&format!("edit_{}", param.key));
        let verdict = shown_at(verdict, span);
        let read = match &param.kind {
            Kind::Skipped => return TokenStream::new(),
            Kind::Readonly => {
                let refuse = self.refuse();
                return quote! {
                    #(#cfg)*
                    if let ::core::result::Result::Err(#error) = #verdict.check_readonly(#key) { #refuse }
                };
            }
            Kind::Owned => quote_spanned!(span=> #verdict.edited::<#ty>(#key)),
            Kind::Shared(elem) => {
                quote_spanned!(span=> #verdict.edited_borrowed::<#elem, _>(#key))
            }
            Kind::Exclusive(elem) => quote_spanned!(span=> #verdict.edited::<#elem>(#key)),
        };
        let binding = self.on_error(read, |value| quote!(let #edit = #value;));
        quote!(#(#cfg)* #binding)
    }

    /// `match result { Ok(v) => <bind v>, Err(e) => return refusal }`, as a statement.
    fn on_error(
        &self,
        result: TokenStream,
        bind: impl FnOnce(TokenStream) -> TokenStream,
    ) -> TokenStream {
        let value = hidden("value");
        let error = hidden("error");
        let refuse = self.refuse();
        bind(quote! {
            match #result {
                ::core::result::Result::Ok(#value) => #value,
                ::core::result::Result::Err(#error) => { #refuse }
            }
        })
    }

    /// Returns the hidden `error` through the declared return type, pointing at that type when
    /// it cannot carry it.
    fn refuse(&self) -> TokenStream {
        let error = hidden("error");
        let ReturnType::Type(_, ty) = &self.function.sig.output else {
            unreachable!("a fn without a return type is refused before expansion");
        };
        let ty = erase_impl_trait(ty);
        quote_spanned! {ty.span()=>
            return <#ty as ::cheqpoint::__private::GateReturn>::refuse(#error)
        }
    }
}

/// Phase two: each parameter takes its approved value.
fn apply_edit(param: &Param) -> TokenStream {
    let value = hidden("value");
    let (cfg, lints, ident, mutability) = (
        &param.cfg_attrs,
        &param.lint_attrs,
        &param.ident,
        &param.mutability,
    );
    let edit = hidden(&format!("edit_{}", param.key));
    let apply = match &param.kind {
        Kind::Skipped | Kind::Readonly => return TokenStream::new(),
        Kind::Owned => quote! {
            #(#lints)*
            let #mutability #ident = match #edit {
                ::core::option::Option::Some(#value) => #value,
                ::core::option::Option::None => #ident,
            };
        },
        Kind::Shared(_) => quote! {
            #(#lints)*
            let #mutability #ident = match &#edit {
                ::core::option::Option::Some(#value) => ::std::borrow::Borrow::borrow(#value),
                ::core::option::Option::None => #ident,
            };
        },
        Kind::Exclusive(_) => quote! {
            if let ::core::option::Option::Some(#value) = #edit {
                *#ident = #value;
            }
        },
    };
    quote!(#(#cfg)* #apply)
}

/// "process_refund" → "Process refund": the summary when none is given.
pub fn readable(action: &str) -> String {
    let words = action.replace(['_', '-'], " ");
    let mut chars = words.trim().chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The summary expression for a literal text.
pub fn literal_summary(text: &str) -> TokenStream {
    quote!(::std::string::String::from(#text))
}
