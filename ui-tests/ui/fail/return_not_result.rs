use cheqpoint::checkpoint;

#[checkpoint]
async fn count(table: String) -> u32 {
    table.len() as u32
}

fn main() {}
