//! Property tests: whatever is encoded parses back to the same frame, from one buffer or from
//! any split of it.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rg_resp::{Frame, Limits, RequestDecoder};

fn bytes() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..32).prop_map(Bytes::from)
}

/// Line-safe text for simple strings, errors and big numbers, which cannot hold CR or LF.
fn line() -> impl Strategy<Value = Bytes> {
    "[a-zA-Z0-9 ._-]{0,16}".prop_map(Bytes::from)
}

fn frame() -> impl Strategy<Value = Frame> {
    let leaf = prop_oneof![
        line().prop_map(Frame::Simple),
        line().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        bytes().prop_map(Frame::Bulk),
        Just(Frame::NullBulk),
        Just(Frame::NullArray),
        Just(Frame::Null),
        any::<f64>()
            .prop_filter("nan never equals itself", |d| !d.is_nan())
            .prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        "-?[1-9][0-9]{0,40}".prop_map(|n| Frame::BigNumber(Bytes::from(n))),
        bytes().prop_map(Frame::BulkError),
        bytes().prop_map(|text| Frame::Verbatim {
            format: *b"txt",
            text
        }),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Frame::Array),
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Frame::Set),
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Frame::Push),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..4).prop_map(Frame::Map),
            proptest::collection::vec((inner.clone(), inner), 0..4).prop_map(Frame::Attribute),
        ]
    })
}

proptest! {
    #[test]
    fn encode_then_parse_gives_the_same_frame(frame in frame()) {
        let mut out = BytesMut::new();
        frame.encode(&mut out);
        let (parsed, used) = Frame::parse(&out, &Limits::default()).unwrap().unwrap();
        prop_assert_eq!(used, out.len());
        prop_assert_eq!(parsed, frame);
    }

    #[test]
    fn frame_len_measures_what_the_parser_consumes(frame in frame(), tail in bytes()) {
        let mut out = BytesMut::new();
        frame.encode(&mut out);
        let whole = out.len();
        out.extend_from_slice(&tail);
        prop_assert_eq!(rg_resp::frame_len(&out, &Limits::default()).unwrap(), Some(whole));
        for end in 0..whole {
            prop_assert_eq!(rg_resp::frame_len(&out[..end], &Limits::default()).unwrap(), None);
        }
    }

    #[test]
    fn every_strict_prefix_asks_for_more(frame in frame()) {
        let mut out = BytesMut::new();
        frame.encode(&mut out);
        for end in 0..out.len() {
            prop_assert_eq!(Frame::parse(&out[..end], &Limits::default()).unwrap(), None);
        }
    }

    #[test]
    fn requests_decode_whatever_the_read_boundaries(
        commands in proptest::collection::vec(proptest::collection::vec(bytes(), 1..6), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut wire = BytesMut::new();
        for args in &commands {
            Frame::Array(args.iter().cloned().map(Frame::Bulk).collect()).encode(&mut wire);
        }
        let cut = cut.index(wire.len() + 1);
        let mut decoder = RequestDecoder::default();
        let mut buf = BytesMut::from(&wire[..cut]);
        let mut got = Vec::new();
        while let Some(args) = decoder.decode(&mut buf).unwrap() {
            got.push(args);
        }
        buf.extend_from_slice(&wire[cut..]);
        while let Some(args) = decoder.decode(&mut buf).unwrap() {
            got.push(args);
        }
        prop_assert_eq!(got, commands);
    }
}
