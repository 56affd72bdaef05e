use std::process::ExitCode;

use mimalloc::MiMalloc;
use rg_sentinel::config::{Flags, SentinelConfig};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() -> ExitCode {
    let flags: Flags = match rg_config::parse_flags() {
        Ok(flags) => flags,
        Err(code) => return code,
    };
    let (config, settings) = match SentinelConfig::load(&flags) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("rg-sentinel: {error}");
            return ExitCode::from(rg_config::EXIT_BAD_CONFIG as u8);
        }
    };
    rg_config::init_logging(config.log_format, &config.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("rg-sentinel: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = rg_sentinel::run(settings) => result,
            _ = rg_config::shutdown_signal() => Ok(()),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}
