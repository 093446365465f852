//! `crate = path`: the generated code reaches `cheqpoint` through the given path (for a renamed
//! dependency or a re-export).
#![deny(warnings)]

mod agent_kit {
    pub use ::cheqpoint as gate;
}

#[agent_kit::gate::checkpoint(crate = agent_kit::gate, action = "send_email")]
async fn send(to: String) -> Result<(), agent_kit::gate::Error> {
    let _ = to;
    Ok(())
}

#[cheqpoint::checkpoint(crate = "::cheqpoint")]
async fn archive(path: String) -> Result<(), cheqpoint::Error> {
    let _ = path;
    Ok(())
}

fn main() {
    let _send = send("a@example.com".into());
    let _archive = archive("/tmp".into());
}
