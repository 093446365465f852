//! Raw identifiers: `r#type` is sent under the key `type`, and named `{type}` in the summary.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(action = "create", summary = "Create a {type} in {in}", readonly(r#in))]
async fn r#create(r#type: String, r#in: String) -> Result<String, cheqpoint::Error> {
    Ok(format!("{} {}", r#type, r#in))
}

fn main() {
    let _future = r#create("bucket".into(), "eu".into());
}
