//! rg-chaos: the fault-injection harness at length (`scripts/chaos.sh` builds the binaries
//! and runs it). Prints a line per round and the table per fault kind; exits 1 on any
//! acknowledged write lost, split brain or round that did not converge, naming the seed
//! and the round that replay it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Parser, ValueEnum};
use rgroup_tests::chaos::{self, FaultKind, Mode, Options};

#[derive(Parser)]
#[command(
    name = "rg-chaos",
    about = "Seeded fault injection against a real rgroup group"
)]
struct Args {
    /// Seeds every choice (faults, targets, timings, values); a random one when absent.
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, default_value_t = 7)]
    rounds: u32,
    /// The first round to play: replays a failed round alone, on a fresh group.
    #[arg(long, default_value_t = 1)]
    first_round: u32,
    #[arg(long, value_enum, default_value_t = ModeArg::Wait)]
    mode: ModeArg,
    /// Only these fault kinds, comma-separated (kill-restart, kill-fast-restart, pause,
    /// bus-cut, data-cut, sentinel-restart, router-pause); all by default.
    #[arg(long, value_delimiter = ',', value_parser = kind)]
    kinds: Vec<FaultKind>,
    #[arg(long, default_value_t = 4)]
    writers: usize,
    /// Writer 0 makes every n-th value big (0.6 to 2 MiB); 0 never.
    #[arg(long, default_value_t = 100)]
    big_every: u64,
    /// Seconds a round may take to settle after its fault.
    #[arg(long, default_value_t = 30)]
    converge_secs: u64,
    /// Where the processes' logs go (default target/chaos-logs/<seed>-<time>).
    #[arg(long)]
    log_dir: Option<PathBuf>,
    /// Keep the logs of a run that passed too.
    #[arg(long)]
    keep_logs: bool,
    /// Print the rounds the seed plans, and run nothing.
    #[arg(long)]
    dry_run: bool,
}

fn kind(name: &str) -> Result<FaultKind, String> {
    FaultKind::named(name).ok_or_else(|| format!("no fault kind {name:?}"))
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Wait,
    Sync,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seed = args.seed.unwrap_or(now.as_nanos() as u64 % 1_000_000_000);
    let log_dir = args
        .log_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("target/chaos-logs/{seed}-{}", now.as_secs())));
    let log_dir = std::path::absolute(&log_dir).unwrap_or(log_dir);
    let mut options = Options::new(seed, log_dir);
    options.rounds = args.rounds;
    options.first_round = args.first_round.max(1);
    options.mode = match args.mode {
        ModeArg::Wait => Mode::Wait,
        ModeArg::Sync => Mode::Sync,
    };
    options.kinds = args.kinds.clone();
    options.writers = args.writers.max(1);
    options.big_every = args.big_every;
    options.converge_bound = Duration::from_secs(args.converge_secs);
    println!(
        "rg-chaos: seed {seed}, rounds {}..={}, mode {}",
        options.first_round,
        options.first_round + options.rounds - 1,
        options.mode.name()
    );
    if args.dry_run {
        for round in options.round_numbers() {
            println!("{}", chaos::plan(seed, round, &options.kinds));
        }
        return ExitCode::SUCCESS;
    }
    let report = chaos::run(&options);
    println!("\n{}", report.table());
    if report.passed() {
        println!("passed: no acknowledged write lost, no split brain, every round converged");
        if !args.keep_logs {
            let _ = std::fs::remove_dir_all(&options.log_dir);
        }
        ExitCode::SUCCESS
    } else {
        println!("{}", report.failures());
        ExitCode::FAILURE
    }
}
