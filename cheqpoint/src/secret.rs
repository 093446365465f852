//! A value that must never be shown: the API key and the webhook secrets. Its `Debug` prints
//! `<redacted>`, so anything holding one can derive `Debug` without leaking it.

use std::fmt;

/// A secret string; read it with [`Secret::expose`] where it is used, nowhere else.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends or checks it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl AsRef<[u8]> for Secret {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("cq_live_hidden");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(
            format!("{:?}", Some(vec![secret.clone()])),
            "Some([<redacted>])"
        );
        assert_eq!(secret.expose(), "cq_live_hidden");
    }
}
