//! Parsing the options of `#[checkpoint(...)]`: each checked on its own, all mistakes collected.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{
    Expr, ExprLit, Ident, Lit, LitStr, Meta, Token, UnOp, parse::Parser, punctuated::Punctuated,
    spanned::Spanned,
};

use crate::errors::Errors;

/// The options, as written. Each is `None` (or empty) when left out or when it was wrong.
#[derive(Default)]
pub struct Options {
    pub action: Option<LitStr>,
    pub risk: Option<Expr>,
    pub summary: Option<LitStr>,
    pub justification: Option<Expr>,
    pub timeout: Option<Expr>,
    pub client: Option<Expr>,
    pub webhook_url: Option<Expr>,
    pub skip: Vec<Ident>,
    pub readonly: Vec<Ident>,
}

/// Every option, with how it is written; the order of the "did you mean" candidates.
const OPTIONS: &[(&str, &str)] = &[
    ("action", "action = \"send_email\""),
    ("risk", "risk = 0.8"),
    ("summary", "summary = \"Refund {amount} on {order_id}\""),
    ("justification", "justification = \"why the agent asks\""),
    ("timeout", "timeout = 600"),
    ("client", "client = &my_client"),
    (
        "webhook_url",
        "webhook_url = \"https://example.com/decisions\"",
    ),
    ("skip", "skip(conn, token)"),
    ("readonly", "readonly(account_id)"),
];

impl Options {
    /// Parses the attribute's arguments, recording every mistake in `errors`.
    pub fn parse(args: TokenStream, errors: &mut Errors) -> Options {
        let mut options = Options::default();
        let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
            Ok(metas) => metas,
            Err(error) => {
                errors.push(syn::Error::new(
                    error.span(),
                    format!("{error}; options are written `name = value` or `skip(a, b)`, separated by commas"),
                ));
                return options;
            }
        };
        let mut seen: Vec<(String, Span)> = Vec::new();
        for meta in metas {
            let Some(name) = meta.path().get_ident().map(Ident::to_string) else {
                let path = meta.path();
                errors.at(
                    path,
                    unknown_option(&quote::quote!(#path).to_string().replace(' ', "")),
                );
                continue;
            };
            let Some((_, usage)) = OPTIONS.iter().find(|(known, _)| *known == name) else {
                errors.at(meta.path(), unknown_option(&name));
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(seen, _)| *seen == name) {
                let mut error = syn::Error::new_spanned(
                    meta.path(),
                    format!("`{name}` is given twice; keep one"),
                );
                error.combine(syn::Error::new(
                    *first,
                    format!("`{name}` is first given here"),
                ));
                errors.push(error);
                continue;
            }
            seen.push((name.clone(), meta.path().span()));
            options.take(&name, usage, meta, errors);
        }
        options
    }

    fn take(&mut self, name: &str, usage: &str, meta: Meta, errors: &mut Errors) {
        if matches!(name, "skip" | "readonly") {
            let Meta::List(list) = &meta else {
                errors.at(
                    &meta,
                    format!("`{name}` takes a list of parameter names: `{usage}`"),
                );
                return;
            };
            match Punctuated::<Ident, Token![,]>::parse_terminated.parse2(list.tokens.clone()) {
                Ok(names) => {
                    let names: Vec<Ident> = names.into_iter().collect();
                    if names.is_empty() {
                        errors.at(
                            list,
                            format!("`{name}()` names no parameter: `{usage}`, or leave it out"),
                        );
                    }
                    *(if name == "skip" {
                        &mut self.skip
                    } else {
                        &mut self.readonly
                    }) = names;
                }
                Err(error) => errors.push(syn::Error::new(
                    error.span(),
                    format!("`{name}` takes parameter names separated by commas: `{usage}`"),
                )),
            }
            return;
        }
        let Meta::NameValue(pair) = meta else {
            errors.at(&meta, format!("`{name}` takes a value: `{usage}`"));
            return;
        };
        let value = ungroup(pair.value);
        match name {
            "action" => self.action = non_empty_string(value, name, usage, errors),
            "summary" => self.summary = non_empty_string(value, name, usage, errors),
            "risk" => self.risk = checked_risk(value, errors),
            "timeout" => self.timeout = checked_timeout(value, errors),
            "justification" => self.justification = Some(value),
            "client" => self.client = Some(value),
            _ => self.webhook_url = Some(value),
        }
    }
}

/// Unwraps the invisible group a `macro_rules!` puts around a `$value:expr`.
fn ungroup(expr: Expr) -> Expr {
    match expr {
        Expr::Group(group) => ungroup(*group.expr),
        Expr::Paren(paren) if matches!(*paren.expr, Expr::Lit(_)) => ungroup(*paren.expr),
        other => other,
    }
}

fn unknown_option(name: &str) -> String {
    let closest = OPTIONS
        .iter()
        .map(|(known, usage)| (strsim::jaro_winkler(known, name), usage))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(similarity, _)| *similarity > 0.8);
    let known: Vec<&str> = OPTIONS.iter().map(|(name, _)| *name).collect();
    match closest {
        Some((_, usage)) => format!("unknown option `{name}`; did you mean `{usage}`?"),
        None => format!(
            "unknown option `{name}`; the options are {}",
            known.join(", ")
        ),
    }
}

fn non_empty_string(value: Expr, name: &str, usage: &str, errors: &mut Errors) -> Option<LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) if text.value().trim().is_empty() => {
            errors.at(&text, format!("`{name}` must not be empty: `{usage}`"));
            None
        }
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => Some(text),
        other => {
            errors.at(
                &other,
                format!("`{name}` takes a string literal: `{usage}`"),
            );
            None
        }
    }
}

/// A literal risk must lie in 0.0..=1.0; any other expression is checked when the call runs.
fn checked_risk(value: Expr, errors: &mut Errors) -> Option<Expr> {
    let literal = match &value {
        Expr::Lit(ExprLit { lit, .. }) => Some((lit, false)),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => match &*unary.expr {
            Expr::Lit(ExprLit { lit, .. }) => Some((lit, true)),
            _ => None,
        },
        _ => None,
    };
    let Some((lit, negative)) = literal else {
        return Some(value);
    };
    let number = match lit {
        Lit::Float(float) => float.base10_parse::<f64>().ok(),
        Lit::Int(int) => int.base10_parse::<f64>().ok(),
        _ => None,
    };
    match number.map(|n| if negative { -n } else { n }) {
        Some(score) if (0.0..=1.0).contains(&score) => Some(value),
        Some(_) => {
            let written = format!(
                "{}{}",
                if negative { "-" } else { "" },
                lit.to_token_stream()
            );
            errors.at(
                &value,
                format!("`risk` must be between 0.0 and 1.0, not {written}: e.g. `risk = 0.8`"),
            );
            None
        }
        None => {
            errors.at(
                &value,
                "`risk` takes a number from 0.0 to 1.0 (`risk = 0.8`) or an `f64` expression",
            );
            None
        }
    }
}

/// A literal timeout must be a whole, positive number of seconds.
fn checked_timeout(value: Expr, errors: &mut Errors) -> Option<Expr> {
    let Expr::Lit(ExprLit { lit, .. }) = &value else {
        return Some(value);
    };
    match lit {
        Lit::Int(int) if int.base10_parse::<u64>().is_ok_and(|seconds| seconds > 0) => Some(value),
        _ => {
            errors.at(
                &value,
                "`timeout` takes a whole number of seconds above zero: `timeout = 600`",
            );
            None
        }
    }
}
