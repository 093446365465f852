//! `return` and `?` in the body return from the function, as written.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint]
async fn parse(text: String) -> Result<u32, cheqpoint::Error> {
    if text.is_empty() {
        return Ok(0);
    }
    let number: u32 = text.parse().map_err(|_| cheqpoint::Error::NotConfigured)?;
    let checked = Some(number).ok_or(cheqpoint::Error::NotConfigured)?;
    Ok(checked)
}

fn main() {
    let _future = parse("7".into());
}
