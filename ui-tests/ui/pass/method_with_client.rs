//! A method on `&self` that asks through the client it holds.
#![deny(warnings)]

use cheqpoint::{Client, checkpoint};

struct Agent {
    client: Client,
}

impl Agent {
    #[checkpoint(client = &self.client, summary = "Email {to}")]
    async fn send_email(&self, to: String, body: String) -> Result<usize, cheqpoint::Error> {
        Ok(to.len() + body.len())
    }
}

fn main() {
    let agent = Agent { client: Client::new("key").unwrap() };
    let _future = agent.send_email("a@example.com".into(), "hi".into());
}
