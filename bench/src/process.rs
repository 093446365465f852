//! An agent process: how to start one (this crate's or the Python driver), its events, its
//! memory and CPU time read from `/proc`, and its end.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::agent::AgentArgs;
use crate::protocol::Event;

/// Which client an agent process runs.
#[derive(Debug, Clone)]
pub enum AgentProgram {
    /// This binary, as `cheqpoint-bench agent …`.
    Rust { exe: PathBuf },
    /// The Python driver, with the virtualenv's Python.
    Python { python: PathBuf, driver: PathBuf },
    /// This binary under `heaptrack`, which writes its profile to `output` (plus `.zst`).
    HeapProfiled { exe: PathBuf, output: PathBuf },
}

/// A running agent. Its output is read as it comes (so that it never blocks on a full pipe) and
/// parsed into [`Event`]s.
pub struct AgentProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    events: mpsc::UnboundedReceiver<Event>,
    pid: u32,
}

impl AgentProcess {
    /// Starts `program` with `args`; its standard error goes to `log`.
    pub fn spawn(program: &AgentProgram, args: &AgentArgs, log: &Path) -> io::Result<Self> {
        let mut command = match program {
            AgentProgram::Rust { exe } => {
                let mut command = Command::new(exe);
                command.arg("agent").args(args.to_args());
                command
            }
            AgentProgram::HeapProfiled { exe, output } => {
                let mut command = Command::new("heaptrack");
                command
                    .arg("-o")
                    .arg(output)
                    .arg(exe)
                    .arg("agent")
                    .args(args.to_args());
                command
            }
            AgentProgram::Python { python, driver } => {
                let mut command = Command::new(python);
                let mut args = args.to_args();
                args.retain(|arg| arg != "--push");
                command.arg("-u").arg(driver).args(args);
                command
            }
        };
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(log)?)
            .kill_on_drop(true);
        let mut child = command.spawn()?;
        let pid = child
            .id()
            .ok_or_else(|| io::Error::other("the agent exited at once"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stdin = child.stdin.take();
        let (sender, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if sender.send(Event::parse(&line)).is_err() {
                    break;
                }
            }
        });
        Ok(AgentProcess {
            child,
            stdin,
            events,
            pid,
        })
    }

    /// The next event; `None` once the agent's output has ended.
    pub async fn next(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// The next event, waiting at most `limit`: `Err` when none came in time, `Ok(None)` at the
    /// end of the output.
    pub async fn next_within(&mut self, limit: Duration) -> Result<Option<Event>, ()> {
        tokio::time::timeout(limit, self.next())
            .await
            .map_err(|_| ())
    }

    /// Sends `line` to its standard input (see [`crate::protocol`]).
    pub async fn tell(&mut self, line: &str) -> io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("its standard input is closed"))?;
        stdin.write_all(format!("{line}\n").as_bytes()).await?;
        stdin.flush().await
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its memory and CPU time so far.
    pub fn usage(&self) -> io::Result<Usage> {
        Usage::of(self.pid)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Closes its standard input (it exits then) and waits for it, killing it after 10 s.
    pub async fn finish(self) {
        self.finish_within(Duration::from_secs(10)).await;
    }

    /// Closes its standard input and waits for it to exit, killing it after `limit`.
    pub async fn finish_within(mut self, limit: Duration) {
        drop(self.stdin.take());
        if tokio::time::timeout(limit, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// What `/proc/PID/status` and `/proc/PID/stat` say of a process.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Usage {
    /// Peak resident set size (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
    /// User plus system CPU time, seconds.
    pub cpu_seconds: f64,
    /// Its threads now.
    pub threads: u64,
    /// Resident set size now (`VmRSS`), KiB.
    pub rss_kib: u64,
    /// File descriptors open now (sockets, mostly).
    pub open_fds: u64,
}

impl Usage {
    pub fn of(pid: u32) -> io::Result<Usage> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let mut usage = Usage::parse(&status, &stat, clock_ticks_per_second())
            .ok_or_else(|| io::Error::other(format!("unreadable /proc/{pid}/status or stat")))?;
        usage.open_fds = std::fs::read_dir(format!("/proc/{pid}/fd"))?.count() as u64;
        Ok(usage)
    }

    fn parse(status: &str, stat: &str, ticks_per_second: f64) -> Option<Usage> {
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|value| value.parse::<u64>().ok())
        };
        // The command name (field 2) may hold spaces and parentheses: fields are counted from
        // the last `)`. After it come state (field 3), …, utime (14) and stime (15).
        let after_name = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some(Usage {
            peak_rss_kib: field("VmHWM:")?,
            cpu_seconds: (utime + stime) as f64 / ticks_per_second,
            threads: field("Threads:")?,
            rss_kib: field("VmRSS:")?,
            open_fds: 0,
        })
    }
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc_status_and_stat() {
        let status = "Name:\tpython3\nVmPeak:\t  99999 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 2345 kB\nThreads:\t17\n";
        let stat = "4242 (odd (name)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 17 0";
        let usage = Usage::parse(status, stat, 100.0).unwrap();
        assert_eq!(usage.peak_rss_kib, 12_345);
        assert_eq!(usage.threads, 17);
        assert_eq!(usage.rss_kib, 2_345);
        assert!((usage.cpu_seconds - 3.0).abs() < 1e-9);
    }

    #[test]
    fn reads_this_process() {
        let usage = Usage::of(std::process::id()).unwrap();
        assert!(usage.peak_rss_kib > 0 && usage.threads > 0 && usage.open_fds > 0);
    }
}
