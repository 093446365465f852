//! The harness of the test files whose tests need a program from Debian's packages (Chromium,
//! PostgreSQL), in place of libtest's (`harness = false`): each test is a `libtest-mimic` trial
//! on a tokio runtime of its own. Where the program is missing, the test is reported ignored, with
//! what is missing and the line that installs it (`test name ... ignored (PostgreSQL's server
//! is not installed: apt-get install -y postgresql)`), so that it never looks like a pass; under
//! `CI=true` or `CI=1` it fails instead, for CI must run it. `cargo test` and `cargo nextest`
//! both run these files.

use std::{future::Future, process::ExitCode};

use libtest_mimic::{Arguments, Completion, Trial};

/// A program some tests need: how to tell it is installed, and the packages that install it.
pub(crate) struct Needs {
    /// What is missing, as the reason says it.
    pub(crate) what: &'static str,
    pub(crate) installed: fn() -> bool,
    /// For `apt-get install -y`.
    pub(crate) packages: &'static str,
}

impl Needs {
    /// Why the tests cannot run here, with the line that installs what is missing; `None` when
    /// it is installed.
    pub(crate) fn missing(&self) -> Option<String> {
        (!(self.installed)()).then(|| {
            format!(
                "{} is not installed: apt-get install -y {}",
                self.what, self.packages
            )
        })
    }
}

/// What becomes of a test that needs `needs`, `CI` being `ci`: run (`Ok(None)`), ignored for the
/// reason given (`Ok(Some(reason))`), or failed for it (`Err(reason)`).
pub(crate) fn verdict(needs: Option<&Needs>, ci: Option<&str>) -> Result<Option<String>, String> {
    match needs.and_then(Needs::missing) {
        None => Ok(None),
        Some(missing) if matches!(ci, Some("true" | "1")) => {
            Err(format!("{missing} (CI runs every test)"))
        }
        Some(missing) => Ok(Some(missing)),
    }
}

/// One test of a file: its name, the program it needs, and its body.
pub(crate) struct Test {
    name: &'static str,
    needs: Option<&'static Needs>,
    body: Box<dyn FnOnce() + Send>,
}

impl Test {
    /// The test `name` whose body is the async fn `body`, run on a multi-thread runtime.
    pub(crate) fn new<F>(name: &'static str, needs: Option<&'static Needs>, body: fn() -> F) -> Test
    where
        F: Future<Output = ()> + 'static,
    {
        let body = Box::new(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("the test's runtime starts")
                .block_on(body())
        });
        Test { name, needs, body }
    }
}

/// `Test`s of the async fns named, each needing `needs` (an `Option<&'static Needs>`).
macro_rules! tests {
    ($needs:expr => $($test:ident),* $(,)?) => {
        vec![$(harness::Test::new(stringify!($test), $needs, $test)),*]
    };
}
pub(crate) use tests;

/// Runs `tests` as libtest would, with its command line. A listing (`--list`, which is how
/// `cargo nextest` learns the tests) runs nothing, so there the tests whose program is missing
/// are marked ignored, without the reason.
pub(crate) fn main(tests: Vec<Test>) -> ExitCode {
    let arguments = Arguments::from_args();
    let ci = std::env::var("CI").ok();
    let trials = tests
        .into_iter()
        .map(|Test { name, needs, body }| {
            let verdict = verdict(needs, ci.as_deref());
            let listed_ignored = arguments.list && matches!(verdict, Ok(Some(_)));
            Trial::ignorable_test(name, move || match verdict? {
                Some(reason) => Ok(Completion::ignored_with(reason)),
                None => {
                    body();
                    Ok(Completion::Completed)
                }
            })
            .with_ignored_flag(listed_ignored)
        })
        .collect();
    libtest_mimic::run(&arguments, trials).exit_code()
}
