//! What any Redis client may send through the router and expect to work as on Redis itself:
//! values of any size, databases other than 0, RESP3.

use crate::router::group_with_router;
use crate::support::q;

/// A value bigger than anything the router reads or writes in one go, on a shared
/// connection (database 0) and on a client's own (database 9), in both directions.
#[test]
fn a_16_mb_value_goes_through_every_path() {
    let (_group, router) = group_with_router(&[]);
    let value = "v".repeat(16 * 1024 * 1024);
    for (port, database) in [(router.smart, 0), (router.primary, 0), (router.smart, 9)] {
        let url = format!("{}/{database}", router.url(port));
        let client = redis::Client::open(url).expect("a valid url");
        let mut con = client.get_connection().expect("the router accepts");
        let _: () = q(&mut con, &["SET", "huge", &value]);
        let back: String = q(&mut con, &["GET", "huge"]);
        assert!(
            back == value,
            "port {port} database {database}: {} bytes back",
            back.len()
        );
        assert_eq!(q::<i64>(&mut con, &["STRLEN", "huge"]), value.len() as i64);
    }
}
