// The shape `#[async_trait]` gives a trait method: a boxed future the gate cannot wait inside.
use std::{future::Future, pin::Pin};

use cheqpoint::checkpoint;

trait Mailer {
    fn send<'a>(&'a self, to: String) -> Pin<Box<dyn Future<Output = Result<(), cheqpoint::Error>> + Send + 'a>>;
}

struct Smtp;

impl Mailer for Smtp {
    #[checkpoint]
    fn send<'a>(&'a self, to: String) -> Pin<Box<dyn Future<Output = Result<(), cheqpoint::Error>> + Send + 'a>> {
        Box::pin(async move {
            let _ = to;
            Ok(())
        })
    }
}

fn main() {}
