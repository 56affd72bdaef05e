use std::process::ExitCode;

use clap::Parser;
use mimalloc::MiMalloc;
use rg_node::config::{Flags, NodeConfig};
use rg_node::engine::memory::Counting;

#[global_allocator]
static GLOBAL: Counting<MiMalloc> = Counting(MiMalloc);

fn main() -> ExitCode {
    let flags = match Flags::try_parse() {
        Ok(flags) => flags,
        Err(error) if !error.use_stderr() => {
            // --help and --version.
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(rg_config::EXIT_BAD_CONFIG as u8);
        }
    };
    let config = match NodeConfig::load(&flags) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("rg-node: {error}");
            return ExitCode::from(rg_config::EXIT_BAD_CONFIG as u8);
        }
    };
    rg_config::init_logging(config.log_format, &config.log_level);
    match serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: NodeConfig) -> anyhow::Result<()> {
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if config.threads > 0 {
        runtime.worker_threads(config.threads);
    }
    runtime
        .enable_all()
        .build()?
        .block_on(listen_and_run(config))
}

async fn listen_and_run(config: NodeConfig) -> anyhow::Result<()> {
    let settings = config.settings()?;
    allow_enough_files(settings.maxclients);
    let address = format!("{}:{}", config.bind, config.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {address}: {e}"))?;
    tracing::info!(%address, "rg-node ready to accept connections");
    rg_node::run(settings, listener, terminate()).await;
    Ok(())
}

/// Raises the open-file limit so `maxclients` connections fit, as Redis does at start.
fn allow_enough_files(maxclients: usize) {
    let wanted = maxclients as u64 + 32;
    match rlimit::increase_nofile_limit(wanted) {
        Ok(got) if got < wanted => tracing::warn!(
            limit = got,
            maxclients,
            "the open-file limit is below maxclients; connections past it will be refused"
        ),
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "could not raise the open-file limit"),
    }
}

/// Completes on SIGTERM or Ctrl-C.
async fn terminate() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
