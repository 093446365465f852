// A literal that reaches the attribute through a `macro_rules!` `$risk:expr` is still checked.
use cheqpoint::checkpoint;

macro_rules! gated {
    ($name:ident, $risk:expr) => {
        #[checkpoint(risk = $risk)]
        async fn $name(target: String) -> Result<(), cheqpoint::Error> {
            let _ = target;
            Ok(())
        }
    };
}

gated!(drop_table, 1.5);

fn main() {}
