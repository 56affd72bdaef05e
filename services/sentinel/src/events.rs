//! Publishing the public event stream (`<prefix>.events.<group>.<Name>`, JSON).

use std::time::SystemTime;

use rg_failover::PublicEvent;
use rg_proto::events::Event;
use serde_json::Value;

use crate::Sentinel;

pub(crate) async fn publish(sentinel: &Sentinel, event: PublicEvent) {
    let PublicEvent {
        name,
        node,
        epoch,
        details,
    } = event;
    let details = match details {
        Value::Object(map) => map,
        _ => Default::default(),
    };
    let event = Event {
        event: name,
        group: sentinel.settings.group.clone(),
        node,
        epoch,
        timestamp: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        source: sentinel.settings.id.clone(),
        details,
    };
    let subject = sentinel.subjects.event(name.as_str());
    if let Err(error) = sentinel.bus.publish_raw(subject, event.to_json()).await {
        tracing::warn!(%error, event = name.as_str(), "event not published");
    }
}
