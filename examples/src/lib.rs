//! What the examples share: a place to send approvals (the real service when
//! `CHEQPOINT_API_KEY` is set, else an emulator in this process) and someone to decide them
//! (a person at the inbox or the terminal, or `--auto approve|reject|edit` for scripts).

#![warn(missing_docs)]

use std::{io::IsTerminal, process::ExitCode, time::Duration};

use cheqpoint::{Client, DEFAULT_BASE_URL};
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

/// The flags every example takes, said when it is given others.
pub const USAGE: &str = "--auto approve|reject|edit to decide without a person, or nothing";

/// Reads `--auto approve|reject|edit` from this process's command line.
pub fn auto_from_args() -> Result<Option<Auto>, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    auto_from(&args)
}

/// Reads `--auto approve|reject|edit` from `args`; anything else is refused, naming [`USAGE`].
pub fn auto_from(args: &[String]) -> Result<Option<Auto>, String> {
    match args {
        [] => Ok(None),
        [flag, mode] if flag == "--auto" => match mode.as_str() {
            "approve" => Ok(Some(Auto::Approve)),
            "reject" => Ok(Some(Auto::Reject)),
            "edit" => Ok(Some(Auto::Edit)),
            other => Err(format!(
                "--auto takes approve, reject or edit, not {other:?}"
            )),
        },
        [flag] if flag == "--auto" => Err("--auto takes approve, reject or edit".into()),
        _ => Err(format!("unknown arguments {args:?}; use {USAGE}")),
    }
}

/// The service `CHEQPOINT_API_KEY` points this process at, when it is set: the base URL the
/// client reads from `CHEQPOINT_BASE_URL`, else the Cheqpoint service's.
pub fn service_from_env() -> Option<String> {
    std::env::var_os("CHEQPOINT_API_KEY")?;
    Some(
        std::env::var("CHEQPOINT_BASE_URL")
            .ok()
            .filter(|url| !url.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
    )
}

impl Playground {
    /// Connects to the service named by the environment, or starts an emulator and someone to
    /// review on it: `auto` when given, else the terminal when stdin is one, else the inbox
    /// alone. `edit` is the change `--auto edit` makes to each request's details. Says which
    /// service it talks to and where a person decides; `--auto` with a service of the
    /// environment is refused, since only an emulator in this process can be decided from here.
    pub async fn start(
        auto: Option<Auto>,
        edit: fn(&str, &mut Value),
    ) -> Result<Playground, String> {
        if let Some(base_url) = service_from_env() {
            if let Some(auto) = auto {
                return Err(format!(
                    "--auto {} decides on an emulator in this process, but CHEQPOINT_API_KEY is set, so this example talks to {base_url}, where a person decides; unset CHEQPOINT_API_KEY to decide with --auto",
                    auto.name()
                ));
            }
            let client = Client::from_env().map_err(|e| e.to_string())?;
            println!("talking to {base_url} (CHEQPOINT_API_KEY is set)");
            if base_url == DEFAULT_BASE_URL {
                println!("decide each request in the Cheqpoint app\n");
            } else {
                println!(
                    "decide each request at that emulator: its inbox (the `inbox: …` link it printed), or its terminal when it was started with --terminal\n"
                );
            }
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
        println!(
            "talking to {} (an emulator in this process)",
            emulator.url()
        );
        println!("review inbox: {}", emulator.inbox_url());
        let reviewer = std::sync::Arc::clone(&emulator);
        match auto {
            Some(auto) => {
                println!("deciding automatically: --auto {}\n", auto.name());
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

impl Auto {
    /// The word `--auto` takes for this mode.
    pub fn name(self) -> &'static str {
        match self {
            Auto::Approve => "approve",
            Auto::Reject => "reject",
            Auto::Edit => "edit",
        }
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
