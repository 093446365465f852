//! The global client: set once by `init`, used by gated functions without a `client` option.

mod common;

use cheqpoint::{Error, checkpoint};
use common::{client, emulator};
use serde_json::json;

#[checkpoint(action = "rotate_key", summary = "Rotate {key_name}")]
async fn rotate(key_name: String) -> Result<String, Error> {
    Ok(format!("rotated {key_name}"))
}

#[tokio::test]
async fn init_once_then_every_gated_fn_uses_that_client() {
    let emulator = emulator().await;
    cheqpoint::init(client(&emulator)).unwrap();
    assert!(matches!(
        cheqpoint::init(client(&emulator)),
        Err(Error::AlreadyInitialized)
    ));
    assert!(cheqpoint::global().unwrap().timeout() == client(&emulator).timeout());

    let reviewer = async {
        let request = emulator.next_pending().await;
        assert_eq!(request.summary, "Rotate deploy");
        emulator
            .approve_with(&request.id, json!({"key_name": "staging"}))
            .unwrap();
    };
    let (result, ()) = tokio::join!(rotate("deploy".into()), reviewer);
    assert_eq!(result.unwrap(), "rotated staging");
}
