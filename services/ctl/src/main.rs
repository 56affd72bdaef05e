//! rgctl: the control-plane CLI. Exit codes scripts can rely on: 0 done; 1 refused or not
//! found (the message says why); 2 bad usage (a flag's value; clap's own errors too); 3 the
//! bus or a service did not answer.

mod cli;
mod create;
mod describe;
mod events;
mod failure;
mod members;
mod modify;
mod parameters;
mod probe;
mod report;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use rg_bus::Bus;

use cli::{Cli, Command};
use failure::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("rgctl: {error}");
            return ExitCode::from(3);
        }
    };
    match runtime.block_on(run(&cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("rgctl: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

async fn run(cli: &Cli) -> Result<(), Failure> {
    if let Command::Probe(args) = &cli.command {
        return probe::run(args).await;
    }
    let bus = connect(&cli.nats_url).await?;
    let prefix = cli.subject_prefix.as_str();
    let report = match &cli.command {
        Command::CreateReplicationGroup(args) => create::run(&bus, prefix, args).await?,
        Command::DescribeReplicationGroups(args) => describe::run(&bus, prefix, args).await?,
        Command::ModifyReplicationGroup(args) => modify::run(&bus, prefix, args).await?,
        Command::TestFailover(args) => modify::test_failover(&bus, prefix, args).await?,
        Command::DescribeEvents(args) => events::describe(&bus, prefix, args).await?,
        Command::Events(args) => return events::follow(&bus, prefix, args, cli.output).await,
        Command::DecreaseReplicaCount(args) => members::decrease(&bus, prefix, args).await?,
        Command::IncreaseReplicaCount(args) => members::increase(&bus, prefix, args).await?,
        Command::DeleteReplicationGroup(args) => members::delete(&bus, prefix, args).await?,
        Command::Probe(_) => return Ok(()),
        Command::CreateCacheParameterGroup(args) => parameters::create(&bus, args).await?,
        Command::ModifyCacheParameterGroup(args) => parameters::modify(&bus, prefix, args).await?,
        Command::DescribeCacheParameters(args) => parameters::describe(&bus, args).await?,
    };
    report.print(cli.output);
    Ok(())
}

async fn connect(url: &str) -> Result<Bus, Failure> {
    let shown = rg_bus::redact(url);
    let unreachable = |why: String| {
        Failure::unavailable(format!(
            "cannot reach the bus at {shown}: {why} (is nats-server running? see --nats-url)"
        ))
    };
    let bus = match tokio::time::timeout(WAIT_FOR_BUS, Bus::connect(url, "rgctl")).await {
        Ok(Ok(bus)) => bus,
        Ok(Err(error)) => return Err(unreachable(error.to_string())),
        Err(_) => return Err(unreachable("no answer within 5 s".into())),
    };
    // The client connects in the background: a flush is answered only once it is connected.
    match tokio::time::timeout(WAIT_FOR_BUS, bus.flush()).await {
        Ok(Ok(())) => Ok(bus),
        Ok(Err(error)) => Err(unreachable(error.to_string())),
        Err(_) => Err(unreachable("no answer within 5 s".into())),
    }
}

const WAIT_FOR_BUS: Duration = Duration::from_secs(5);

/// How long rgctl retries what the bus cannot do yet (JetStream on a NATS cluster that has
/// just started, a leader change): `docker compose up` runs rgctl beside a starting bus.
pub const BUS_PATIENCE: Duration = Duration::from_secs(20);

/// Opens (or creates) a bucket, with three copies on a NATS cluster and one on a single
/// server, as the sentinels do.
pub async fn bucket(bus: &Bus, name: &str) -> Result<rg_bus::Kv, Failure> {
    let deadline = std::time::Instant::now() + BUS_PATIENCE;
    loop {
        match bus.replicated_kv(name, 8).await {
            Ok(kv) => return Ok(kv),
            Err(error) if std::time::Instant::now() >= deadline => return Err(error.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}
