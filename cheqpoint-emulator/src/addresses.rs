//! Where the emulator can be reached: the base URL its own clients use, the public URL people on
//! other machines use (`--public-url`), and from them the `Host` values and browser origins it
//! accepts — the names of loopback (`127.0.0.1`, `localhost`, `[::1]`) with its port, the
//! address it is bound to, and the public URL's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// The emulator's addresses.
#[derive(Debug)]
pub(crate) struct Addresses {
    /// `http://ADDR`, without a trailing slash: loopback when bound to every interface.
    base_url: String,
    /// The URL the inbox links point at, without a trailing slash: the public URL when given,
    /// else `base_url`.
    link_base: String,
    /// Every accepted `Host`, in lower case.
    hosts: Vec<String>,
    /// Every accepted `Origin`.
    origins: Vec<String>,
}

impl Addresses {
    /// The addresses of an emulator bound to `bound`, known from elsewhere as `public_url`.
    pub(crate) fn new(bound: SocketAddr, public_url: Option<&Url>) -> Addresses {
        let port = bound.port();
        let reachable = match bound.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::from((Ipv6Addr::LOCALHOST, port)),
            _ => bound,
        };
        let mut hosts: Vec<String> = ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .map(|name| format!("{name}:{port}"))
            .collect();
        if port == 80 {
            hosts.extend(["127.0.0.1", "localhost", "[::1]"].map(String::from));
        }
        if !bound.ip().is_unspecified() && !hosts.contains(&bound.to_string()) {
            hosts.push(bound.to_string());
        }
        let mut origins: Vec<String> = hosts.iter().map(|host| format!("http://{host}")).collect();
        if let Some(url) = public_url {
            let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
            let named = match url.port() {
                Some(port) => vec![format!("{host}:{port}")],
                None => {
                    let port = url.port_or_known_default().unwrap_or(80);
                    vec![host.clone(), format!("{host}:{port}")]
                }
            };
            for name in named {
                if !hosts.contains(&name) {
                    hosts.push(name);
                }
            }
            origins.push(url.origin().ascii_serialization());
        }
        let base_url = format!("http://{reachable}");
        let link_base = public_url.map_or_else(
            || base_url.clone(),
            |url| url.as_str().trim_end_matches('/').to_owned(),
        );
        Addresses {
            base_url,
            link_base,
            hosts,
            origins,
        }
    }

    /// `http://ADDR`, without a trailing slash: the base URL to give a client on this machine.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// True when a request with this `Host` header is for the emulator.
    pub(crate) fn is_known_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    /// The accepted `Host` values, for an error message.
    pub(crate) fn known_hosts(&self) -> &[String] {
        &self.hosts
    }

    /// True when a browser's `Origin` header names a page the emulator served.
    pub(crate) fn is_own_origin(&self, origin: &str) -> bool {
        self.origins
            .iter()
            .any(|own| own.eq_ignore_ascii_case(origin))
    }

    /// The page where a person reviews request `id`. It carries no token: the inbox remembers the
    /// one it was opened with ([`inbox_url`](Self::inbox_url)).
    pub(crate) fn review_url(&self, id: &str) -> String {
        format!("{}/#/approvals/{id}", self.link_base)
    }

    /// The inbox, with the reviewer token in its query when one is set.
    pub(crate) fn inbox_url(&self, review_token: Option<&str>) -> String {
        let page = format!("{}/", self.link_base);
        match review_token {
            Some(token) => {
                Url::parse_with_params(&page, [("token", token)]).map_or(page, String::from)
            }
            None => page,
        }
    }
}

/// Reads a `--public-url`: an `http` or `https` URL with a host and nothing after the path `/`.
pub(crate) fn parse_public_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|error| format!("public URL {text:?}: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "public URL {text:?}: give an http:// or https:// URL with a host"
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "public URL {text:?}: give the scheme, host and port only (the inbox is served at /)"
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_the_public_url_are_known() {
        let public = parse_public_url("https://Review.Example.com").unwrap();
        let addresses = Addresses::new("0.0.0.0:8787".parse().unwrap(), Some(&public));
        assert_eq!(addresses.base_url(), "http://127.0.0.1:8787");
        for host in [
            "127.0.0.1:8787",
            "LOCALHOST:8787",
            "[::1]:8787",
            "review.example.com",
            "review.example.com:443",
        ] {
            assert!(addresses.is_known_host(host), "{host}");
        }
        for host in [
            "127.0.0.1:8788",
            "attacker.example:8787",
            "0.0.0.0:8787",
            "localhost",
            "127.0.0.1",
        ] {
            assert!(!addresses.is_known_host(host), "{host}");
        }
        assert!(addresses.is_own_origin("https://review.example.com"));
        assert!(addresses.is_own_origin("http://localhost:8787"));
        assert!(!addresses.is_own_origin("http://review.example.com"));
        assert!(!addresses.is_own_origin("null"));
        assert_eq!(
            addresses.review_url("req_1"),
            "https://review.example.com/#/approvals/req_1"
        );
        assert_eq!(
            addresses.inbox_url(Some("a b")),
            "https://review.example.com/?token=a+b"
        );
    }

    #[test]
    fn a_specific_bound_address_is_known() {
        let addresses = Addresses::new("192.0.2.7:9000".parse().unwrap(), None);
        assert_eq!(addresses.base_url(), "http://192.0.2.7:9000");
        assert!(addresses.is_known_host("192.0.2.7:9000"));
        let loopback = Addresses::new("127.0.0.1:9000".parse().unwrap(), None);
        assert_eq!(
            loopback.known_hosts(),
            ["127.0.0.1:9000", "localhost:9000", "[::1]:9000"],
            "each once"
        );
        assert_eq!(addresses.inbox_url(None), "http://192.0.2.7:9000/");
    }

    #[test]
    fn public_urls_are_scheme_host_and_port() {
        assert!(parse_public_url("http://10.0.0.2:8787").is_ok());
        assert!(parse_public_url("http://10.0.0.2:8787/").is_ok());
        assert!(parse_public_url("ftp://host").is_err());
        assert!(parse_public_url("http://host/inbox").is_err());
        assert!(parse_public_url("http://host/?q=1").is_err());
        assert!(parse_public_url("host:8787").is_err());
    }
}
