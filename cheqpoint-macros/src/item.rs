//! The fn under the attribute, read as far as the gate needs and no further: attributes,
//! visibility and signature are parsed; the body is kept as tokens. A body that does not parse
//! (half typed in an editor, or written in syntax newer than `syn`) then gets rustc's own error
//! and no other.

use proc_macro2::{TokenStream, TokenTree};
use syn::{
    Attribute, Signature, Visibility, braced,
    parse::{Parse, ParseStream},
    token,
};

/// The name of the gate's local in a generated body: its presence means the fn is gated already.
pub(crate) const GATE_MARKER: &str = "__cheqpoint_gate";

/// A fn with its body as tokens.
pub(crate) struct GatedItem {
    /// `#[..]` above the fn.
    pub outer_attrs: Vec<Attribute>,
    /// `#![..]` at the top of the body: re-emitted before anything generated.
    pub inner_attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    /// The user's own braces, so spans (and `dead_code`) stay theirs.
    pub brace: token::Brace,
    /// The statements of the body, unparsed.
    pub body: TokenStream,
}

impl Parse for GatedItem {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let outer_attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        let brace = braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let body = content.parse()?;
        Ok(GatedItem {
            outer_attrs,
            inner_attrs,
            vis,
            sig,
            brace,
            body,
        })
    }
}

impl GatedItem {
    /// True when the body already holds a gate: the attribute was applied twice, the second
    /// time perhaps under another name (`use cheqpoint::checkpoint as gate;`).
    pub(crate) fn is_gated(&self) -> bool {
        holds_ident(&self.body, GATE_MARKER)
    }
}

fn holds_ident(tokens: &TokenStream, name: &str) -> bool {
    tokens.clone().into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == name,
        TokenTree::Group(group) => holds_ident(&group.stream(), name),
        _ => false,
    })
}
