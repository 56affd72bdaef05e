//! Fuzzes both parsers of `rg-resp` with arbitrary bytes.
//!
//! The whole input is the byte stream; its first byte also picks a split position
//! (`data[0] % (len + 1)`), so that each input is fed both in one read and in two.
//!
//! Checked, beyond "never panics, never hangs, never allocates without bound":
//!
//! - `RequestDecoder` (default and small limits): decoding the stream in one read and in two
//!   reads gives the same requests and the same error, and leaves the same unconsumed bytes.
//! - `Frame::parse` (default and small limits):
//!   - a prefix of the input either asks for more (`Ok(None)`) or gives exactly what the
//!     whole input gives: a client that reads a reply in pieces must see what one that reads it
//!     at once sees;
//!   - a parsed frame re-encodes to bytes that parse, with the same limits, to the same frame
//!     using all of those bytes, and re-encoding that frame gives the same bytes again.
//!
//! What does *not* hold, by design, and so is not asserted:
//!
//! - `encode(parse(input)) == input`. Parsing forgets spelling: a double is kept as an `f64`
//!   (`,1.50`, `,+1.5`, `,1e400` → `inf`, `,infinity`, `,-nan` are re-encoded in `%.17g`
//!   form: `1.5`, `1.5`, `inf`, `inf`, `nan`), and a length or count of `-0` is read as `0`
//!   (`:-0` → `:0`, `*-0` → `*0`, `$-0` → `$0`). So the roundtrip is checked from the first
//!   encoding on, where it is exact (`encode` is canonical).
//! - `Frame == Frame` after the roundtrip, literally: `Double(NaN) != Double(NaN)`. Frames
//!   are compared with `same_frame`, which takes any two NaNs as equal and other doubles by
//!   their bits (so `-0` must come back as `-0`, and every finite double exactly, which is what
//!   `%.17g` promises).
//! - Simple strings, errors and big numbers with CR or LF inside: `encode` cannot write those
//!   back, but they cannot come out of `parse` either, since it cuts lines at the first CRLF
//!   (a lone CR or LF, or a CR just before the final CRLF, does come back intact).

#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use rg_resp::{Frame, Limits, ProtocolError, RequestDecoder};

const SMALL: Limits = Limits {
    max_bulk_len: 64,
    max_multibulk_len: 16,
    max_inline_len: 64,
};

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| usize::from(b) % (data.len() + 1));
    for limits in [Limits::default(), SMALL] {
        check_decoder(data, split, limits);
        check_frame(data, split, &limits);
    }
});

/// What a decoder made of a stream: the requests, the error that stopped it if any, and the
/// bytes it left in the buffer.
#[derive(Debug, PartialEq)]
struct Decoded {
    requests: Vec<Vec<Bytes>>,
    error: Option<ProtocolError>,
    left: Option<BytesMut>,
}

/// Calls `decode` until it asks for more bytes (`Ok`) or fails.
fn drain(
    decoder: &mut RequestDecoder,
    buf: &mut BytesMut,
    requests: &mut Vec<Vec<Bytes>>,
) -> Result<(), ProtocolError> {
    while let Some(args) = decoder.decode(buf)? {
        assert!(!args.is_empty(), "an empty request was returned");
        requests.push(args);
    }
    Ok(())
}

fn decode_in_reads(reads: &[&[u8]], limits: Limits) -> Decoded {
    let mut decoder = RequestDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    for read in reads {
        buf.extend_from_slice(read);
        if let Err(error) = drain(&mut decoder, &mut buf, &mut requests) {
            // After an error the stream is abandoned, so what is left in the buffer is moot.
            return Decoded {
                requests,
                error: Some(error),
                left: None,
            };
        }
    }
    Decoded {
        requests,
        error: None,
        left: Some(buf),
    }
}

fn check_decoder(data: &[u8], split: usize, limits: Limits) {
    let whole = decode_in_reads(&[data], limits);
    let (first, second) = data.split_at(split);
    let pieces = decode_in_reads(&[first, second], limits);
    assert_eq!(whole, pieces, "one read vs two reads split at {split}, {limits:?}");
}

fn check_frame(data: &[u8], split: usize, limits: &Limits) {
    let whole = Frame::parse(data, limits);

    // Reading a reply in pieces must not change what it parses to.
    let prefix = Frame::parse(&data[..split], limits);
    match (&whole, &prefix) {
        (_, Ok(None)) => {}
        (Ok(Some((a, used_a))), Ok(Some((b, used_b)))) => {
            assert!(same_frame(a, b) && used_a == used_b, "prefix {split} parsed differently");
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "prefix {split} failed differently"),
        _ => panic!("prefix of {split} bytes gave {prefix:?}, the whole input {whole:?}"),
    }
    if let Ok(Some((_, used))) = &whole {
        assert!(*used > 0 && *used <= data.len());
        if split < *used {
            assert_eq!(prefix, Ok(None), "a prefix of a frame must ask for more");
        }
    }

    let Ok(Some((frame, _))) = whole else {
        return;
    };
    let mut encoded = BytesMut::new();
    frame.encode(&mut encoded);
    let (again, used) = match Frame::parse(&encoded, limits) {
        Ok(Some(parsed)) => parsed,
        other => panic!("{frame:?} encoded as {encoded:?} parses as {other:?}"),
    };
    assert_eq!(used, encoded.len(), "{frame:?} encoded as {encoded:?}");
    assert!(
        same_frame(&frame, &again),
        "{frame:?} encoded as {encoded:?} parses back as {again:?}"
    );
    let mut reencoded = BytesMut::new();
    again.encode(&mut reencoded);
    assert_eq!(encoded, reencoded, "encoding is not canonical for {frame:?}");
}

/// Frame equality where any NaN equals any NaN and other doubles compare by bits.
fn same_frame(a: &Frame, b: &Frame) -> bool {
    use Frame::*;
    let all = |a: &[Frame], b: &[Frame]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_frame(x, y));
    let pairs = |a: &[(Frame, Frame)], b: &[(Frame, Frame)]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|((ka, va), (kb, vb))| same_frame(ka, kb) && same_frame(va, vb))
    };
    match (a, b) {
        (Double(x), Double(y)) => (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits(),
        (Array(x), Array(y)) | (Set(x), Set(y)) | (Push(x), Push(y)) => all(x, y),
        (Map(x), Map(y)) | (Attribute(x), Attribute(y)) => pairs(x, y),
        _ => a == b,
    }
}
