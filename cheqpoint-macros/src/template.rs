//! The templates over parameters, `summary` and `key`: `{name}` and `{name.field.field}`
//! placeholders, the name checked against the parameters at compile time and the fields by rustc,
//! at the template. A format spec may take its width or precision from a parameter
//! (`{amount:>width$}`); that parameter must be sent too, or the text would carry what
//! `skip(..)` hides. A placeholder shown with `Display` (no `:?`, `:x`, …) goes through a trait
//! of its own whose error, when the value is not `Display`, names the placeholder and what to
//! write instead.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{LitStr, Member};

use crate::{
    errors::Errors,
    params::{Kind, Param},
};

/// The expression that builds the text of `option` (`summary`, `key`): `format!` over the named
/// parameters.
pub(crate) fn expand(
    option: &str,
    template: &LitStr,
    params: &[Param],
    errors: &mut Errors,
) -> TokenStream {
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
                format!("unmatched `}}` in `{option}`; write `}}}}` for a literal brace"),
            );
            return quote!(::std::string::String::new());
        }
        let Some(end) = tail.find('}').filter(|end| !tail[1..*end].contains('{')) else {
            errors.at(
                template,
                format!("unclosed `{{` in `{option}`; write `{{{{` for a literal brace"),
            );
            return quote!(::std::string::String::new());
        };
        let placeholder = &tail[1..end];
        let (path, spec) = placeholder.split_once(':').unwrap_or((placeholder, ""));
        let path = path.trim();
        let (name, fields) = path.split_once('.').unwrap_or((path, ""));
        let name = name.trim();
        // At the template, but as generated code: rustc checks each field there, without offering
        // to rewrite the template as the field's name.
        let fields = field_path(
            option,
            path,
            fields,
            Span::call_site().located_at(template.span()),
        );
        let shown = find(option, params, name, &format!("shows `{{{path}}}`"));
        let counts = spec_arguments(option, spec).map(|count| match count {
            Ok(count) => find(
                option,
                params,
                count,
                &format!("takes a width or precision from `{count}$`"),
            )
            .map(drop),
            Err(message) => Err(Some(message)),
        });
        let mut fine = true;
        let fields_checked = fields.as_ref().map(drop).map_err(|e| Some(e.clone()));
        for result in std::iter::once(shown.as_ref().map(drop).map_err(Clone::clone))
            .chain(std::iter::once(fields_checked))
            .chain(counts)
        {
            if let Err(problem) = result {
                fine = false;
                if let Some(message) = problem {
                    errors.at(template, message);
                }
            }
        }
        if let (Ok(param), Ok(fields), true) = (shown, fields, fine) {
            let span = template.span();
            let mut ident = param.ident.clone();
            ident.set_span(span);
            let value = quote_spanned!(span=> &#ident #(. #fields)*);
            args.push(if shows_with_display(spec) {
                display_checked(option, path, value, span)
            } else {
                value
            });
            format.push_str(&if spec.is_empty() {
                "{}".to_owned()
            } else {
                format!("{{:{spec}}}")
            });
        }
        rest = &tail[end + 1..];
    }
    format.push_str(rest);
    let format = LitStr::new(&format, template.span());
    quote!(::std::format!(#format #(, #args)*))
}

/// The fields after a parameter's name in `{name.a.b}` (`fields` is `a.b`, empty for `{name}`),
/// each a field name or a tuple index, spanned at the template so that rustc's error for a field
/// the type does not have points there.
fn field_path(option: &str, path: &str, fields: &str, span: Span) -> Result<Vec<Member>, String> {
    if fields.is_empty() {
        return if path.ends_with('.') {
            Err(format!(
                "`{option}` shows `{{{path}}}`, whose field path ends in `.`; write `{{name.field}}`"
            ))
        } else {
            Ok(Vec::new())
        };
    }
    fields
        .split('.')
        .map(|field| {
            let mut member = syn::parse_str::<Member>(field.trim()).map_err(|_| {
                format!("`{option}` shows `{{{path}}}`, but `{}` is not a field name or a tuple index; write `{{name.field}}` or `{{name.0}}`", field.trim())
            })?;
            match &mut member {
                Member::Named(ident) => ident.set_span(span),
                Member::Unnamed(index) => index.span = span,
            }
            Ok(member)
        })
        .collect()
}

/// True when a format spec shows its value with `Display`: it names no other trait (`?`, `x`,
/// `X`, `o`, `b`, `e`, `E`, `p`, which end the spec).
fn shows_with_display(spec: &str) -> bool {
    !spec.ends_with(['?', 'x', 'X', 'o', 'b', 'e', 'E', 'p'])
}

/// `value` (a `&T`) as a `&dyn Display`, through a trait whose error, when `T` is not `Display`,
/// names the placeholder `{path}` and says what to write instead; rustc's own error would fall on
/// the whole attribute and name neither.
fn display_checked(option: &str, path: &str, value: TokenStream, span: Span) -> TokenStream {
    let message = format!(
        "`{{Self}}` cannot be shown as `{{{{{path}}}}}` in the {option}: it does not implement `Display`"
    );
    let label = format!("`{{{{{path}}}}}` shows its value with `Display`");
    let note = format!(
        "implement `Display` for `{{Self}}`, or write `{{{{{path}:?}}}}` to show its `Debug` form"
    );
    quote_spanned! {span=>
        {
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            trait __CheqpointShown {
                fn shown(&self) -> &dyn ::core::fmt::Display;
            }
            impl<T: ::core::fmt::Display> __CheqpointShown for T {
                fn shown(&self) -> &dyn ::core::fmt::Display {
                    self
                }
            }
            __CheqpointShown::shown(#value)
        }
    }
}

/// The arguments a format spec takes its width and precision from: `name$` gives the name;
/// a position (`0$`) or `.*` is an error, since the text's arguments are the parameters it
/// shows, not positions a person can count.
fn spec_arguments<'s>(
    option: &str,
    spec: &'s str,
) -> impl Iterator<Item = Result<&'s str, String>> {
    let star = spec
        .contains(".*")
        .then(|| Err(format!("`{option}` cannot take a precision from `.*` (in `{{:{spec}}}`): write it as a number, or `.name$` with a parameter")));
    let counts = spec.match_indices('$').map(move |(dollar, _)| {
        let before = &spec[..dollar];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let name = &before[start..];
        if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
            Err(format!("`{option}` takes widths and precisions from parameters by name (`{{:width$}}`), not by position (in `{{:{spec}}}`)"))
        } else {
            Ok(name)
        }
    });
    star.into_iter().chain(counts)
}

/// The parameter `name` when the text may use it (`usage` says how it is used); `Err(None)` when the
/// problem was reported already (a parameter that could not be gated).
fn find<'p>(
    option: &str,
    params: &'p [Param],
    name: &str,
    usage: &str,
) -> Result<&'p Param, Option<String>> {
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
        return Err(Some(format!(
            "`{option}` names parameters by name, not position (`{{{name}}}`); {choices}"
        )));
    }
    match params.iter().find(|param| param.key == name) {
        Some(param) if matches!(param.kind, Kind::Invalid) => Err(None),
        Some(param) if !param.is_sent() => {
            let kept_from = match option {
                "key" => "the service (a key is sent as the create's `Idempotency-Key`)",
                _ => "the reviewer",
            };
            Err(Some(format!(
                "`{option}` {usage}, but `{name}` is skipped and must not reach {kept_from}; remove it from the {option} or from `skip(..)`"
            )))
        }
        Some(param) => Ok(param),
        None => Err(Some(format!(
            "`{option}` {usage}, which is no parameter of this fn; {choices}"
        ))),
    }
}
