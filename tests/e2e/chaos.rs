//! Short seeded runs of the chaos harness (`tests/chaos/`; `scripts/chaos.sh` runs it at
//! length) against a real group under a write load. Their only time bound is the harness's
//! convergence bound; a failure prints the table, each failed round with the command that
//! replays it, and where every process's log was written.

use std::path::PathBuf;

use rgroup_tests::chaos::{run, FaultKind, Options};

fn options(seed: u64) -> Options {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("chaos-{seed}"));
    let _ = std::fs::remove_dir_all(&dir);
    Options::new(seed, dir)
}

fn assert_passes(options: &Options) {
    let report = run(options);
    let table = report.table();
    assert!(report.passed(), "\n{table}\n{}", report.failures());
    println!("{table}");
}

/// One block of seven rounds: every fault kind once (a failed round hands the next one a
/// fresh group, so every kind plays whatever the rounds before it found).
#[test]
fn seeded_faults_lose_no_waited_write_and_never_take_writes_on_two_nodes() {
    assert_passes(&options(20_251_201));
}

/// A node killed and restarted must be brought back by a full sync of a dataset holding
/// values bigger than a bus message (every third write of one writer is 0.6 to 2 MiB).
#[test]
fn restarted_nodes_catch_up_on_big_values() {
    let mut options = options(20_251_202);
    options.kinds = vec![FaultKind::KillRestart];
    options.rounds = 2;
    options.big_every = 12;
    assert_passes(&options);
}
