//! PLACEHOLDER
use bytes::Bytes;
use super::ctx::{Ctx, Response};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;

pub fn zadd(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zrem(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zscore(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zmscore(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zincrby(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zcard(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zcount(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zlexcount(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zrange(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zrangebyscore(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zrevrangebyscore(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zrangebylex(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zrevrangebylex(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zrevrange(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zrank(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zrevrank(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zpopmin(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zpopmax(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zrangestore(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zunionstore(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zinterstore(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zremrangebyscore(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zremrangebyrank(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zremrangebylex(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn zscan(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}
