use rg_testkit::Node;

#[test]
fn a_real_client_sets_and_gets() {
    let node = Node::start(&[]);
    let client = redis::Client::open(node.url()).unwrap();
    let mut con = client.get_connection().unwrap();
    let _: () = redis::cmd("SET")
        .arg("greeting")
        .arg("hello")
        .query(&mut con)
        .unwrap();
    let value: String = redis::cmd("GET").arg("greeting").query(&mut con).unwrap();
    assert_eq!(value, "hello");
}
