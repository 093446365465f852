//! The `summary` template: `{name}` placeholders checked against the parameters at compile time.

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

use crate::{errors::Errors, params::Param};

/// The expression that builds the summary: `format!` over the named parameters.
pub fn expand(template: &LitStr, params: &[Param], errors: &mut Errors) -> TokenStream {
    let text = template.value();
    let mut format = String::new();
    let mut args = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(['{', '}']) {
        format.push_str(&rest[..start]);
        let tail = &rest[start..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            format.push_str(&tail[..2]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            errors.at(
                template,
                "unmatched `}` in `summary`; write `}}` for a literal brace",
            );
            return quote!(::std::string::String::new());
        }
        let Some(end) = tail.find('}').filter(|end| !tail[1..*end].contains('{')) else {
            errors.at(
                template,
                "unclosed `{` in `summary`; write `{{` for a literal brace",
            );
            return quote!(::std::string::String::new());
        };
        let placeholder = &tail[1..end];
        let (name, spec) = placeholder.split_once(':').unwrap_or((placeholder, ""));
        match find(params, name.trim()) {
            Ok(param) => {
                let ident = &param.ident;
                args.push(quote!(&#ident));
                format.push_str(&if spec.is_empty() {
                    "{}".to_owned()
                } else {
                    format!("{{:{spec}}}")
                });
            }
            Err(message) => errors.at(template, message),
        }
        rest = &tail[end + 1..];
    }
    format.push_str(rest);
    let format = LitStr::new(&format, template.span());
    quote!(::std::format!(#format #(, #args)*))
}

fn find<'p>(params: &'p [Param], name: &str) -> Result<&'p Param, String> {
    let sent: Vec<String> = params
        .iter()
        .filter(|param| param.is_sent())
        .map(|param| format!("`{{{}}}`", param.key))
        .collect();
    let choices = if sent.is_empty() {
        "this fn sends no parameter".to_owned()
    } else {
        format!("it can name {}", sent.join(", "))
    };
    if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "`summary` names parameters by name, not position (`{{{name}}}`); {choices}"
        ));
    }
    match params.iter().find(|param| param.key == name) {
        Some(param) if !param.is_sent() => Err(format!(
            "`summary` shows `{{{name}}}`, but `{name}` is skipped and must not reach the reviewer; remove it from the summary or from `skip(..)`"
        )),
        Some(param) => Ok(param),
        None => Err(format!(
            "`summary` names `{{{name}}}`, which is no parameter of this fn; {choices}"
        )),
    }
}
