//! `client = &self.client` on a `&mut self` method: the borrow ends before the body changes `self`.
#![deny(warnings)]

use cheqpoint::{Client, checkpoint};

struct Agent {
    client: Client,
    sent: u32,
}

impl Agent {
    #[checkpoint(client = &self.client, action = "send_email")]
    async fn send(&mut self, to: String) -> Result<u32, cheqpoint::Error> {
        let _ = to;
        self.sent += 1;
        Ok(self.sent)
    }
}

fn main() {}
