//! Configuration shared by rgroup's services.
//!
//! Layers, later ones winning: the service's built-in defaults, an optional TOML file, `RG_`
//! environment variables, then command-line flags. Setting names are kebab-case everywhere
//! (`maxmemory-policy` in the file, `RG_MAXMEMORY_POLICY` in the environment,
//! `--maxmemory-policy` on the command line), matching Redis's own names where one exists.
//! A bad value is an error that names the setting and where it came from.

mod logging;
mod shutdown;

use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{de::DeserializeOwned, Serialize};
use thiserror::Error;

pub use logging::{init_logging, LogFormat};
pub use shutdown::shutdown_signal;

/// The prefix of environment variables.
pub const ENV_PREFIX: &str = "RG_";

/// The exit code for a bad configuration (EX_USAGE), as linkerd's proxy uses.
pub const EXIT_BAD_CONFIG: i32 = 64;

#[derive(Debug, Error)]
pub enum ConfigError {
    /// A value that could not be read, with figment's words for which setting and where.
    #[error("{0}")]
    Invalid(String),
    /// A value that was read but is not acceptable.
    #[error("invalid value for '{setting}': {reason}")]
    Rejected {
        setting: &'static str,
        reason: String,
    },
}

/// Parses a binary's command line. `--help` and `--version` print and exit 0; a malformed
/// flag prints clap's message (which names the flag) and gives [`EXIT_BAD_CONFIG`], like
/// every other bad setting.
pub fn parse_flags<F: clap::Parser>() -> Result<F, std::process::ExitCode> {
    F::try_parse().map_err(|error| {
        let _ = error.print();
        if error.use_stderr() {
            std::process::ExitCode::from(EXIT_BAD_CONFIG as u8)
        } else {
            std::process::ExitCode::SUCCESS
        }
    })
}

/// Loads `T` from its defaults, then `file`, then the environment, then `flags` (where a
/// flag that was not given is left out of the serialized `flags`).
pub fn load<T, F>(defaults: &T, file: Option<&Path>, flags: &F) -> Result<T, ConfigError>
where
    T: Serialize + DeserializeOwned,
    F: Serialize,
{
    let mut figment = Figment::from(Serialized::defaults(defaults));
    if let Some(path) = file {
        if !path.exists() {
            return Err(ConfigError::Invalid(format!(
                "config file '{}' does not exist",
                path.display()
            )));
        }
        figment = figment.merge(Toml::file(path));
    }
    figment
        .merge(Env::prefixed(ENV_PREFIX).map(|key| key.as_str().replace('_', "-").into()))
        .merge(Serialized::defaults(flags))
        .extract()
        .map_err(|error| ConfigError::Invalid(describe(error)))
}

/// Figment's errors, one line each, naming the setting (`port`) and its source.
fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let setting = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| m.name.to_string())
                .unwrap_or_default();
            match (setting.is_empty(), source.is_empty()) {
                (true, _) => e.kind.to_string(),
                (false, true) => format!("setting '{setting}': {}", e.kind),
                (false, false) => format!("setting '{setting}' (from {source}): {}", e.kind),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(rename_all = "kebab-case")]
    struct Sample {
        port: u16,
        max_things: u32,
    }

    #[derive(Serialize)]
    struct NoFlags {}

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the closure's error type
    fn layers_apply_in_order_and_errors_name_the_setting() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("rg.toml", "port = 7000\nmax-things = 3")?;
            jail.set_env("RG_MAX_THINGS", "9");
            let defaults = Sample {
                port: 1,
                max_things: 1,
            };
            let loaded = load(&defaults, Some(Path::new("rg.toml")), &NoFlags {}).unwrap();
            assert_eq!(
                loaded,
                Sample {
                    port: 7000,
                    max_things: 9
                }
            );

            jail.set_env("RG_PORT", "seventy");
            let error = load(&defaults, None, &NoFlags {}).unwrap_err().to_string();
            assert!(error.contains("'port'"), "{error}");
            Ok(())
        });
    }
}
