//! Read-only parameters with a named or `'static` lifetime: the caller's borrow runs, so the
//! body may return it or move it into a thread.
#![deny(warnings)]

use cheqpoint::checkpoint;

#[checkpoint(readonly(items))]
async fn first<'a>(items: &'a [String], note: String) -> Result<&'a String, cheqpoint::Error> {
    let _ = note;
    items.first().ok_or(cheqpoint::Error::NotConfigured)
}

#[checkpoint(readonly(name))]
fn greet_later(name: &'static str) -> Result<std::thread::JoinHandle<String>, cheqpoint::Error> {
    Ok(std::thread::spawn(move || format!("hello {name}")))
}

fn main() {
    let items = vec!["a".to_owned()];
    let _future = first(&items, "pick".into());
    let _gated = greet_later;
}
