use cheqpoint::checkpoint;

struct Agent {
    name: String,
}

impl Agent {
    #[checkpoint(client = &self.name)]
    async fn refund(&self, order_id: String) -> Result<(), cheqpoint::Error> {
        let _ = order_id;
        Ok(())
    }
}

fn main() {}
