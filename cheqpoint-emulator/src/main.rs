//! `cheqpoint-emulator`: runs the emulator until Ctrl-C. The first line on stdout is
//! `listening on http://ADDR`, the second `inbox: http://ADDR/[?token=T]`; logs go to stderr
//! (filter them with `RUST_LOG`).

use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use cheqpoint_emulator::{Emulator, TerminalReviewer};
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// A local emulator of the Cheqpoint approval service. Prints `listening on http://ADDR` first,
/// then serves until Ctrl-C.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8787")]
    bind: SocketAddr,
    /// Accept only this x-api-key (by default any non-empty key is accepted).
    #[arg(long, value_name = "KEY")]
    api_key: Option<String>,
    /// Require this token on the review and control routes (/emulator/approvals, /emulator/events,
    /// /emulator/faults, /emulator/calls, /emulator/restart); open the inbox with the link printed
    /// second.
    #[arg(long, value_name = "TOKEN")]
    review_token: Option<String>,
    /// Sign callbacks with this secret (header x-cheqpoint-signature).
    #[arg(long, value_name = "SECRET")]
    webhook_secret: Option<String>,
    /// Approve at creation every request whose risk score is below RISK.
    #[arg(long, value_name = "RISK")]
    auto_approve_below: Option<f64>,
    /// Reject at creation every request whose risk score is above RISK.
    #[arg(long, value_name = "RISK")]
    auto_reject_above: Option<f64>,
    /// Reject requests still pending after this long, e.g. 24h, 30m, 500ms [default: 24h].
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    expiry: Option<Duration>,
    /// Ask at this terminal for a decision on each pending request.
    #[arg(long)]
    terminal: bool,
    /// Inject a fault, e.g. get:502x3, create:429x2,retry-after=1, any:refuse,for=2s (repeat for
    /// more; grammar: ROUTE:KIND[xCOUNT][,OPTION]…, see the crate docs or POST /emulator/faults).
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<cheqpoint_emulator::Fault>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();

    let bind = args.bind;
    let terminal = args.terminal;
    let emulator = match builder(args).start().await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("cheqpoint-emulator: cannot start on {bind}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = io::stdout().lock();
    if let Err(error) = writeln!(stdout, "listening on {}", emulator.url())
        .and_then(|()| writeln!(stdout, "inbox: {}", emulator.inbox_url()))
        .and_then(|()| stdout.flush())
    {
        tracing::warn!(%error, "cannot write the address to stdout");
    }
    drop(stdout);

    if terminal {
        let mut reviewer = TerminalReviewer::stdio();
        tokio::select! {
            reviewed = reviewer.run(&emulator) => {
                if let Err(error) = reviewed {
                    tracing::warn!(%error, "the terminal reviewer stopped");
                }
            }
            _ = tokio::signal::ctrl_c() => return ExitCode::SUCCESS,
        }
    }
    match tokio::signal::ctrl_c().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cheqpoint-emulator: cannot wait for Ctrl-C: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The emulator the command line asks for.
fn builder(args: Args) -> cheqpoint_emulator::EmulatorBuilder {
    let mut builder = Emulator::builder().bind(args.bind);
    if let Some(key) = args.api_key {
        builder = builder.api_key(key);
    }
    if let Some(token) = args.review_token {
        builder = builder.review_token(token);
    }
    if let Some(secret) = args.webhook_secret {
        builder = builder.webhook_secret(secret);
    }
    if let Some(risk) = args.auto_approve_below {
        builder = builder.auto_approve_below(risk);
    }
    if let Some(risk) = args.auto_reject_above {
        builder = builder.auto_reject_above(risk);
    }
    if let Some(expiry) = args.expiry {
        builder = builder.expiry(expiry);
    }
    for fault in args.faults {
        builder = builder.fault(fault);
    }
    builder
}
