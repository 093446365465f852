//! Keeps the crate docs' "What it generates" outline true: the real expansion of the docs'
//! `refund`, read as a person reads the outline (hidden names unhidden, absolute paths and the
//! `__private` module left out, each `match` that returns a refusal written as `?`, the pin of the
//! body's return type left out, each placeholder's `Display` check written as the value it checks),
//! must be the
//! outline, token for token. Comments in the outline are free.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;

/// The block of `cheqpoint`'s crate docs under "What it generates", as tokens.
fn documented_outline() -> TokenStream {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../cheqpoint/src/lib.rs"
    ))
    .expect("the cheqpoint crate sits beside this one");
    let section = docs
        .split("//! ## What it generates")
        .nth(1)
        .expect("the docs have the section");
    let block: Vec<&str> = section
        .lines()
        .map(|line| {
            line.trim_start_matches("//!")
                .strip_prefix(' ')
                .unwrap_or(line.trim_start_matches("//!"))
        })
        .skip_while(|line| !line.starts_with("```text"))
        .skip(1)
        .take_while(|line| !line.starts_with("```"))
        .collect();
    block
        .join("\n")
        .parse()
        .expect("the outline is Rust tokens")
}

/// The expansion as the outline shows it.
fn readable(expansion: TokenStream) -> TokenStream {
    let text = collapse_refusals(expansion)
        .to_string()
        .replace("__cheqpoint_", "")
        .replace(":: cheqpoint :: __private :: ", "")
        .replace(":: core :: result :: Result :: ", "")
        .replace(":: core :: option :: Option :: ", "")
        .replace(":: core :: borrow :: ", "")
        .replace(":: std :: format !", "format !")
        .replace(":: std :: string :: ", "")
        .replace(":: cheqpoint :: ", "cheqpoint :: ");
    text.parse().unwrap()
}

/// `match x { Ok(value) => value, Err(error) => { return refusal } }` becomes `x?`, and
/// `if let Err(error) = x { return refusal }` becomes `x?;`.
fn collapse_refusals(tokens: TokenStream) -> TokenStream {
    let mut out: Vec<TokenTree> = Vec::new();
    let mut rest = tokens.into_iter().peekable();
    while let Some(token) = rest.next() {
        match &token {
            // The return-type pin of the body's block: `#[allow(unreachable_code, ..)] if false { .. }`.
            TokenTree::Punct(pound)
                if pound.as_char() == '#'
                    && matches!(rest.peek(), Some(TokenTree::Group(attr)) if attr.stream().to_string().contains("unreachable_code")) =>
            {
                rest.next();
                (0..3).for_each(|_| drop(rest.next()));
            }
            // A placeholder's `Display` check: `{ trait __CheqpointShown .. __CheqpointShown::shown(&x) }`.
            TokenTree::Group(check)
                if check.delimiter() == Delimiter::Brace
                    && check
                        .stream()
                        .to_string()
                        .starts_with("# [diagnostic :: on_unimplemented") =>
            {
                if let Some(TokenTree::Group(value)) = check.stream().into_iter().last() {
                    out.extend(value.stream());
                }
            }
            TokenTree::Ident(ident) if ident == "match" || ident == "if" => {
                let mut head: Vec<TokenTree> = Vec::new();
                let body = loop {
                    match rest.next() {
                        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => {
                            break Some(group);
                        }
                        Some(other) => head.push(other),
                        None => break None,
                    }
                };
                let refusal = body.as_ref().is_some_and(|body| {
                    body.stream().to_string().contains("GateReturn > :: refuse")
                });
                let head = TokenStream::from_iter(head);
                match (body, refusal, ident == "match") {
                    (Some(_), true, true) => out.extend(quote!(#head ?).into_iter().map(recurse)),
                    (Some(_), true, false) => {
                        let is_eq =
                            |t: &TokenTree| matches!(t, TokenTree::Punct(p) if p.as_char() == '=');
                        let condition: TokenStream =
                            head.into_iter().skip_while(|t| !is_eq(t)).skip(1).collect();
                        out.extend(quote!(#condition ?;).into_iter().map(recurse));
                    }
                    (body, _, _) => {
                        out.push(token.clone());
                        out.extend(collapse_refusals(head));
                        out.extend(body.map(|group| recurse(TokenTree::Group(group))));
                    }
                }
            }
            _ => out.push(recurse(token)),
        }
    }
    out.into_iter().collect()
}

fn recurse(token: TokenTree) -> TokenTree {
    match token {
        TokenTree::Group(group) => {
            let mut inner =
                proc_macro2::Group::new(group.delimiter(), collapse_refusals(group.stream()));
            inner.set_span(group.span());
            TokenTree::Group(inner)
        }
        other => other,
    }
}

/// The tokens one by one, spaced alike whatever their spacing was.
fn flat(tokens: TokenStream) -> String {
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                format!("{open} {} {close}", flat(group.stream()))
            }
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_documented_outline_is_the_real_expansion() {
    let expansion = crate::gate(
        quote!(
            action = "process_refund",
            risk = 0.8,
            summary = "Refund {amount_cents} cents on order {order_id}"
        ),
        quote! {
            async fn refund(order_id: String, amount_cents: u64) -> Result<Receipt, cheqpoint::Error> {
                /* the body, as written */
            }
        },
    );
    let (real, documented) = (flat(readable(expansion)), flat(documented_outline()));
    assert_eq!(
        real, documented,
        "\nthe expansion, as the outline would show it:\n{real}\n"
    );
}
