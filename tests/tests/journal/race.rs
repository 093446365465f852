//! Races: 2 to 8 agent processes on one journal, started together with the same key, round after
//! round. Whatever the interleaving, each key makes one request, each approval runs its body
//! once, and every other process is told why it did not run (in progress, or done). Rounds:
//! `CHEQPOINT_RACE_ROUNDS`, default 42 (six of each size); every third round waits for a person
//! (so the processes attach to the pending request and claim its run together), the others are
//! approved by a rule at creation.

use cheqpoint_emulator::Emulator;

use super::{
    Scratch,
    agent::{Agent, runs_in},
};
use crate::common;

/// The rounds, each a crowd of agent processes on `journal` (`sqlite:PATH` or `postgres:URL`).
pub async fn race(journal: &str) {
    let emulator = Emulator::builder()
        .api_key(common::KEY)
        .auto_approve_below(0.5)
        .start()
        .await
        .expect("the emulator starts");
    let scratch = Scratch::new("journal-race");
    let rounds: usize = std::env::var("CHEQPOINT_RACE_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(42);
    let (mut processes, mut refused) = (0, 0);
    for round in 0..rounds {
        let size = 2 + round % 7;
        let by_a_person = round % 3 == 2;
        let risk = if by_a_person { "risk=0.8" } else { "risk=0.2" };
        let key = format!("race-{round}");
        let runs = scratch.join(&key);
        let created_before = emulator.created_count();
        let agents: Vec<Agent> = (0..size)
            .map(|_| Agent::start(&emulator.url(), journal, &key, &runs, &[risk, "body-ms=50"]))
            .collect();
        if by_a_person {
            let request = emulator
                .next_pending(std::time::Duration::from_secs(30))
                .await
                .expect("a request arrives");
            emulator.approve(&request.id).unwrap();
        }
        let mut outcomes = Vec::new();
        for agent in agents {
            outcomes.push(agent.outcome().await);
        }
        let ran: Vec<&String> = outcomes.iter().filter(|o| *o == "outcome ok").collect();
        assert_eq!(ran.len(), 1, "round {round}: {outcomes:#?}");
        assert!(
            outcomes.iter().all(|o| o == "outcome ok"
                || o.starts_with("outcome InProgress")
                || o.starts_with("outcome AlreadyDone")),
            "round {round}: {outcomes:#?}"
        );
        assert_eq!(
            emulator.created_count() - created_before,
            1,
            "round {round}: one request"
        );
        assert_eq!(runs_in(&runs).len(), 1, "round {round}: one run");
        processes += size;
        refused += size - 1;
    }
    println!(
        "{}: {rounds} rounds, {processes} processes: {} requests, {rounds} runs, {refused} refused, 0 duplicates",
        journal.split(':').next().unwrap_or_default(),
        emulator.created_count()
    );
}
