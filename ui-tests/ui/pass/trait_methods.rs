//! An async fn in a trait impl, and a trait's default method.
#![deny(warnings)]

use cheqpoint::checkpoint;

trait Mailer {
    async fn send(&self, to: String) -> Result<String, cheqpoint::Error>;

    #[checkpoint(action = "send_digest")]
    async fn digest(&self, to: String) -> Result<String, cheqpoint::Error> {
        Ok(format!("digest to {to}"))
    }
}

struct Smtp;

impl Mailer for Smtp {
    #[checkpoint(action = "send_email")]
    async fn send(&self, to: String) -> Result<String, cheqpoint::Error> {
        Ok(format!("sent to {to}"))
    }
}

fn main() {
    let _send = Smtp.send("ada@example.com".into());
    let _digest = Smtp.digest("ada@example.com".into());
}
