use cheqpoint::checkpoint;

#[derive(serde::Serialize, serde::Deserialize)]
struct Point {
    x: i32,
}

#[checkpoint]
async fn move_to(point: &Point) -> Result<(), cheqpoint::Error> {
    let _ = point.x;
    Ok(())
}

fn main() {}
