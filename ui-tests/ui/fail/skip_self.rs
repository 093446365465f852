// `self` is never sent: it needs no `skip(..)` or `readonly(..)`.
use cheqpoint::checkpoint;

struct Mailer;

impl Mailer {
    #[checkpoint(skip(self), readonly(self))]
    async fn send(&self, to: String) -> Result<(), cheqpoint::Error> {
        let _ = to;
        Ok(())
    }
}

fn main() {}
