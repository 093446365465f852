//! What the examples share: a place to send approvals (the real service when
//! `CHEQPOINT_API_KEY` is set, else an emulator in this process) and someone to decide them
//! (a person at the inbox or the terminal, or `--auto approve|reject|edit` for scripts).

#![warn(missing_docs)]

use std::{io::IsTerminal, process::ExitCode, time::Duration};

use cheqpoint::Client;
use cheqpoint_emulator::{Emulator, TerminalReviewer};
use serde_json::Value;

/// How requests get decided when nobody is at the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auto {
    /// Approve everything as sent.
    Approve,
    /// Reject everything.
    Reject,
    /// Approve everything with the example's edit applied.
    Edit,
}

/// Where the example's approvals go.
pub struct Playground {
    /// The client the example's gated functions use (also given to `cheqpoint::init`).
    pub client: Client,
    /// The emulator in this process, when there is no `CHEQPOINT_API_KEY`.
    pub emulator: Option<std::sync::Arc<Emulator>>,
    /// The secret callbacks are signed with: the emulator's, or `CHEQPOINT_WEBHOOK_SECRET`.
    pub webhook_secret: String,
}

/// The secret the emulator in this process signs callbacks with.
const PLAYGROUND_WEBHOOK_SECRET: &str = "whsec_playground";

/// How long `--auto` waits for a request before it looks again.
const IDLE: Duration = Duration::from_secs(60);

/// Reads `--auto approve|reject|edit` from the command line.
pub fn auto_from_args() -> Result<Option<Auto>, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().position(|arg| arg == "--auto") {
        None if args.is_empty() => Ok(None),
        None => Err(format!(
            "unknown arguments {args:?}; use --auto approve|reject|edit"
        )),
        Some(at) => match args.get(at + 1).map(String::as_str) {
            Some("approve") => Ok(Some(Auto::Approve)),
            Some("reject") => Ok(Some(Auto::Reject)),
            Some("edit") => Ok(Some(Auto::Edit)),
            _ => Err("--auto takes approve, reject or edit".into()),
        },
    }
}

impl Playground {
    /// Connects to the service named by the environment, or starts an emulator and someone to
    /// review on it: `auto` when given, else the terminal when stdin is one, else the inbox
    /// alone. `edit` is the change `--auto edit` makes to each request's details.
    pub async fn start(
        auto: Option<Auto>,
        edit: fn(&str, &mut Value),
    ) -> Result<Playground, String> {
        if std::env::var_os("CHEQPOINT_API_KEY").is_some() {
            let client = Client::from_env().map_err(|e| e.to_string())?;
            println!("talking to the Cheqpoint service; decide each request in its app\n");
            let webhook_secret = std::env::var("CHEQPOINT_WEBHOOK_SECRET").unwrap_or_default();
            return Ok(Playground {
                client,
                emulator: None,
                webhook_secret,
            });
        }
        let emulator = Emulator::builder()
            .webhook_secret(PLAYGROUND_WEBHOOK_SECRET)
            .start()
            .await
            .map_err(|e| e.to_string())?;
        let emulator = std::sync::Arc::new(emulator);
        // Push: the emulator signs each decision and POSTs it to a listener in this process, so
        // the agent resumes the moment the reviewer decides, not at its next poll.
        let client = Client::builder()
            .api_key("cq_test_playground")
            .base_url(emulator.url())
            .webhook_secret(PLAYGROUND_WEBHOOK_SECRET)
            .listen_for_callbacks(([127, 0, 0, 1], 0).into())
            .build()
            .map_err(|e| e.to_string())?;
        println!("review inbox: {}/", emulator.url());
        let reviewer = std::sync::Arc::clone(&emulator);
        match auto {
            Some(auto) => {
                println!("deciding automatically: {auto:?}\n");
                tokio::spawn(async move { decide_automatically(&reviewer, auto, edit).await });
            }
            None if std::io::stdin().is_terminal() => {
                println!("decide in the inbox, or here at the terminal\n");
                tokio::spawn(async move { TerminalReviewer::stdio().run(&reviewer).await });
            }
            None => println!("decide in the inbox\n"),
        }
        Ok(Playground {
            client,
            emulator: Some(emulator),
            webhook_secret: PLAYGROUND_WEBHOOK_SECRET.into(),
        })
    }
}

async fn decide_automatically(emulator: &Emulator, auto: Auto, edit: fn(&str, &mut Value)) {
    loop {
        // Nothing arrived for a minute: keep waiting, as a person at the inbox would.
        let Some(request) = emulator.next_pending(IDLE).await else {
            continue;
        };
        let decided = match auto {
            Auto::Approve => emulator.approve(&request.id),
            Auto::Reject => emulator.reject(&request.id, "declined by --auto reject"),
            Auto::Edit => {
                let mut details = request.details.clone();
                edit(&request.action, &mut details);
                emulator.approve_with(&request.id, details)
            }
        };
        if let Err(error) = decided {
            eprintln!("could not decide {}: {error}", request.id);
        }
    }
}

/// The exit code for an example's result, printing the error.
pub fn exit(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
