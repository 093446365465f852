//! One HTTP exchange with the service: send, read a bounded body, and turn a failure into an
//! [`Error`] with the kind the retry policy ([`super::retry`]) decides on.

use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode, header::RETRY_AFTER};

use crate::{
    Error,
    error::{body_excerpt, invalid_response},
    transport::retry::{self, FailureKind},
};

/// The most of a response body the client reads; a larger answer is refused.
const MAX_BODY: usize = 1 << 20;

/// A failed exchange, with what a retry policy needs to know about it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: Error,
    pub kind: FailureKind,
    /// The server's `Retry-After`, when it sent one.
    pub retry_after: Option<Duration>,
}

/// Sends `request` and returns the body of a 2xx answer.
pub(crate) async fn send(request: RequestBuilder) -> Result<Vec<u8>, Failure> {
    let response = request.send().await.map_err(transport_failure)?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(retry::parse_retry_after);
    let (body, read) = read_body(response).await;
    if status.is_success() {
        return read.map(|()| body);
    }
    // An error answer that could not be read whole is still an error answer: show its start.
    Err(Failure {
        error: api_error(status, &body),
        kind: retry::kind_of_status(status),
        retry_after,
    })
}

/// Reads at most [`MAX_BODY`] bytes; more is an error, not a truncation. Returns what was read,
/// and why the reading stopped short, if it did: a broken connection may pass (transient), an
/// answer too large will not (permanent).
async fn read_body(mut response: Response) -> (Vec<u8>, Result<(), Failure>) {
    let mut body = Vec::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return (body, Ok(())),
            Err(error) => {
                let failure = Failure {
                    error: transport_error(error, "the answer was cut off"),
                    kind: FailureKind::Transient,
                    retry_after: None,
                };
                return (body, Err(failure));
            }
        };
        if body.len() + chunk.len() > MAX_BODY {
            let failure = Failure {
                error: invalid_response(
                    format!("the answer is larger than {} KiB", MAX_BODY >> 10),
                    &body,
                ),
                kind: FailureKind::Permanent,
                retry_after: None,
            };
            return (body, Err(failure));
        }
        body.extend_from_slice(&chunk);
    }
}

fn transport_failure(error: reqwest::Error) -> Failure {
    let kind = retry::kind_of_transport(&error);
    let context = if error.is_timeout() {
        "the request timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    };
    Failure {
        error: transport_error(error, context),
        kind,
        retry_after: None,
    }
}

fn transport_error(error: reqwest::Error, context: &str) -> Error {
    // The cause ("connection refused", "connection closed before message completed") is in the
    // error's sources, which `Error::source` hands on: the message does not repeat them.
    Error::Transport {
        message: context.to_owned(),
        approval_id: None,
        source: Box::new(error),
    }
}

/// The error for a non-2xx answer: the server's `{"error": ..}` message when there is one.
fn api_error(status: StatusCode, body: &[u8]) -> Error {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|json| {
            let message = json.get("error").or_else(|| json.get("message"))?;
            Some(
                message
                    .as_str()
                    .map_or_else(|| message.to_string(), str::to_owned),
            )
        })
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("unexpected status")
                .to_owned()
        });
    Error::Api {
        status: status.as_u16(),
        message,
        body: body_excerpt(body),
        approval_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_carry_the_server_message_or_the_reason() {
        let error = api_error(StatusCode::UNAUTHORIZED, br#"{"error":"invalid API key"}"#);
        assert!(
            matches!(&error, Error::Api { status: 401, message, .. } if message == "invalid API key")
        );
        let error = api_error(StatusCode::BAD_GATEWAY, b"<html>proxy</html>");
        assert!(
            matches!(&error, Error::Api { status: 502, message, body, .. }
            if message == "Bad Gateway" && body == "<html>proxy</html>")
        );
    }
}
