//! The node's own public events (NodeFenced, FullSyncRefused...), on the same stream as the
//! sentinels'. Published when the bus is reachable; the client buffers them until then.

use rg_proto::events::{Event, EventName};

use super::Link;

pub(super) async fn publish(
    link: &Link,
    name: EventName,
    details: serde_json::Map<String, serde_json::Value>,
) {
    let epoch = link.shared.lock_engine().await.repl.epoch();
    let event = Event {
        event: name,
        group: link.config.group.clone(),
        node: Some(link.config.node.clone()),
        epoch,
        timestamp: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
        source: link.config.node.clone(),
        details,
    };
    let subject = link.subjects.event(name.as_str());
    if let Err(error) = link.bus.publish_raw(subject, event.to_json()).await {
        tracing::debug!(%error, event = name.as_str(), "event not published");
    }
}
