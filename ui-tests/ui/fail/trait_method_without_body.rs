use cheqpoint::checkpoint;

trait Payments {
    #[checkpoint]
    fn refund(&self, order_id: String) -> Result<(), cheqpoint::Error>;
}

fn main() {}
