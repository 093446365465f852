use cheqpoint::checkpoint;

#[checkpoint]
async fn delete_user(user_id: u64) {
    let _ = user_id;
}

fn main() {}
