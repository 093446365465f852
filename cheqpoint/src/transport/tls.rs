//! The one way an HTTP client of this crate is made: [`http_client_builder`], a
//! `reqwest::ClientBuilder` whose TLS is already set up, so that no client is ever built without
//! a crypto provider. It calls nothing else of the crate but [`Error`].

use crate::Error;

/// A `reqwest::ClientBuilder` ready for TLS, as every HTTP client of this crate is made.
///
/// With the `rustls` feature (the default), its TLS is rustls with `ring` as the crypto provider
/// (or the process's provider, when the application installed one with
/// `rustls::crypto::CryptoProvider::install_default` before the first client was built),
/// trusting the platform's root certificates as read for the first client. reqwest is built
/// without a provider of its own, so a `reqwest::Client::new()` made elsewhere in a program that
/// takes its `reqwest` through this crate would have none. With `native-tls` instead, the
/// platform's TLS library; with neither, plain HTTP only.
///
/// Set anything else on the builder, then `.build()`. TLS settings made on it afterwards
/// (`add_root_certificate`, `tls_backend_rustls`, …) replace this setup.
///
/// # Errors
///
/// [`Error::Config`] when the platform's root certificates cannot be loaded (none were found).
///
/// ```
/// let http = cheqpoint::http_client_builder()?
///     .timeout(std::time::Duration::from_secs(10))
///     .build()
///     .map_err(|e| cheqpoint::Error::Config(e.to_string()))?;
/// # drop(http);
/// # Ok::<(), cheqpoint::Error>(())
/// ```
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, Error> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "rustls")]
    let builder = builder.tls_backend_preconfigured(rustls_config()?);
    Ok(builder)
}

/// rustls with the installed provider, else `ring`, and the platform's verifier: made once, as
/// reading the platform's root certificates takes milliseconds, then shared by every client.
#[cfg(feature = "rustls")]
fn rustls_config() -> Result<rustls::ClientConfig, Error> {
    use rustls_platform_verifier::BuilderVerifierExt;

    static MADE: std::sync::OnceLock<rustls::ClientConfig> = std::sync::OnceLock::new();
    if let Some(config) = MADE.get() {
        return Ok(config.clone());
    }
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| std::sync::Arc::new(rustls::crypto::ring::default_provider()));
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(BuilderVerifierExt::with_platform_verifier)
        .map_err(|e| Error::Config(format!("TLS could not be set up: {e}")))?
        .with_no_client_auth();
    Ok(MADE.get_or_init(|| config).clone())
}

#[cfg(all(test, feature = "rustls"))]
mod tests {
    use std::time::Duration;

    use tokio::{io::AsyncReadExt, net::TcpListener, time::timeout};

    /// A client from the builder speaks TLS to an `https` URL (reqwest has no provider of its
    /// own: without the one handed over, building it would panic).
    #[tokio::test]
    async fn its_clients_speak_tls_to_https() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}/", listener.local_addr().unwrap());
        let http = super::http_client_builder()
            .unwrap()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let sent = tokio::spawn(async move { http.get(url).send().await });
        let (mut socket, _) = timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("the client connects within 10 s")
            .unwrap();
        let mut head = [0u8; 6];
        socket.read_exact(&mut head).await.unwrap();
        assert_eq!(
            (head[0], head[5]),
            (0x16, 0x01),
            "a TLS handshake record carrying a ClientHello: {head:?}"
        );
        drop(socket);
        assert!(sent.await.unwrap().is_err(), "no TLS server answered");
    }
}
