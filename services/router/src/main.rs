use std::process::ExitCode;

use mimalloc::MiMalloc;
use rg_router::config::{Flags, RouterConfig};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() -> ExitCode {
    let flags: Flags = match rg_config::parse_flags() {
        Ok(flags) => flags,
        Err(code) => return code,
    };
    let (config, settings) = match RouterConfig::load(&flags) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("rg-router: {error}");
            return ExitCode::from(rg_config::EXIT_BAD_CONFIG as u8);
        }
    };
    rg_config::init_logging(config.log_format, &config.log_level);
    let mut builder = match settings.threads {
        1 => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    if settings.threads > 1 {
        builder.worker_threads(settings.threads);
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("rg-router: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = rg_router::run(settings) => result,
            _ = rg_config::shutdown_signal() => Ok(()),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("rg-router: {error:#}");
            ExitCode::FAILURE
        }
    }
}
