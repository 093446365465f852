//! The global client: a gated call made before `init` uses a client built from the environment,
//! and `init` afterwards still takes over, so the order of start-up cannot lose a configuration.

mod common;

use std::time::Duration;

use cheqpoint::{Error, checkpoint};
use cheqpoint_emulator::Emulator;
use common::{KEY, client, emulator};
use serde_json::json;

#[checkpoint(action = "rotate_key", summary = "Rotate {key_name}")]
async fn rotate(key_name: String) -> Result<String, Error> {
    Ok(format!("rotated {key_name}"))
}

/// Runs `rotate(key_name)` while `emulator`'s reviewer approves with `edit`.
async fn rotate_approved_on(emulator: &Emulator, key_name: &str, edit: &str) -> String {
    let reviewer = async {
        let request = emulator
            .next_pending(Duration::from_secs(30))
            .await
            .expect("the gated call reaches this emulator");
        assert_eq!(request.summary, format!("Rotate {key_name}"));
        emulator
            .approve_with(&request.id, json!({"key_name": edit}))
            .unwrap();
    };
    let (result, ()) = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(rotate(key_name.into()), reviewer)
    })
    .await
    .expect("the call ends");
    result.unwrap()
}

#[tokio::test]
async fn a_call_before_init_uses_the_environment_and_init_still_takes_over() {
    let from_env = emulator().await;
    let given = emulator().await;
    // SAFETY: this test binary runs this one test, so no other thread reads the environment.
    unsafe {
        std::env::set_var("CHEQPOINT_API_KEY", KEY);
        std::env::set_var("CHEQPOINT_BASE_URL", from_env.url());
    }
    assert_eq!(
        rotate_approved_on(&from_env, "early", "early-1").await,
        "rotated early-1"
    );

    cheqpoint::init(client(&given)).expect("init after an early call still configures");
    assert!(matches!(
        cheqpoint::init(client(&given)),
        Err(Error::AlreadyInitialized)
    ));
    assert_eq!(
        rotate_approved_on(&given, "deploy", "staging").await,
        "rotated staging"
    );
    assert_eq!(
        from_env.created_count(),
        1,
        "nothing more went to the environment's service"
    );
    assert_eq!(given.created_count(), 1);
}
