//! Grants, each a scenario run against a database: asked with `Client::ask_grant` and decided
//! in the emulator, then `#[checkpoint]` calls that run under them with no request, or are asked
//! as usual once past the bounds, the uses, the time, or a revocation. Each counts the body's
//! runs and the requests the emulator received. The calls asked in each scenario differ from
//! those of the others, which may share the database (a call made again re-attaches to its
//! pending request).

use std::{
    sync::atomic::{AtomicUsize, Ordering::SeqCst},
    time::Duration,
};

use cheqpoint::{Client, Error, KeptGrant, UNGRANTED_FOR, checkpoint, policy::grants::Grant};
use cheqpoint_emulator::Emulator;
use serde_json::json;

use super::states::{Database, client};
use crate::common::emulator;

#[checkpoint(
    client = client,
    action = "process_refund",
    risk = 0.8,
    summary = "Refund {amount_cents} {currency}",
    timeout = 1,
    skip(client, ran)
)]
async fn refund(
    client: &Client,
    ran: &AtomicUsize,
    amount_cents: u64,
    currency: String,
) -> Result<u64, Error> {
    ran.fetch_add(1, SeqCst);
    let _sent_for_the_reviewer = currency;
    Ok(amount_cents)
}

/// Refunds of at most 5,000 in EUR, 3 times, for an hour.
fn small_refunds() -> Grant {
    Grant::new("process_refund")
        .conditions(json!({"amount_cents": {"max": 5000}, "currency": {"one_of": ["EUR"]}}))
        .lasting(Duration::from_secs(3600))
        .uses(3)
}

/// Asks for `grant` while a reviewer decides it with `decide`.
async fn asked(
    client: &Client,
    emulator: &Emulator,
    grant: &Grant,
    decide: impl FnOnce(&Emulator, &str),
) -> Result<KeptGrant, Error> {
    let decided = async {
        // Calls asked before and left unanswered are still pending: passed over.
        let request = loop {
            let request = emulator
                .next_pending(Duration::from_secs(10))
                .await
                .expect("the grant request arrives");
            if request.action.starts_with("grant:") {
                break request;
            }
        };
        assert_eq!(request.action, format!("grant:{}", grant.tool));
        assert_eq!(request.summary, grant.words());
        decide(emulator, &request.id);
    };
    tokio::join!(client.ask_grant(grant), decided).0
}

/// A call the grants do not cover is asked, and with nobody answering, times out unrun.
async fn asked_and_unanswered(client: &Client, emulator: &Emulator, amount: u64, currency: &str) {
    let ran = AtomicUsize::new(0);
    let before = emulator.created_count();
    let outcome = refund(client, &ran, amount, currency.into()).await;
    assert!(matches!(outcome, Err(Error::Timeout { .. })), "{outcome:?}");
    assert_eq!(
        ran.load(SeqCst),
        0,
        "{amount} {currency}: the body did not run"
    );
    assert_eq!(
        emulator.created_count(),
        before + 1,
        "{amount} {currency}: asked"
    );
}

/// Runs a call a grant covers: no request, the body once.
async fn runs_unasked(client: &Client, emulator: &Emulator, amount: u64) {
    let ran = AtomicUsize::new(0);
    let before = emulator.created_count();
    assert_eq!(
        refund(client, &ran, amount, "EUR".into()).await.unwrap(),
        amount
    );
    assert_eq!(ran.load(SeqCst), 1);
    assert_eq!(
        emulator.created_count(),
        before,
        "{amount}: nobody was asked"
    );
}

/// Approved as asked: within the bounds, calls run unasked until the uses are gone; past the
/// bounds, or after the last use, they are asked. Each use is counted in the list.
pub async fn a_grant_covers_its_bounds_and_uses(db: &Database) {
    let emulator = emulator().await;
    let client = client(&emulator, db.journal().await, Duration::from_secs(1));
    let kept = asked(&client, &emulator, &small_refunds(), |e, id| {
        e.approve(id).unwrap();
    })
    .await
    .unwrap();
    assert_eq!((kept.uses_left, kept.asked.clone()), (3, None));
    runs_unasked(&client, &emulator, 1200).await;
    asked_and_unanswered(&client, &emulator, 5001, "EUR").await;
    asked_and_unanswered(&client, &emulator, 100, "USD").await;
    runs_unasked(&client, &emulator, 5000).await;
    // Another process on the same journal sees the same grant and its uses.
    let other = client_of(&emulator, db).await;
    runs_unasked(&other, &emulator, 1).await;
    asked_and_unanswered(&client, &emulator, 1, "EUR").await;
    let listed = client.journal().unwrap().grants().await.unwrap();
    let listed = listed.iter().find(|g| g.id == kept.id).expect("listed");
    assert_eq!(listed.uses_left, 0);
    assert!(!listed.is_live());
}

async fn client_of(emulator: &Emulator, db: &Database) -> Client {
    client(emulator, db.journal().await, Duration::from_secs(1))
}

/// Narrowed by the reviewer: only the narrowed bounds and uses are granted.
pub async fn a_narrowed_grant_covers_only_what_is_left(db: &Database) {
    let emulator = emulator().await;
    let client = client_of(&emulator, db).await;
    let narrowed = json!({
        "tool": "process_refund",
        "where": {"amount_cents": {"max": 1000}, "currency": {"equals": "EUR"}},
        "for_seconds": 600,
        "uses": 1,
        "scope": "everywhere",
    });
    let kept = asked(&client, &emulator, &small_refunds(), |e, id| {
        e.approve_with(id, narrowed).unwrap();
    })
    .await
    .unwrap();
    assert_eq!(kept.uses_left, 1);
    assert_eq!(kept.asked, Some(small_refunds()));
    asked_and_unanswered(&client, &emulator, 1001, "EUR").await;
    runs_unasked(&client, &emulator, 1000).await;
    asked_and_unanswered(&client, &emulator, 10, "EUR").await;
}

/// Widened by the reviewer, rejected, or asked with no journal: nothing is granted.
pub async fn a_widened_or_rejected_grant_grants_nothing(db: &Database) {
    let emulator = emulator().await;
    let client = client_of(&emulator, db).await;
    let kept_before = client.journal().unwrap().grants().await.unwrap().len();
    let mut widened = serde_json::to_value(small_refunds()).unwrap();
    widened["uses"] = json!(300);
    let refused = asked(&client, &emulator, &small_refunds(), |e, id| {
        e.approve_with(id, widened).unwrap();
    })
    .await;
    match refused {
        Err(Error::GrantRefused { reason, .. }) => {
            assert!(reason.contains("raises the uses from 3 to 300"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let rejected = asked(&client, &emulator, &small_refunds(), |e, id| {
        e.reject(id, "not today").unwrap();
    })
    .await;
    assert!(
        matches!(rejected, Err(Error::Rejected { .. })),
        "{rejected:?}"
    );
    let kept = client.journal().unwrap().grants().await.unwrap();
    assert_eq!(kept.len(), kept_before, "nothing was kept");
    asked_and_unanswered(&client, &emulator, 2, "EUR").await;
    let without = crate::common::client(&emulator);
    let refused = without.ask_grant(&small_refunds()).await;
    assert!(
        matches!(&refused, Err(Error::Config(why)) if why.contains("kept in a journal")),
        "{refused:?}"
    );
}

/// Revoked, or expired: the grant covers nothing from then on, in every process.
pub async fn a_revoked_or_expired_grant_covers_nothing(db: &Database) {
    let emulator = emulator().await;
    let client = client_of(&emulator, db).await;
    let kept = asked(&client, &emulator, &small_refunds(), |e, id| {
        e.approve(id).unwrap();
    })
    .await
    .unwrap();
    runs_unasked(&client, &emulator, 10).await;
    let other = client_of(&emulator, db).await;
    assert!(
        other
            .journal()
            .unwrap()
            .revoke_grant(&kept.id)
            .await
            .unwrap()
    );
    assert!(
        !other
            .journal()
            .unwrap()
            .revoke_grant(&kept.id)
            .await
            .unwrap()
    );
    asked_and_unanswered(&client, &emulator, 20, "EUR").await;

    let brief = small_refunds().lasting(Duration::from_secs(1));
    let brief = asked(&client, &emulator, &brief, |e, id| {
        e.approve(id).unwrap();
    })
    .await
    .unwrap();
    runs_unasked(&client, &emulator, 10).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Another amount: the call above is still pending, and the same call would re-attach to it.
    asked_and_unanswered(&client, &emulator, 21, "EUR").await;
    let listed = client.journal().unwrap().grants().await.unwrap();
    let state = |id: &str| {
        let grant = listed.iter().find(|g| g.id == id).expect("listed");
        (grant.is_live(), grant.revoked.is_some())
    };
    assert_eq!(state(&kept.id), (false, true), "revoked");
    assert_eq!(state(&brief.id), (false, false), "expired");
}

/// A grant kept by another process covers calls here once this process reads the grants again:
/// at most [`UNGRANTED_FOR`] after it last found none.
pub async fn a_grant_kept_elsewhere_covers_calls_here_within_a_second(db: &Database) {
    let emulator = emulator().await;
    let here = client_of(&emulator, db).await;
    asked_and_unanswered(&here, &emulator, 30, "EUR").await;
    let elsewhere = client_of(&emulator, db).await;
    let grant = small_refunds().uses(1);
    elsewhere
        .journal()
        .unwrap()
        .keep_grant(&grant, &grant, None)
        .await
        .unwrap();
    tokio::time::sleep(UNGRANTED_FOR).await;
    runs_unasked(&here, &emulator, 31).await;
}
