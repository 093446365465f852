//! Processes racing for one grant's uses: round after round, a grant of N uses is kept, then
//! 2 to 8 processes each try more times than there are uses, all at once. Exactly N calls run,
//! whatever the interleaving, and every process's count adds up to N.

use std::time::Duration;

use cheqpoint::{Journal, policy::grants::Grant};
use serde_json::json;
use tokio::process::Command;

use super::Scratch;

/// The rounds, on `journal` (`sqlite:PATH` or `postgres:URL`), opened by this process as `own`.
pub async fn grant_race(journal: &str, own: &Journal) {
    let scratch = Scratch::new("grant-race");
    let rounds = 12;
    let (mut processes, mut ran) = (0, 0);
    for round in 0..rounds {
        let size = 2 + round % 7;
        let uses = 1 + (round * 5) % 11;
        let grant = Grant::new("process_refund")
            .conditions(json!({"amount_cents": {"max": 1000}}))
            .uses(uses as u32);
        let kept = own
            .keep_grant(&grant, &grant, None)
            .await
            .expect("the grant is kept");
        let runs = scratch.join(&format!("runs-{round}"));
        let agents: Vec<_> = (0..size)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_grant_agent"))
                    .args([journal, &(uses + 3).to_string()])
                    .arg(&runs)
                    .kill_on_drop(true)
                    .output()
            })
            .collect();
        let mut took = 0;
        for agent in agents {
            let output = tokio::time::timeout(Duration::from_secs(120), agent)
                .await
                .expect("an agent ends within 120 s")
                .expect("the agent runs");
            let line = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            let count: usize = line
                .strip_prefix("took ")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| {
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    panic!("round {round}: {line} {stderr}")
                });
            took += count;
        }
        let recorded = std::fs::read_to_string(&runs).unwrap_or_default();
        let lines: Vec<&str> = recorded.lines().collect();
        assert_eq!(took, uses, "round {round}: the agents' counts");
        assert_eq!(lines.len(), uses, "round {round}: the runs recorded");
        assert!(
            lines.iter().all(|line| line.starts_with(&kept.id)),
            "round {round}: every run used {}: {lines:?}",
            kept.id
        );
        // Used up: revoking it finds nothing live.
        assert!(!own.revoke_grant(&kept.id).await.unwrap(), "round {round}");
        processes += size;
        ran += uses;
    }
    println!(
        "{}: {rounds} rounds, {processes} processes, {ran} uses granted, {ran} runs",
        journal.split(':').next().unwrap_or_default()
    );
}
