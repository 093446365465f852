//! A PostgreSQL server of the tests' own, from Debian's `postgresql` package: `initdb` and
//! `pg_ctl` in a directory the caller gives (and removes), on a free loopback port, run as the
//! unprivileged `postgres` user (else `nobody`) when the tests run as root. Stopped when
//! dropped. The journal bench (`bench/src/bin/journal_cost.rs`) starts its server with this file too.
//!
//! Without the package, [`Postgres::start`] gives `None`: the tests' harness has reported them
//! ignored (or failed them on CI) before, and the bench says it leaves PostgreSQL out.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Output},
};

pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    run_as: Option<String>,
    /// A connection string for the server's `postgres` database.
    pub url: String,
}

impl Postgres {
    /// True when Debian's `postgresql` package is installed.
    pub fn is_installed() -> bool {
        binaries().is_some()
    }

    /// Starts a server with its files in `dir` (an empty directory); `None` when PostgreSQL is
    /// not installed.
    pub fn start(dir: &Path) -> Option<Postgres> {
        let bin = binaries()?;
        let data = dir.join("data");
        let run_as = is_root().then(unprivileged_user);
        if let Some(user) = &run_as {
            ok(Command::new("chown").arg(user).arg(dir).output());
        }
        let port = free_port();
        let postgres = Postgres {
            url: format!("host=127.0.0.1 port={port} user=cheqpoint dbname=postgres"),
            bin,
            data,
            run_as,
        };
        postgres.run(
            "initdb",
            &[
                "-D",
                &postgres.data_str(),
                "-U",
                "cheqpoint",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            dir.display()
        );
        postgres.run(
            "pg_ctl",
            &[
                "-D",
                &postgres.data_str(),
                "-l",
                &dir.join("log").display().to_string(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        Some(postgres)
    }

    /// Stops the server at once, as a crash of the database would (the test's "database down").
    pub fn stop(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data_str(), "-m", "immediate", "-w", "stop"],
        );
    }

    fn data_str(&self) -> String {
        self.data.display().to_string()
    }

    /// Runs one of the server's programs; a failure fails the test with its output.
    fn run(&self, program: &str, args: &[&str]) {
        ok(self.command(program).args(args).output());
    }

    /// One of the server's programs, to run as the server's user.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.data_str(), "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that holds `initdb`.
fn binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// `postgres` when the package made that user, else `nobody`.
fn unprivileged_user() -> String {
    let has_postgres = Command::new("id")
        .arg("postgres")
        .output()
        .is_ok_and(|out| out.status.success());
    if has_postgres { "postgres" } else { "nobody" }.to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn ok(output: std::io::Result<Output>) {
    let output = output.expect("the program starts");
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
