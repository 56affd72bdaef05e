//! Parameter groups: the node follows its group's registry record (which names a
//! parameter group) and that parameter group, and applies each parameter live, checked by
//! the same rules as CONFIG SET. A value the node refuses is logged and skipped; the others
//! still apply.

use std::sync::Arc;
use std::time::Duration;

use rg_bus::Kv;
use rg_proto::registry::{GroupRecord, ParameterGroup, GROUPS_BUCKET, PARAMETER_GROUPS_BUCKET};

use super::Link;

const RETRY: Duration = Duration::from_secs(1);

pub(super) async fn follow(link: Arc<Link>) {
    let (registry, parameters) = loop {
        // Opened, never created: rgctl and the sentinels decide how the buckets are kept.
        let registry = link.bus.open_kv(GROUPS_BUCKET).await;
        let parameters = link.bus.open_kv(PARAMETER_GROUPS_BUCKET).await;
        match (registry, parameters) {
            (Ok(registry), Ok(parameters)) => break (registry, parameters),
            // Not there (yet): no parameter group was ever made, or no JetStream.
            _ => tokio::time::sleep(RETRY * 5).await,
        }
    };
    let key = link.config.group.to_string();
    loop {
        let Ok(mut records) = registry.watch::<GroupRecord>(&key).await else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        let mut name = String::new();
        let mut applying: Option<tokio::task::JoinHandle<()>> = None;
        while let Some((record, _)) = records.next().await {
            let wanted = record.map(|r| r.parameter_group).unwrap_or_default();
            if wanted == name {
                continue;
            }
            if let Some(task) = applying.take() {
                task.abort();
            }
            name = wanted;
            if !name.is_empty() {
                tracing::info!(parameter_group = %name, "following parameter group");
                applying = Some(tokio::spawn(apply_group(
                    link.clone(),
                    parameters.clone(),
                    name.clone(),
                )));
            }
        }
    }
}

/// Applies every version of parameter group `name` as it changes.
async fn apply_group(link: Arc<Link>, parameters: Kv, name: String) {
    loop {
        let Ok(mut versions) = parameters.watch::<ParameterGroup>(&name).await else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        while let Some((group, _)) = versions.next().await {
            let Some(group) = group else { continue };
            let mut engine = link.shared.lock_engine().await;
            for (parameter, value) in &group.parameters {
                match engine.settings.set(parameter, value) {
                    Ok(()) => tracing::info!(%parameter, %value, "parameter applied"),
                    Err(reason) => {
                        tracing::warn!(%parameter, %value, %reason, "parameter refused")
                    }
                }
            }
        }
    }
}
