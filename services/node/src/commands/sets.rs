//! PLACEHOLDER
use bytes::Bytes;
use super::ctx::{Ctx, Response};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;

pub fn sadd(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn srem(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn smembers(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn sismember(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn smismember(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn scard(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn spop(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn srandmember(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn smove(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn sinter(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn sunion(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn sdiff(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn sinterstore(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn sunionstore(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn sdiffstore(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn sintercard(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}

pub fn sscan(_ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Err(CmdError::err("todo"))
}
