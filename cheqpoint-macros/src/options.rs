//! Parsing the options of `#[checkpoint(...)]`: each checked on its own, all mistakes collected.
//! An option that fails to parse is remembered as failed, so later checks that depend on it
//! (a parameter `skip(..)` would have excused) stay silent instead of cascading.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{
    Expr, ExprLit, Ident, Lit, LitStr, Meta, Path, Token, UnOp, ext::IdentExt, parse::Parser,
    punctuated::Punctuated, spanned::Spanned,
};

use crate::errors::Errors;

/// Every option the attribute takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum OptionName {
    Action,
    Risk,
    Summary,
    Justification,
    Timeout,
    Client,
    WebhookUrl,
    Skip,
    Readonly,
    When,
    Key,
    Crate,
}

impl OptionName {
    /// All of them, in the order "did you mean" and the docs list them.
    const ALL: [OptionName; 12] = [
        OptionName::Action,
        OptionName::Risk,
        OptionName::Summary,
        OptionName::Justification,
        OptionName::Timeout,
        OptionName::Client,
        OptionName::WebhookUrl,
        OptionName::Skip,
        OptionName::Readonly,
        OptionName::When,
        OptionName::Key,
        OptionName::Crate,
    ];

    /// The name as written.
    pub(crate) fn name(self) -> &'static str {
        match self {
            OptionName::Action => "action",
            OptionName::Risk => "risk",
            OptionName::Summary => "summary",
            OptionName::Justification => "justification",
            OptionName::Timeout => "timeout",
            OptionName::Client => "client",
            OptionName::WebhookUrl => "webhook_url",
            OptionName::Skip => "skip",
            OptionName::Readonly => "readonly",
            OptionName::When => "when",
            OptionName::Key => "key",
            OptionName::Crate => "crate",
        }
    }

    /// How it is written, for error messages.
    fn usage(self) -> &'static str {
        match self {
            OptionName::Action => "action = \"send_email\"",
            OptionName::Risk => "risk = 0.8",
            OptionName::Summary => "summary = \"Refund {amount} on {order_id}\"",
            OptionName::Justification => "justification = \"why the agent asks\"",
            OptionName::Timeout => "timeout = 600",
            OptionName::Client => "client = &my_client",
            OptionName::WebhookUrl => "webhook_url = \"https://example.com/decisions\"",
            OptionName::Skip => "skip(conn, token)",
            OptionName::Readonly => "readonly(account_id)",
            OptionName::When => "when = amount_cents >= 5_000",
            OptionName::Key => "key = \"refund-{order_id}\"",
            OptionName::Crate => "crate = ::my_reexport::cheqpoint",
        }
    }

    fn takes_names(self) -> bool {
        matches!(self, OptionName::Skip | OptionName::Readonly)
    }

    fn find(name: &str) -> Option<OptionName> {
        OptionName::ALL
            .into_iter()
            .find(|option| option.name() == name)
    }
}

/// The options, as written. Each is `None` (or empty) when left out or when it was wrong.
#[derive(Default)]
pub(crate) struct Options {
    pub action: Option<LitStr>,
    pub risk: Option<Expr>,
    pub summary: Option<LitStr>,
    pub justification: Option<Expr>,
    pub timeout: Option<Expr>,
    pub client: Option<Expr>,
    pub webhook_url: Option<Expr>,
    pub skip: Vec<Ident>,
    pub readonly: Vec<Ident>,
    pub when: Option<Expr>,
    pub key: Option<LitStr>,
    pub krate: Option<Path>,
    /// Options given but not understood: checks that depend on them are left out.
    pub failed: Vec<OptionName>,
}

impl Options {
    /// Parses the attribute's arguments, recording every mistake in `errors`.
    pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Options {
        let mut options = Options::default();
        let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
            Ok(metas) => metas,
            Err(error) => {
                errors.push(syn::Error::new(
                    error.span(),
                    format!("{error}; options are written `name = value` or `skip(a, b)`, separated by commas"),
                ));
                options.failed = OptionName::ALL.to_vec();
                return options;
            }
        };
        let mut seen: Vec<(OptionName, Span)> = Vec::new();
        for meta in metas {
            let path = meta.path();
            let written = path.to_token_stream().to_string().replace(' ', "");
            let Some(option) = OptionName::find(&written) else {
                errors.at(path, unknown_option(&written));
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(seen, _)| *seen == option) {
                let name = option.name();
                let mut error =
                    syn::Error::new_spanned(path, format!("`{name}` is given twice; keep one"));
                error.combine(syn::Error::new(
                    *first,
                    format!("`{name}` is first given here"),
                ));
                errors.push(error);
                continue;
            }
            seen.push((option, path.span()));
            if !options.take(option, meta, errors) {
                options.failed.push(option);
            }
        }
        options
    }

    /// True when `option` was given but could not be read.
    pub(crate) fn failed(&self, option: OptionName) -> bool {
        self.failed.contains(&option)
    }

    /// Reads one option; false when it was wrong (the error is recorded).
    fn take(&mut self, option: OptionName, meta: Meta, errors: &mut Errors) -> bool {
        let (name, usage) = (option.name(), option.usage());
        if option.takes_names() {
            let Meta::List(list) = &meta else {
                errors.at(
                    &meta,
                    format!("`{name}` takes a list of parameter names: `{usage}`"),
                );
                return false;
            };
            let parse_names = |input: syn::parse::ParseStream<'_>| {
                Punctuated::<Ident, Token![,]>::parse_terminated_with(input, Ident::parse_any)
            };
            let names = match parse_names.parse2(list.tokens.clone()) {
                Ok(names) => names.into_iter().collect::<Vec<_>>(),
                Err(error) => {
                    errors.push(syn::Error::new(
                        error.span(),
                        format!("`{name}` takes parameter names separated by commas: `{usage}`"),
                    ));
                    return false;
                }
            };
            if names.is_empty() {
                errors.at(
                    list,
                    format!("`{name}()` names no parameter: `{usage}`, or leave it out"),
                );
            }
            let (receivers, names): (Vec<Ident>, Vec<Ident>) =
                names.into_iter().partition(|name| name == "self");
            for receiver in receivers {
                errors.at(
                    receiver,
                    format!("`self` is never sent to the reviewer, so it needs no `{name}(..)`; remove it"),
                );
            }
            match option {
                OptionName::Skip => self.skip = names,
                _ => self.readonly = names,
            }
            return true;
        }
        let Meta::NameValue(pair) = meta else {
            errors.at(&meta, format!("`{name}` takes a value: `{usage}`"));
            return false;
        };
        let value = ungroup(pair.value);
        match option {
            OptionName::Action => set(
                &mut self.action,
                non_empty_string(value, name, usage, errors),
            ),
            OptionName::Key => set(&mut self.key, non_empty_string(value, name, usage, errors)),
            OptionName::Summary => set(
                &mut self.summary,
                non_empty_string(value, name, usage, errors),
            ),
            OptionName::Risk => set(&mut self.risk, checked_risk(value, errors)),
            OptionName::Timeout => set(&mut self.timeout, checked_timeout(value, errors)),
            OptionName::Crate => set(&mut self.krate, crate_path(value, usage, errors)),
            OptionName::Justification => set(&mut self.justification, Some(value)),
            OptionName::Client => set(&mut self.client, Some(value)),
            OptionName::WebhookUrl => set(&mut self.webhook_url, Some(value)),
            OptionName::When => set(&mut self.when, Some(value)),
            OptionName::Skip | OptionName::Readonly => unreachable!("lists are read above"),
        }
    }
}

/// Keeps a value that was read; false when there was none to keep.
fn set<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let read = value.is_some();
    *slot = value;
    read
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
    let closest = OptionName::ALL
        .iter()
        .map(|known| (strsim::jaro_winkler(known.name(), name), known.usage()))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(similarity, _)| *similarity > 0.8);
    let known: Vec<&str> = OptionName::ALL.iter().map(|option| option.name()).collect();
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

/// A literal, or a negated one, with whether it was negated.
fn literal(value: &Expr) -> Option<(&Lit, bool)> {
    match value {
        Expr::Lit(ExprLit { lit, .. }) => Some((lit, false)),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => match &*unary.expr {
            Expr::Lit(ExprLit { lit, .. }) => Some((lit, true)),
            _ => None,
        },
        _ => None,
    }
}

/// A literal risk must be a plain or float number in 0.0..=1.0; any other expression is checked
/// when the call runs.
fn checked_risk(value: Expr, errors: &mut Errors) -> Option<Expr> {
    let Some((lit, negative)) = literal(&value) else {
        return Some(value);
    };
    let number = match lit {
        Lit::Float(float) if matches!(float.suffix(), "" | "f64" | "f32") => {
            float.base10_parse::<f64>().ok()
        }
        Lit::Int(int) if int.suffix().is_empty() => int.base10_parse::<f64>().ok(),
        _ => None,
    };
    let written = format!(
        "{}{}",
        if negative { "-" } else { "" },
        lit.to_token_stream()
    );
    match number.map(|n| if negative { -n } else { n }) {
        Some(score) if (0.0..=1.0).contains(&score) => Some(value),
        Some(_) => {
            errors.at(
                &value,
                format!("`risk` must be between 0.0 and 1.0, not {written}: e.g. `risk = 0.8`"),
            );
            None
        }
        None => {
            errors.at(
                &value,
                format!("`risk` takes a number from 0.0 to 1.0 (`risk = 0.8`) or an `f64` expression, not `{written}`"),
            );
            None
        }
    }
}

/// A literal timeout must be a whole, positive number of seconds.
fn checked_timeout(value: Expr, errors: &mut Errors) -> Option<Expr> {
    let Some((lit, negative)) = literal(&value) else {
        return Some(value);
    };
    match lit {
        Lit::Int(int)
            if !negative && int.base10_parse::<u64>().is_ok_and(|seconds| seconds > 0) =>
        {
            Some(value)
        }
        _ => {
            errors.at(
                &value,
                "`timeout` takes a whole number of seconds above zero: `timeout = 600`",
            );
            None
        }
    }
}

/// The path of the `cheqpoint` crate: a path, or a string holding one.
fn crate_path(value: Expr, usage: &str, errors: &mut Errors) -> Option<Path> {
    let parsed = match &value {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => Ok(path.path.clone()),
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => text.parse::<Path>(),
        _ => Err(syn::Error::new_spanned(&value, "")),
    };
    parsed
        .map_err(|_| {
            errors.at(
                &value,
                format!("`crate` takes the path the `cheqpoint` crate is reached by: `{usage}`"),
            )
        })
        .ok()
}
