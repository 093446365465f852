#![deny(warnings)]

//! Lint attributes of a parameter follow it onto the binding the body uses; `#[cfg_attr]` works;
//! `skip(..)` and `readonly(..)` name raw identifiers either way.

use cheqpoint::checkpoint;

#[checkpoint(skip(r#type), readonly(loop_count))]
async fn send(
    #[allow(unused_variables)] note: String,
    #[cfg_attr(all(), allow(unused_variables))] tag: String,
    r#type: u8,
    r#loop_count: u32,
) -> Result<(), cheqpoint::Error> {
    let _ = (r#type, loop_count);
    Ok(())
}

fn main() {
    let _ = send(String::new(), String::new(), 1, 2);
}
