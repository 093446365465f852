//! Newline-delimited JSON over stdio, both ways: this process's stdin and stdout (or any
//! stream) facing the client, and an upstream command's, started by the relay. An upstream that cannot start or
//! stops ends its link with why: the command, its exit status, the last lines of its stderr
//! (which is also copied to this process's stderr as it comes).

use std::{
    collections::VecDeque,
    process::{ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader},
    sync::mpsc,
    task::JoinHandle,
};

use super::{
    link::{Event, Link},
    message,
};

/// How many of the upstream's last stderr lines its end is told with.
const STDERR_TAIL: usize = 10;

/// How long an upstream whose stdout closed is given to exit, and its stderr to be read.
const EXIT_WAIT: Duration = Duration::from_secs(5);

/// The client reading `input` and writing `output`, and the task writing (which ends once
/// every message sent to the link is written). A line that is not JSON is answered with a
/// parse error.
pub(super) fn client(
    input: impl AsyncRead + Unpin + Send + 'static,
    output: impl AsyncWrite + Unpin + Send + 'static,
) -> (Link, JoinHandle<()>) {
    let (link, outgoing, incoming) = Link::pair();
    let replies = link.outbox.clone();
    tokio::spawn(async move {
        let ended = read_lines(input, &incoming, |line, error| {
            let answer = message::error_response(
                &Value::Null,
                message::PARSE_ERROR,
                format!(
                    "Parse error: the line is not JSON ({error}): {}",
                    brief(line)
                ),
            );
            let _ = replies.try_send(answer);
        })
        .await;
        let _ = incoming.send(Event::Ended(ended)).await;
    });
    let writing = tokio::spawn(write_lines(output, outgoing));
    (link, writing)
}

/// The upstream command `program args`, started now.
pub(super) fn command(program: &str, args: &[String]) -> Link {
    let (link, outgoing, incoming) = Link::pair();
    let shown = shown(program, args);
    let spawned = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            let why = format!("the upstream server {shown} could not start: {error}");
            let _ = incoming.try_send(Event::Ended(why));
            return link;
        }
    };
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let why = format!("the upstream server {shown} started without its stdio");
        let _ = incoming.try_send(Event::Ended(why));
        return link;
    };
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL)));
    let echo = tokio::spawn(echo_stderr(stderr, tail.clone()));
    tokio::spawn(write_lines(stdin, outgoing));
    tokio::spawn(async move {
        let ended = read_lines(stdout, &incoming, |line, error| {
            eprintln!(
                "cheqpoint mcp: the upstream wrote a line that is not JSON ({error}), skipped: {}",
                brief(line)
            );
        })
        .await;
        let status = tokio::time::timeout(EXIT_WAIT, child.wait()).await;
        let _ = tokio::time::timeout(EXIT_WAIT, echo).await;
        let lines: Vec<String> = tail
            .lock()
            .map(|tail| tail.iter().cloned().collect())
            .unwrap_or_default();
        let why = match status {
            Ok(Ok(status)) => exited(&shown, status, &lines),
            _ => format!("the upstream server {shown} closed its stdout ({ended})"),
        };
        let _ = incoming.send(Event::Ended(why)).await;
    });
    link
}

/// Why an upstream is gone, in words for the client.
fn exited(shown: &str, status: ExitStatus, stderr: &[String]) -> String {
    let mut why = format!("the upstream server {shown} exited ({status})");
    if stderr.is_empty() {
        why.push_str(" and wrote nothing on stderr");
    } else {
        why.push_str("; the last lines of its stderr:");
        for line in stderr {
            why.push_str("\n  ");
            why.push_str(line);
        }
    }
    why
}

/// The command line as the user gave it, in backquotes.
fn shown(program: &str, args: &[String]) -> String {
    let mut words = vec![program.to_owned()];
    words.extend(args.iter().cloned());
    format!("`{}`", words.join(" "))
}

/// At most 200 characters of a line.
fn brief(line: &str) -> String {
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// Reads one JSON message a line into `incoming` until the stream ends; returns why it ended.
/// A line that is not JSON goes to `not_json` (with the parser's error) and is skipped.
async fn read_lines(
    stream: impl AsyncRead + Unpin,
    incoming: &mpsc::Sender<Event>,
    mut not_json: impl FnMut(&str, serde_json::Error),
) -> String {
    let mut lines = BufReader::new(stream).lines();
    loop {
        match lines.next_line().await {
            Ok(Some(line)) if line.trim().is_empty() => {}
            Ok(Some(line)) => match serde_json::from_str(&line) {
                Ok(message) => {
                    if incoming.send(Event::Message(message)).await.is_err() {
                        return "the session ended".into();
                    }
                }
                Err(error) => not_json(&line, error),
            },
            Ok(None) => return "end of stream".into(),
            Err(error) => return format!("read error: {error}"),
        }
    }
}

/// Writes each message as one line, flushing when no more are ready.
async fn write_lines(mut stream: impl AsyncWrite + Unpin, mut outgoing: mpsc::Receiver<Value>) {
    let mut buffer = Vec::new();
    while let Some(message) = outgoing.recv().await {
        buffer.clear();
        append_line(&mut buffer, &message);
        while let Ok(message) = outgoing.try_recv() {
            append_line(&mut buffer, &message);
        }
        if stream.write_all(&buffer).await.is_err() || stream.flush().await.is_err() {
            return;
        }
    }
}

fn append_line(buffer: &mut Vec<u8>, message: &Value) {
    // A `Value` always serializes; its strings escape any newline.
    if serde_json::to_writer(&mut *buffer, message).is_ok() {
        buffer.push(b'\n');
    }
}

/// Copies the upstream's stderr to this process's, keeping its last lines.
async fn echo_stderr(stderr: impl AsyncRead + Unpin, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        eprintln!("{line}");
        if let Ok(mut tail) = tail.lock() {
            if tail.len() == STDERR_TAIL {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exit_is_told_with_the_command_its_status_and_stderr() {
        use std::os::unix::process::ExitStatusExt;
        let status = ExitStatus::from_raw(3 << 8);
        let shown = shown("srv", &["--port".into(), "1".into()]);
        let why = exited(&shown, status, &["boom".into(), "bad config".into()]);
        assert_eq!(
            why,
            "the upstream server `srv --port 1` exited (exit status: 3); the last lines of its stderr:\n  boom\n  bad config"
        );
        assert!(exited(&shown, status, &[]).ends_with("and wrote nothing on stderr"));
    }
}
