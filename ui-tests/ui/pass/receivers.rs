//! `self` by value, `Box<Self>` and `Arc<Self>` receivers: never sent, moved into the body.
#![deny(warnings)]

use std::sync::Arc;

use cheqpoint::checkpoint;

struct Job {
    name: String,
}

impl Job {
    #[checkpoint(action = "run_job")]
    async fn run(self, attempt: u32) -> Result<String, cheqpoint::Error> {
        Ok(format!("{} #{attempt}", self.name))
    }

    #[checkpoint(action = "run_boxed_job")]
    fn run_boxed(self: Box<Self>, attempt: u32) -> Result<String, cheqpoint::Error> {
        Ok(format!("{} #{attempt}", self.name))
    }

    #[checkpoint(action = "run_shared_job")]
    async fn run_shared(self: Arc<Self>, attempt: u32) -> Result<String, cheqpoint::Error> {
        Ok(format!("{} #{attempt}", self.name))
    }
}

fn main() {
    let _owned = Job { name: "a".into() }.run(1);
    let _boxed = Box::new(Job { name: "b".into() }).run_boxed(1);
    let _shared = Arc::new(Job { name: "c".into() }).run_shared(1);
}
