//! The client-side cost of the gate itself: what a `#[checkpoint]` call does besides waiting.
//!
//! - `serialize 5 parameters`: `Gate::new`, the risk and five `Gate::param` calls, which is what
//!   the expansion does before anything is sent (each parameter serialized into `details`);
//! - `read 2 edits`: the reviewer's values read back into the parameters' types
//!   (`Editable::from_edit`, what `Verdict::edited` does for each changed parameter; `Verdict`
//!   itself has no constructor outside the crate, so it is measured inside the next one);
//! - `gated call with an edit, loopback`: a whole `#[checkpoint]` call of five parameters against
//!   the emulator on loopback, approved at creation by a rule and answered with an edit of two
//!   parameters (so: the parameters serialized, the request built and sent, the status read, the
//!   details compared, the edits applied, the body run);
//! - `create + read, raw reqwest`: the same two HTTP exchanges with reqwest alone, with bodies of
//!   the same size: the floor under the line above. The difference is the gate's own cost.
//!
//! Each sample of the last two gets a fresh emulator and client, made outside the timing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cheqpoint::__private::{Editable, Gate};
use cheqpoint::checkpoint;
use cheqpoint_emulator::{Emulator, Fault, FaultKind, Route};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

fn memo() -> String {
    "Quarterly vendor payment, approved budget line 42".to_owned()
}

fn tags() -> Vec<String> {
    vec!["bench".to_owned(), "finance".to_owned()]
}

#[checkpoint(
    action = "bench_transfer",
    risk = 0.1,
    summary = "Transfer {amount_cents} cents to {account} (call {call})",
    client = client,
    skip(client)
)]
async fn transfer(
    client: &cheqpoint::Client,
    call: u32,
    account: String,
    amount_cents: u64,
    memo: String,
    tags: Vec<String>,
) -> Result<u64, cheqpoint::Error> {
    black_box((call, account, memo, tags));
    Ok(amount_cents)
}

fn gate(c: &mut Criterion) {
    let mut group = c.benchmark_group("gate");

    group.bench_function("serialize 5 parameters", |b| {
        let (account, memo, tags) = ("acct_000042".to_owned(), memo(), tags());
        b.iter(|| {
            let amount_cents = black_box(12_000_u64);
            let mut gate = Gate::new(
                "bench_transfer",
                format!("Transfer {amount_cents} cents to {account} (call 42)"),
            );
            gate.risk(0.8);
            gate.param("call", &42_u32).unwrap();
            gate.param("account", &account).unwrap();
            gate.param("amount_cents", &amount_cents).unwrap();
            gate.param("memo", &memo).unwrap();
            gate.param("tags", &tags).unwrap();
            gate
        });
    });

    group.bench_function("read 2 edits", |b| {
        let edits = json!({"amount_cents": 9_000, "memo": "Half now, half next quarter"});
        b.iter(|| {
            let amount = u64::from_edit(black_box(&edits["amount_cents"])).unwrap();
            let memo = String::from_edit(black_box(&edits["memo"])).unwrap();
            (amount, memo)
        });
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // A fresh emulator and fresh clients for each sample, made outside the timing: the
    // emulator's store grows with every call, and some of its work grows with the store, which
    // would make whichever benchmark runs later look slower.
    let fresh = || {
        let edit = json!({"amount_cents": 9_000, "memo": "Half now, half next quarter"});
        let emulator = runtime.block_on(async {
            Emulator::builder()
                .auto_approve_below(0.5)
                .fault(Fault::new(
                    Route::Get,
                    FaultKind::SetField("modifiedDetails".into(), edit),
                ))
                .start()
                .await
                .unwrap()
        });
        let client = cheqpoint::Client::builder()
            .api_key("cq_test_bench")
            .base_url(emulator.url())
            .build()
            .unwrap();
        (emulator, client)
    };

    group.bench_function("gated call with an edit, loopback", |b| {
        b.iter_custom(|iters| {
            let (_emulator, client) = fresh();
            let started = Instant::now();
            for _ in 0..iters {
                let amount = runtime
                    .block_on(transfer(
                        &client,
                        42,
                        "acct_000042".into(),
                        12_000,
                        memo(),
                        tags(),
                    ))
                    .unwrap();
                assert_eq!(amount, 9_000);
            }
            let elapsed = started.elapsed();
            runtime.block_on(async { drop(client) });
            elapsed
        });
    });

    let body = json!({
        "action": "bench_transfer",
        "summary": "Transfer 12000 cents to acct_000042 (call 42)",
        "details": {"call": 42, "account": "acct_000042", "amount_cents": 12_000,
                    "memo": memo(), "tags": tags()},
        "riskScore": 0.1,
    });
    group.bench_function("create + read, raw reqwest", |b| {
        b.iter_custom(|iters| {
            let (emulator, _) = fresh();
            let url = emulator.url();
            let http = cheqpoint::http_client_builder().unwrap().build().unwrap();
            let started = Instant::now();
            for _ in 0..iters {
                runtime.block_on(async {
                    let created: Value = http
                        .post(format!("{url}/api/approvals/request"))
                        .header("x-api-key", "cq_test_bench")
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    let id = created["id"].as_str().unwrap();
                    let record: Value = http
                        .get(format!("{url}/api/approvals/{id}"))
                        .header("x-api-key", "cq_test_bench")
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    black_box(record)
                });
            }
            started.elapsed()
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4));
    targets = gate
}
criterion_main!(benches);
