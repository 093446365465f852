use cheqpoint::checkpoint;

#[derive(serde::Serialize)]
struct Report {
    title: String,
}

#[checkpoint]
async fn publish(report: Report) -> Result<(), cheqpoint::Error> {
    let _ = report.title;
    Ok(())
}

fn main() {}
