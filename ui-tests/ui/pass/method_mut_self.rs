//! A method on `&mut self`: the receiver is never sent, and the body may change it.
#![deny(warnings)]

use cheqpoint::checkpoint;

struct Ledger {
    total: u64,
}

impl Ledger {
    #[checkpoint(action = "credit")]
    fn credit(&mut self, amount: u64) -> Result<u64, cheqpoint::Error> {
        self.total += amount;
        Ok(self.total)
    }
}

fn main() {
    let _gated: fn(&mut Ledger, u64) -> Result<u64, cheqpoint::Error> = Ledger::credit;
}
