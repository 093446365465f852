//! Generating the gated fn from a [`Plan`]: the user's signature and braces, their inner
//! attributes, then the gate in a block of its own (so the request, the verdict and their JSON
//! are dropped before the body runs), then each parameter rebound to its approved value, then
//! the body, untouched, in a block of its own.
//!
//! What the result looks like is outlined in the `cheqpoint` crate's docs ("What it
//! generates"), which `outline.rs` keeps token-equal to this module's output.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{Ident, spanned::Spanned};

use crate::{
    analysis::Plan,
    item::{GATE_MARKER, GatedItem},
    options::Options,
    params::{Kind, Param, erase_impl_trait},
};

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

/// The hidden local holding a parameter's approved value, when the reviewer changed it.
fn edit_of(param: &Param) -> Ident {
    hidden(&format!("edit_{}", param.key))
}

/// The gated fn.
pub(crate) fn expand(item: &GatedItem, plan: &Plan, options: &Options) -> TokenStream {
    let expansion = Expansion { plan, options };
    let GatedItem {
        outer_attrs,
        inner_attrs,
        vis,
        sig,
        brace,
        body,
    } = item;
    let declarations = plan
        .params
        .iter()
        .filter(|param| param.is_editable())
        .map(|param| {
            let (cfg, edit) = (&param.cfg_attrs, edit_of(param));
            quote!(#(#cfg)* let #edit;)
        });
    let gate = expansion.gate();
    let rebindings = plan.params.iter().map(rebind);
    let claim = hidden("claim");
    let run = expansion.run(body);
    let mut tokens = quote!(#(#outer_attrs)* #vis #sig);
    brace.surround(&mut tokens, |out| {
        quote! {
            #(#inner_attrs)*
            #(#declarations)*
            let #claim;
            #gate
            #(#rebindings)*
            #run
        }
        .to_tokens(out)
    });
    tokens
}

struct Expansion<'a> {
    plan: &'a Plan,
    options: &'a Options,
}

impl Expansion<'_> {
    /// The body, bracketed by the claim on the approved run: the journal (when the client has
    /// one) records the end once the body returns, whichever way it returns. The body keeps its
    /// own `return`s and `?`s inside an `async move` block or a `move` closure, whose type is
    /// pinned to the fn's return type.
    fn run(&self, body: &TokenStream) -> TokenStream {
        let [claim, output, fake] = ["claim", "output", "fake_return"].map(hidden);
        let output_type = erase_impl_trait(&self.plan.output);
        if self.plan.is_async {
            quote! {
                let #output = async move {
                    #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::empty_loop)]
                    if false {
                        let #fake: #output_type = loop {};
                        return #fake;
                    }
                    #body
                }
                .await;
                #claim.finish(#output).await
            }
        } else {
            quote! {
                let #output = (move || -> #output_type { #body })();
                #claim.finish_blocking();
                #output
            }
        }
    }

    /// The block that asks, waits and reads every edit; under `when = ..`, only when it holds.
    fn gate(&self) -> TokenStream {
        let krate = &self.plan.krate;
        let [client, verdict] = ["client", "verdict"].map(hidden);
        let gate = hidden("gate");
        debug_assert_eq!(gate, GATE_MARKER);
        let client_binding = match &self.options.client {
            Some(expr) => quote_spanned!(expr.span()=> let #client: &#krate::Client = #expr;),
            None => self.on_error(
                quote!(#krate::__private::global()),
                |value| quote!(let #client: &#krate::Client = #value;),
            ),
        };
        let action = &self.plan.action;
        let summary = &self.plan.summary;
        let mut settings = self.settings(&gate);
        if let Some(key) = &self.plan.key {
            settings.extend(quote!(#gate.key(#key);));
        }
        let sends = self
            .plan
            .params
            .iter()
            .filter(|param| param.is_sent())
            .map(|param| {
                let (cfg, ident, key) = (&param.cfg_attrs, &param.ident, &param.key);
                let ty = erase_impl_trait(&param.ty);
                let span = param.ty.span();
                let gate = shown_at(&gate, span);
                let send =
                    self.on_error_stmt(quote_spanned!(span=> #gate.param::<#ty>(#key, &#ident)));
                quote!(#(#cfg)* #send)
            });
        let approval = hidden("approval");
        let ask = if self.plan.is_async {
            quote!(#gate.approve(#client))
        } else {
            quote!(#gate.approve_blocking(#client))
        };
        let wait = if self.plan.is_async {
            quote!(#approval.await)
        } else {
            quote!(#approval)
        };
        let verdict_binding = self.on_error(wait, |value| quote!(let mut #verdict = #value;));
        let claim = hidden("claim");
        let reads = self
            .plan
            .params
            .iter()
            .map(|param| self.read_edit(param, &verdict));
        // The request is built in a block of its own, so nothing of it is kept across the wait.
        let asked = quote! {
            #client_binding
            let #approval = {
                let mut #gate = #krate::__private::Gate::new(#action, #summary);
                #settings
                #(#sends)*
                #ask
            };
            #verdict_binding
            #(#reads)*
            #claim = #verdict.take_claim();
        };
        let Some(when) = &self.options.when else {
            return quote!({ #asked });
        };
        let condition = when.to_token_stream().to_string();
        let unedited = self
            .plan
            .params
            .iter()
            .filter(|param| param.is_editable())
            .map(|param| {
                let edit = edit_of(param);
                under_cfg(
                    &param.cfg_attrs,
                    quote!(#edit = ::core::option::Option::None;),
                )
            });
        let holds = quote_spanned!(when.span()=> #krate::__private::GateCondition::holds(#when));
        quote! {
            if #holds {
                #asked
            } else {
                #krate::__private::not_gated(#action, #condition);
                #(#unedited)*
                #claim = #krate::__private::Claim::unclaimed();
            }
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

    /// Reads the reviewer's value of `param` into its hidden local (or checks that a read-only
    /// one was not changed). Every edit is read before any is applied, so a bad edit of one
    /// parameter leaves a `&mut` argument untouched.
    fn read_edit(&self, param: &Param, verdict: &Ident) -> TokenStream {
        let (cfg, key, ty, span) = (&param.cfg_attrs, &param.key, &param.ty, param.edit_span());
        let verdict = shown_at(verdict, span);
        let edit = edit_of(param);
        let read = match &param.kind {
            Kind::Skipped | Kind::Invalid => return TokenStream::new(),
            Kind::Readonly => {
                let check = self.on_error_stmt(quote!(#verdict.check_readonly(#key)));
                return quote!(#(#cfg)* #check);
            }
            Kind::Owned => quote_spanned!(span=> #verdict.edited::<#ty>(#key)),
            Kind::Shared(elem) => quote_spanned!(span=> #verdict.edited_borrowed::<#elem, _>(#key)),
            Kind::Exclusive(elem) => quote_spanned!(span=> #verdict.edited::<#elem>(#key)),
        };
        let assignment = self.on_error(read, |value| quote!(#edit = #value;));
        under_cfg(cfg, assignment)
    }

    /// `match result { Ok(v) => <bind v>, Err(e) => return refusal }`, as a statement.
    fn on_error(
        &self,
        result: TokenStream,
        bind: impl FnOnce(TokenStream) -> TokenStream,
    ) -> TokenStream {
        let [value, error] = ["value", "error"].map(hidden);
        let refuse = self.refuse();
        bind(quote! {
            match #result {
                ::core::result::Result::Ok(#value) => #value,
                ::core::result::Result::Err(#error) => { #refuse }
            }
        })
    }

    /// `if let Err(e) = result { return refusal }`, for a result with nothing to keep.
    fn on_error_stmt(&self, result: TokenStream) -> TokenStream {
        let error = hidden("error");
        let refuse = self.refuse();
        quote!(if let ::core::result::Result::Err(#error) = #result { #refuse })
    }

    /// Returns the hidden `error` through the declared return type, pointing at that type when
    /// it cannot carry it.
    fn refuse(&self) -> TokenStream {
        let (error, krate) = (hidden("error"), &self.plan.krate);
        let ty = erase_impl_trait(&self.plan.output);
        quote_spanned! {ty.span()=>
            return <#ty as #krate::__private::GateReturn>::refuse(#error)
        }
    }
}

/// Each parameter takes its approved value: rebound, or written through a `&mut`. A read-only
/// parameter is rebound only to carry its `mut` and lint attributes onto the binding the body
/// uses.
fn rebind(param: &Param) -> TokenStream {
    let value = hidden("value");
    let (cfg, lints, ident, mutability) = (
        &param.cfg_attrs,
        &param.lint_attrs,
        &param.ident,
        &param.mutability,
    );
    let edit = edit_of(param);
    let rebinding = match &param.kind {
        Kind::Skipped | Kind::Invalid => return TokenStream::new(),
        Kind::Readonly if lints.is_empty() && mutability.is_none() => return TokenStream::new(),
        Kind::Readonly => quote! {
            #(#lints)*
            let #mutability #ident = #ident;
        },
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
                ::core::option::Option::Some(#value) => ::core::borrow::Borrow::borrow(#value),
                ::core::option::Option::None => #ident,
            };
        },
        Kind::Exclusive(_) => quote! {
            if let ::core::option::Option::Some(#value) = #edit {
                *#ident = #value;
            }
        },
    };
    quote!(#(#cfg)* #rebinding)
}

/// `statement` under a parameter's `#[cfg]`s: an assignment goes in a block of its own, since
/// attributes such as `cfg_attr` may not stand on an expression statement.
fn under_cfg(cfg: &[syn::Attribute], statement: TokenStream) -> TokenStream {
    if cfg.is_empty() {
        statement
    } else {
        quote!(#(#cfg)* { #statement })
    }
}
