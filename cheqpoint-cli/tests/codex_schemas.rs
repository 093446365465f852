//! Codex publishes JSON schemas of its hook input and output (`codex-rs/hooks/schema/generated/`
//! in openai/codex) and builds them into its binary. These tests read them from the Codex the
//! project pins (installed by `.ci/run` under `target/agents`), check the recorded events against
//! the input schemas, and every answer the hook can give Codex against the output schemas.
//! Where Codex is missing the tests show as ignored with the line that installs it; under
//! `CI=true` they fail.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use cheqpoint_cli::hooks::{self, Agent, Answer};
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use serde_json::{Value, json};

/// The Codex the project pins, as `.ci/run` installs it.
const INSTALL: &str = "npm install --prefix target/agents @openai/codex@0.169.0";

fn main() -> std::process::ExitCode {
    let arguments = Arguments::from_args();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let missing = codex_binary()
        .is_none()
        .then(|| format!("Codex is not installed: {INSTALL}"));
    let trial = |name: &'static str, body: Body| {
        let missing = missing.clone();
        let listed_ignored = arguments.list && missing.is_some() && !ci;
        Trial::ignorable_test(name, move || match missing {
            Some(missing) if ci => Err(Failed::from(format!("{missing} (CI runs every test)"))),
            Some(missing) => Ok(Completion::ignored_with(missing)),
            None => {
                body(&schemas()?)?;
                Ok(Completion::Completed)
            }
        })
        .with_ignored_flag(listed_ignored)
    };
    let trials = vec![
        trial("the_recorded_events_fit_codexs_input_schemas", events_fit),
        trial("every_answer_fits_codexs_output_schemas", answers_fit),
    ];
    libtest_mimic::run(&arguments, trials).exit_code()
}

/// A test's body, given the schemas by title.
type Body = fn(&HashMap<String, Value>) -> Result<(), String>;

/// Where the agents are installed: `CHEQPOINT_AGENTS`, else `target/agents` in the workspace.
fn agents_dir() -> PathBuf {
    std::env::var_os("CHEQPOINT_AGENTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/agents"),
        PathBuf::from,
    )
}

/// Codex's native binary, in the platform package npm installed beside `@openai/codex`.
fn codex_binary() -> Option<PathBuf> {
    let scope = agents_dir().join("node_modules/@openai");
    std::fs::read_dir(scope)
        .ok()?
        .flatten()
        .find_map(|package| {
            let vendor = package.path().join("vendor");
            std::fs::read_dir(vendor)
                .ok()?
                .flatten()
                .find_map(|target| {
                    let binary = target.path().join("bin/codex");
                    binary.is_file().then_some(binary)
                })
        })
}

/// Every JSON schema built into the Codex binary, by its `title`.
fn schemas() -> Result<HashMap<String, Value>, String> {
    let binary = codex_binary().ok_or("no Codex binary")?;
    let bytes = std::fs::read(&binary).map_err(|e| format!("{}: {e}", binary.display()))?;
    // The binary as text (what is not UTF-8 becomes U+FFFD); each schema starts the same way.
    let text = String::from_utf8_lossy(&bytes);
    let start = "{\n  \"$schema\": \"http://json-schema.org/draft-07/schema#\"";
    let mut found = HashMap::new();
    for (from, _) in text.match_indices(start) {
        let mut values = serde_json::Deserializer::from_str(&text[from..]).into_iter::<Value>();
        if let Some(Ok(schema)) = values.next()
            && let Some(title) = schema["title"].as_str()
        {
            found.insert(title.to_owned(), schema.clone());
        }
    }
    for title in [
        "pre-tool-use.command.input",
        "pre-tool-use.command.output",
        "permission-request.command.input",
        "permission-request.command.output",
    ] {
        if !found.contains_key(title) {
            return Err(format!(
                "{} holds no schema titled {title}",
                binary.display()
            ));
        }
    }
    Ok(found)
}

fn validate(schema: &Value, instance: &Value, what: &str) -> Result<(), String> {
    let validator = jsonschema::validator_for(schema).map_err(|e| e.to_string())?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{what}: {instance}\n{}", errors.join("\n")))
    }
}

fn fixture(event: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hooks/codex")
        .join(format!("{event}.json"));
    std::fs::read_to_string(&path).unwrap_or_default()
}

const EVENTS: [(&str, &str); 2] = [
    ("PreToolUse", "pre-tool-use"),
    ("PermissionRequest", "permission-request"),
];

fn events_fit(schemas: &HashMap<String, Value>) -> Result<(), String> {
    for (event, schema) in EVENTS {
        let sent: Value = serde_json::from_str(&fixture(event)).map_err(|e| e.to_string())?;
        validate(&schemas[&format!("{schema}.command.input")], &sent, event)?;
    }
    Ok(())
}

fn answers_fit(schemas: &HashMap<String, Value>) -> Result<(), String> {
    for (event, schema) in EVENTS {
        let text = fixture(event);
        let read = Agent::Codex.read(&text)?;
        let edited = json!({"command": "echo edited"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let answers = [
            Answer::Allow {
                input: read.input.clone(),
                edited: false,
                reason: "Approved in cheqpoint (req_1).".into(),
            },
            Answer::Allow {
                input: edited,
                edited: true,
                reason: "Approved in cheqpoint (req_1), edited.".into(),
            },
            Answer::Deny("A human reviewer declined this call.".into()),
            Answer::Ask("No decision.".into()),
        ];
        let replies = answers
            .iter()
            .map(|answer| Agent::Codex.write(&read, answer))
            .chain([hooks::refuse(Agent::Codex, &text, "no API key")]);
        for reply in replies {
            if reply.code != 0 {
                return Err(format!("{event}: exit {} ({reply:?})", reply.code));
            }
            let out: Value = serde_json::from_str(&reply.stdout).map_err(|e| e.to_string())?;
            validate(&schemas[&format!("{schema}.command.output")], &out, event)?;
        }
    }
    Ok(())
}
