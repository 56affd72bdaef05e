//! PLACEHOLDER
use bytes::Bytes;
use super::ctx::{Ctx, Response};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;

pub fn hset(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hsetnx(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hget(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hmget(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hdel(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hgetall(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hkeys(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hvals(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hlen(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hexists(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hincrby(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hincrbyfloat(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hstrlen(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hrandfield(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn hscan(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}
