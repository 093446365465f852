//! The attribute written by a `macro_rules!`: `$risk:expr` and `$action:literal` arrive in
//! invisible groups, and literals in them are still checked as literals.
#![deny(warnings)]

use cheqpoint::checkpoint;

macro_rules! gated {
    ($name:ident, $action:literal, $risk:expr, $timeout:expr) => {
        #[checkpoint(action = $action, risk = $risk, timeout = $timeout)]
        async fn $name(target: String) -> Result<(), cheqpoint::Error> {
            let _ = target;
            Ok(())
        }
    };
}

gated!(drop_table, "drop_table", 0.9, 600);
gated!(truncate_table, "truncate_table", 0.5 + 0.1, 60);

fn main() {
    let _future = drop_table("users".into());
    let _future = truncate_table("logs".into());
}
