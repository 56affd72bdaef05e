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

#[tokio::test]
async fn key_value_compare_and_set_lets_one_writer_win() {
    use rg_bus::BusErrorKind;
    let nats = NatsServer::start_jetstream();
    let bus = Bus::connect(&nats.url(), "test").await.unwrap();
    let kv = bus.kv("topology", 1, 5).await.unwrap();
    assert!(kv.get::<Ack>("g").await.unwrap().is_none());
    let first = kv.create("g", &ack(1)).await.unwrap();
    let again = kv.create("g", &ack(2)).await.unwrap_err();
    assert_eq!(again.kind(), BusErrorKind::Conflict);

    let mut watch = kv.watch::<Ack>("g").await.unwrap();
    let (seen, revision) = watch.next().await.unwrap();
    assert_eq!((seen, revision), (Some(ack(1)), first));

    // Two leaders read the same revision; only one install succeeds.
    let (ten, twenty) = (ack(10), ack(20));
    let (a, b) = tokio::join!(kv.update("g", &ten, first), kv.update("g", &twenty, first));
    assert_eq!([a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(), 1);
    let loser = if a.is_ok() { b } else { a };
    assert_eq!(loser.unwrap_err().kind(), BusErrorKind::Conflict);
    let (value, revision) = kv.get::<Ack>("g").await.unwrap().unwrap();
    assert!(value == ack(10) || value == ack(20));
    assert!(revision > first);
    let (seen, _) = watch.next().await.unwrap();
    assert_eq!(seen, Some(value));
}

#[tokio::test]
async fn a_comma_separated_list_reaches_a_live_server_even_if_the_first_is_down() {
    let nats = NatsServer::start();
    let dead = format!("nats://127.0.0.1:{}", rg_testkit::free_port());
    let urls = format!("{dead}, {}", nats.url());
    let bus = Bus::connect(&urls, "test").await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), bus.flush())
        .await
        .expect("connected through the second address")
        .unwrap();
    assert!(Bus::connect("nats://host:notaport", "test").await.is_err());
}

#[tokio::test]
async fn a_bucket_on_a_cluster_that_just_started_takes_its_first_write() {
    let servers = NatsServer::start_cluster(3);
    let urls: Vec<String> = servers.iter().map(NatsServer::url).collect();
    let bus = Bus::connect(&urls.join(","), "test").await.unwrap();
    // Opening may fail while JetStream elects its first leader; callers retry, as here.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let kv = loop {
        match bus.replicated_kv("registry", 8).await {
            Ok(kv) => break kv,
            Err(error) => assert!(std::time::Instant::now() < deadline, "{error}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    kv.create("g", &ack(1)).await.unwrap();
    let (value, _) = kv.get::<Ack>("g").await.unwrap().unwrap();
    assert_eq!(value, ack(1));

    // Kept on all three servers: a cluster still electing its leader is no reason to keep
    // the record on one.
    assert_eq!(copies(&servers[1], "registry").await, 3);
}

#[tokio::test]
async fn a_replicated_bucket_on_a_standalone_server_keeps_one_copy() {
    let nats = NatsServer::start_jetstream();
    let bus = Bus::connect(&nats.url(), "test").await.unwrap();
    let kv = bus.replicated_kv("registry", 8).await.unwrap();
    kv.create("g", &ack(1)).await.unwrap();
    assert_eq!(copies(&nats, "registry").await, 1);
}

/// How many copies the server keeps of a bucket, as JetStream itself reports it.
async fn copies(nats: &NatsServer, bucket: &str) -> usize {
    let client = async_nats::connect(nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream(format!("KV_{bucket}")).await.unwrap();
    stream.info().await.unwrap().config.num_replicas
}
