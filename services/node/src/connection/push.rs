//! How a message outside the request/reply flow is written to one connection: pub/sub
//! messages, and client-side caching's invalidations.

use rg_resp::Protocol;

use crate::engine::pubsub::PushMessage;
use crate::engine::reply::Reply;

/// The message as this connection can receive it now, if it can (sendTrackingMessage:
/// RESP2 gets invalidations only as a redirect target in subscribe mode).
pub(super) fn reply(message: PushMessage, protocol: Protocol, subscribed: bool) -> Option<Reply> {
    let resp3 = protocol == Protocol::Resp3;
    let reply = match message {
        PushMessage::Invalidate { keys, redirected } => {
            let keys = keys.map_or(Reply::Nil, |keys| {
                Reply::Array(keys.into_iter().map(Reply::Bulk).collect())
            });
            if resp3 {
                Reply::Push(vec![Reply::bulk(b"invalidate"), keys])
            } else if redirected && subscribed {
                Reply::Push(vec![
                    Reply::bulk(b"message"),
                    Reply::bulk(b"__redis__:invalidate"),
                    keys,
                ])
            } else {
                return None;
            }
        }
        PushMessage::RedirectBroken(id) if resp3 => Reply::Push(vec![
            Reply::bulk(b"tracking-redir-broken"),
            Reply::Int(id as i64),
        ]),
        PushMessage::RedirectBroken(_) => return None,
        other => pubsub_reply(other),
    };
    Some(reply)
}

fn pubsub_reply(message: PushMessage) -> Reply {
    match message {
        PushMessage::Message { channel, payload } => Reply::Push(vec![
            Reply::bulk(b"message"),
            Reply::Bulk(channel),
            Reply::Bulk(payload),
        ]),
        PushMessage::PatternMessage {
            pattern,
            channel,
            payload,
        } => Reply::Push(vec![
            Reply::bulk(b"pmessage"),
            Reply::Bulk(pattern),
            Reply::Bulk(channel),
            Reply::Bulk(payload),
        ]),
        PushMessage::ShardMessage { channel, payload } => Reply::Push(vec![
            Reply::bulk(b"smessage"),
            Reply::Bulk(channel),
            Reply::Bulk(payload),
        ]),
        PushMessage::Monitor(line) => Reply::Status(line),
        PushMessage::Invalidate { .. } | PushMessage::RedirectBroken(_) => Reply::Nil,
    }
}
