//! `cheqpoint-emulator`: runs the emulator until Ctrl-C. The first line on stdout is
//! `listening on http://ADDR`, the second `inbox: http://ADDR/?token=T` (a random token unless
//! `--review-token` or `--no-review-token` says otherwise); logs go to stderr (filter them with
//! `RUST_LOG`).

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
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
    /// The token the review and control routes require (/emulator/approvals, /emulator/events,
    /// /emulator/callbacks, /emulator/faults, /emulator/calls, /emulator/restart) [default: a
    /// random one]; open the inbox with the link printed second.
    #[arg(long, value_name = "TOKEN", conflicts_with = "no_review_token")]
    review_token: Option<String>,
    /// Leave the review and control routes open to any program on this machine (loopback only).
    #[arg(long)]
    no_review_token: bool,
    /// The URL other machines reach this emulator at (e.g. http://192.0.2.7:8787 from a
    /// container): reviewUrl and the inbox link point there, and its host is accepted.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
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
    /// Reject as the service does a request from an agent that already sent COUNT in the last
    /// DURATION, e.g. 50/1h (repeat for more windows, e.g. 500/1day).
    #[arg(long = "rate-limit", value_name = "COUNT/DURATION", value_parser = parse_rate)]
    rate_limits: Vec<(u32, Duration)>,
    /// Reject as the service does a request identical to one its agent sent less than DURATION
    /// ago, e.g. 10s.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    loop_protection: Option<Duration>,
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
    let terminal = args.terminal;
    // At the terminal reviewer's prompt, logs go to a file: a log line carrying an agent's text
    // must not land beside the prompt.
    let log_file = match terminal.then(open_log_file).transpose() {
        Ok(log_file) => log_file,
        Err(error) => {
            eprintln!("cheqpoint-emulator: cannot create the log file: {error}");
            return ExitCode::FAILURE;
        }
    };
    let log_path = log_file.as_ref().map(|(_, path)| path.clone());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    match log_file {
        Some((file, _)) => tracing_subscriber::fmt()
            .with_writer(Mutex::new(file))
            .with_ansi(false)
            .with_env_filter(filter)
            .init(),
        None => tracing_subscriber::fmt()
            .with_writer(io::stderr)
            .with_ansi(io::stderr().is_terminal())
            .with_env_filter(filter)
            .init(),
    }

    let bind = args.bind;
    let emulator = match builder(args) {
        Ok(builder) => builder.start().await,
        Err(error) => Err(error),
    };
    let emulator = match emulator {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("cheqpoint-emulator: cannot start on {bind}: {error}");
            return ExitCode::FAILURE;
        }
    };
    if !bind.ip().is_loopback() {
        eprintln!(
            "cheqpoint-emulator: warning: {bind} is reachable from the network; anyone who has the inbox link can decide requests"
        );
    }
    let mut stdout = io::stdout().lock();
    let mut printed = writeln!(stdout, "listening on {}", emulator.url())
        .and_then(|()| writeln!(stdout, "inbox: {}", emulator.inbox_url()));
    if let Some(path) = &log_path {
        printed = printed.and_then(|()| writeln!(stdout, "logs: {}", path.display()));
    }
    if let Err(error) = printed.and_then(|()| stdout.flush()) {
        tracing::warn!(%error, "cannot write the address to stdout");
    }
    drop(stdout);

    if terminal {
        let mut reviewer = TerminalReviewer::stdio();
        tokio::select! {
            reviewed = reviewer.run(&emulator) => match reviewed {
                // Ctrl-C at a prompt, read by the line editor instead of raised as a signal.
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {
                    return ExitCode::SUCCESS;
                }
                Err(error) => tracing::warn!(%error, "the terminal reviewer stopped"),
                Ok(()) => {}
            },
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

/// A new log file in the temporary directory, named after this process.
fn open_log_file() -> io::Result<(File, PathBuf)> {
    let path = std::env::temp_dir().join(format!("cheqpoint-emulator-{}.log", std::process::id()));
    let file = OpenOptions::new().create(true).append(true).open(&path)?;
    Ok((file, path))
}

/// The emulator the command line asks for.
fn builder(args: Args) -> io::Result<cheqpoint_emulator::EmulatorBuilder> {
    let mut builder = Emulator::builder().bind(args.bind);
    if let Some(key) = args.api_key {
        builder = builder.api_key(key);
    }
    if !args.no_review_token {
        let token = match args.review_token {
            Some(token) => token,
            None => random_token()?,
        };
        builder = builder.review_token(token);
    }
    if let Some(url) = args.public_url {
        builder = builder.public_url(url);
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
    for (count, per) in args.rate_limits {
        builder = builder.rate_limit(count, per);
    }
    if let Some(window) = args.loop_protection {
        builder = builder.loop_protection(window);
    }
    for fault in args.faults {
        builder = builder.fault(fault);
    }
    Ok(builder)
}

/// 128 random bits from the operating system, in hex.
fn random_token() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|error| {
        io::Error::other(format!("no random bytes for the review token: {error}"))
    })?;
    Ok(hex::encode(bytes))
}

/// Reads `COUNT/DURATION`, e.g. `50/1h`.
fn parse_rate(text: &str) -> Result<(u32, Duration), String> {
    let (count, per) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?}: expected COUNT/DURATION, e.g. 50/1h"))?;
    let count = count
        .trim()
        .parse()
        .map_err(|_| format!("{count:?} is not a whole number of requests"))?;
    let per = humantime::parse_duration(per.trim()).map_err(|error| format!("{per:?}: {error}"))?;
    Ok((count, per))
}
