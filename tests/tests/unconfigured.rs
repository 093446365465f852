//! With no client given and none in the environment, a gated call is refused, not run.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use cheqpoint::{Error, checkpoint};

static RAN: AtomicUsize = AtomicUsize::new(0);

#[checkpoint(action = "wipe_disk")]
async fn wipe(disk: String) -> Result<String, Error> {
    RAN.fetch_add(1, SeqCst);
    Ok(disk)
}

#[tokio::test]
async fn no_global_client_is_not_configured_and_says_how_to_configure_one() {
    // SAFETY: this test binary runs this one test, so no other thread reads the environment.
    unsafe {
        std::env::remove_var("CHEQPOINT_API_KEY");
        std::env::remove_var("CHEQPOINT_CONNECTION_KEY");
    }
    let error = wipe("/dev/sda".into()).await.unwrap_err();
    assert!(matches!(error, Error::NotConfigured), "{error:?}");
    assert!(error.to_string().contains("cheqpoint::init"));
    assert!(error.to_string().contains("CHEQPOINT_API_KEY"));
    assert_eq!(RAN.load(SeqCst), 0);
}
