//! The bus against a real nats-server.

use std::time::Duration;

use rg_bus::Bus;
use rg_proto::messages::Ack;
use rg_proto::{GroupId, NodeId, Offset, ReplId};
use rg_testkit::NatsServer;

fn ack(offset: u64) -> Ack {
    Ack {
        group: GroupId::new("g").unwrap(),
        replica: NodeId::new("r1").unwrap(),
        repl_id: ReplId::none(),
        offset: Offset(offset),
    }
}

#[tokio::test]
async fn typed_messages_arrive_and_garbage_is_dropped() {
    let nats = NatsServer::start();
    let bus = Bus::connect(&nats.url(), "test").await.unwrap();
    let mut acks = bus.subscribe::<Ack>("t.acks".into()).await.unwrap();
    bus.publish("t.acks".into(), &"not an ack").await.unwrap();
    bus.publish("t.acks".into(), &ack(7)).await.unwrap();
    bus.flush().await.unwrap();
    let (received, reply) = tokio::time::timeout(Duration::from_secs(5), acks.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(received, ack(7));
    assert!(reply.is_none());
    assert_eq!(bus.undecodable_count(), 1);
}

#[tokio::test]
async fn requests_get_replies() {
    let nats = NatsServer::start();
    let bus = Bus::connect(&nats.url(), "test").await.unwrap();
    let mut requests = bus.subscribe::<Ack>("t.req".into()).await.unwrap();
    let server = bus.clone();
    tokio::spawn(async move {
        while let Some((request, reply)) = requests.next().await {
            let answer = ack(request.offset.0 + 1);
            server.reply(&reply.unwrap(), &answer).await.unwrap();
        }
    });
    let answer: Ack = bus
        .request("t.req".into(), &ack(41), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(answer.offset, Offset(42));
}
