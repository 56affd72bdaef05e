//! Lua scripting (EVAL, EVALSHA, EVAL_RO, SCRIPT): every case run against rg-node and a
//! real redis-server 7.0.15 side by side, replies compared; then what only rgroup can
//! show: scripts' writes replicated as their effects, and EVALSHA on a replica.
//! https://redis.io/docs/interact/programmability/eval-intro/

use redis::Value;
use rg_testkit::{assert_eventually, Node};

use crate::reference::RedisServer;
use crate::replication::Group;
use crate::support::{connect, q};

/// A reply or the error line, whatever it is.
fn reply(con: &mut redis::Connection, args: &[&str]) -> String {
    match crate::support::command(args).query::<Value>(con) {
        Ok(value) => format!("{value:?}"),
        Err(error) => crate::support::error_line(&error),
    }
}

/// Each line a command, words split on `|` (scripts hold spaces). FUNCTION LIST lists a
/// library's functions in Redis's hash order: the library it lists has one.
const CASES: &str = "\
SET|s|str
EVAL|return redis.call('incr','s')|0
EVAL|return redis.call('get')|0
EVAL|return redis.call('nosuch')|0
EVAL|return redis.call('multi')|0
EVAL|return redis.call('script','load','return 1')|0
EVAL|return redis.call('blpop','nolist',0)|0
EVAL|return redis.pcall('incr','s')|0
EVAL|local ok, e = pcall(redis.call, 'incr', 's') return e|0
EVAL|local ok, e = pcall(error, 'x') return e|0
EVAL|return {1,2,3,'x',nil,5}|0
EVAL|return {1, {2, {3}}, 'a', {ok='st'}, {err='e'}}|0
EVAL|return 3.99|0
EVAL|return -2^63|0
EVAL|return {err='My Error'}|0
EVAL|return {ok='fine'}|0
EVAL|return {double=1.5}|0
EVAL|return true|0
EVAL|return false|0
EVAL|return redis.call('get','nokey')|0
EVAL|x = 5|0
EVAL|return x|0
EVAL|string.x = 1|0
EVAL|redis.call = nil|0
EVAL|return type(print) .. type(loadstring)|0
EVAL|error('boom')|0
EVAL|error({err='TAB x'})|0
EVAL|return redis.error_reply('x')|0
EVAL|return redis.error_reply('My Error')|0
EVAL|return redis.status_reply('FINE')|0
EVAL|syntax error here|0
EVAL|return 1|-1
EVAL|return 1|5|a
EVALSHA|ffffffffffffffffffffffffffffffffffffffff|0
EVAL|return redis.call('SET',KEYS[1],ARGV[1])|1|key|val
GET|key
EVAL|return {KEYS[1], ARGV[1], ARGV[2], #KEYS, #ARGV}|1|k|a|b
EVAL_RO|return redis.call('set','k','v')|0
EVAL_RO|return redis.call('get','key')|0
EVAL|#!lua flags=no-writes\\nreturn redis.call('set','k','v')|0
EVAL|#!lua flags=bogus\\nreturn 1|0
EVAL|#!python\\nreturn 1|0
EVAL|redis.call('select', 3) redis.call('set','indb3','x') return redis.call('get','indb3')|0
GET|indb3
EVAL|return redis.call('hset','h','a',1)|0
EVAL|return redis.call('hgetall','h')|0
EVAL|redis.setresp(3) return redis.call('hgetall','h').map.a|0
EVAL|redis.setresp(3) return type(redis.call('get','nokey'))|0
EVAL|return redis.setresp(4)|0
EVAL|return redis.call('zadd','z',1.5,'m')|0
EVAL|return redis.call('zscore','z','m')|0
EVAL|return redis.call('type','h').ok|0
EVAL|return redis.call('set','a',1.5)|0
EVAL|return redis.call('get',{})|0
EVAL|return redis.call()|0
EVAL|return cjson.encode({1,2,{a=3}})|0
EVAL|return cjson.decode('[1,2,{\"a\":3}]')[3].a|0
EVAL|return cjson.encode(cjson.decode('{\"a\":null}'))|0
EVAL|return bit.band(7,3) .. bit.tohex(255) .. bit.bnot(0)|0
EVAL|return cmsgpack.unpack(cmsgpack.pack({1,2,3}))|0
EVAL|return redis.sha1hex('abc')|0
EVAL|return struct.pack('>I2', 258)|0
EVAL|return struct.unpack('>I2', struct.pack('>I2', 258))|0
EVAL|return redis.REDIS_VERSION|0
SCRIPT|LOAD|return 'loaded'
SCRIPT|EXISTS|b534286061d4b9e4026607613b95c06c06015ae8|ffffffffffffffffffffffffffffffffffffffff
EVALSHA|b534286061d4b9e4026607613b95c06c06015ae8|0
EVALSHA|B534286061D4B9E4026607613B95C06C06015AE8|0
SCRIPT|FLUSH
SCRIPT|EXISTS|b534286061d4b9e4026607613b95c06c06015ae8
SCRIPT|KILL
SCRIPT|NOPE
FUNCTION|FLUSH
FUNCTION|LOAD|#!lua name=mylib\\nredis.register_function('myfunc', function(keys, args) return args[1] end)\\nredis.register_function{function_name='ro', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}
FUNCTION|LOAD|#!lua name=mylib\\nredis.register_function('x', function() return 1 end)
FCALL|myfunc|0|hello
FCALL|ro|1|key
FCALL_RO|ro|1|key
FCALL_RO|myfunc|0|a
FCALL|nosuch|0
FCALL|myfunc|-1
FUNCTION|LIST|LIBRARYNAME|nosuch
FUNCTION|STATS
FUNCTION|LOAD|return 1
FUNCTION|LOAD|#!lua name=bad\\nreturn 1
FUNCTION|LOAD|#!lua name=bad2\\nredis.call('ping')
FUNCTION|LOAD|#!lua\\nx
FUNCTION|LOAD|#!python name=c1\\nx
FUNCTION|LOAD|#!lua name=c1\\nx x x
FUNCTION|LOAD|#!lua name=a b=c\\nredis.register_function('x', function() return 1 end)
FUNCTION|LOAD|#!lua name=bad-name\\nredis.register_function('x', function() return 1 end)
FUNCTION|LOAD|#!lua name=ok1\\nredis.register_function('bad-f', function() return 1 end)
FUNCTION|LOAD|#!lua name=ok2\\nredis.register_function{function_name='q', callback=function() return 1 end, flags={'bogus'}}
FUNCTION|LOAD|#!lua name=ok3\\nredis.register_function('myfunc', function() return 1 end)
FUNCTION|LOAD|#!lua name=ok4\\nredis.register_function('f1', function() return 1 end)\\nredis.register_function('f1', function() return 1 end)
FUNCTION|LOAD|#!lua name=ok6\\nredis.register_function('k', 'notafunction')
FUNCTION|LOAD|#!lua name=c3\\nredis.register_function{function_name='f3', callback=function() return 1 end, flags='no-writes'}
FUNCTION|LOAD|#!lua name=c4\\nredis.register_function{function_name='f4'}
FUNCTION|LOAD|#!lua name=c5\\nredis.register_function{function_name='f5', callback=function() return 1 end, other=1}
FUNCTION|LOAD|#!lua name=e\\nredis.register_function('f', function() error('boom') end)
FCALL|f|0
FUNCTION|LOAD|REPLACE|#!lua name=e\\nredis.register_function('g', function(keys, args) return redis.call('set', keys[1], args[1]) end)
FCALL|f|0
FCALL|g|1|fk|fv
FCALL_RO|g|1|fk|fv
GET|fk
FUNCTION|DELETE|e
FUNCTION|DELETE|e
FCALL|g|1|fk|fv
FUNCTION|FLUSH
FUNCTION|LOAD|#!lua name=listed\\nredis.register_function{function_name='one', callback=function() return 1 end, flags={'no-writes', 'allow-oom'}, description='the one'}
FUNCTION|LIST
FUNCTION|LIST|WITHCODE|LIBRARYNAME|li*
FUNCTION|RESTORE|garbage
FUNCTION|KILL
FUNCTION|NOPE
EVAL|redis.call('set', KEYS[1], 9007199254740991) return redis.call('get', KEYS[1])|1|big
EVAL|redis.call('set', KEYS[1], 3.14) return redis.call('get', KEYS[1])|1|big
EVAL|return cjson.encode_keep_buffer(false)|0
SADD|letters|q|w|e|r|t|y|u|i|o|p|a|s|d|f|g
EVAL|return redis.call('sort', KEYS[1], 'by', 'nosort')|1|letters
EVAL|return redis.call('sort', KEYS[1], 'by', 'nosort', 'desc', 'limit', '2', '5')|1|letters
CONFIG|SET|maxmemory|1
EVAL|#!lua\nreturn 1|0
EVAL|#!lua flags=allow-oom\nreturn 1|0
EVAL|#!lua flags=no-writes\nreturn 1|0
EVAL|return 1|0
CONFIG|SET|maxmemory|0
EVAL|return {err='one\ntwo'}|0";

#[test]
fn scripts_answer_as_redis_7_does() {
    let redis = RedisServer::start();
    let node = Node::start(&[]);
    let mut theirs = redis.connect();
    let mut ours = connect(&node);
    let mut differences = Vec::new();
    for line in CASES.lines() {
        let line = line.replace("\\n", "\n");
        let args: Vec<&str> = line.split('|').collect();
        let (expected, got) = (reply(&mut theirs, &args), reply(&mut ours, &args));
        if expected != got {
            differences.push(format!("{line}\n  redis:   {expected}\n  rg-node: {got}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} cases differ:\n{}",
        differences.len(),
        CASES.lines().count(),
        differences.join("\n")
    );
}

/// A dump of redis-server's functions restores into rg-node, and the other way round.
#[test]
fn function_dumps_move_between_redis_and_rg_node() {
    let redis = RedisServer::start();
    let node = Node::start(&[]);
    let mut theirs = redis.connect();
    let mut ours = connect(&node);
    let library = "#!lua name=moved\nredis.register_function('hello', function(keys, args) return 'hello ' .. args[1] end)";
    let _: String = q(&mut theirs, &["FUNCTION", "LOAD", library]);
    let dump: Vec<u8> = redis::cmd("FUNCTION")
        .arg("DUMP")
        .query(&mut theirs)
        .unwrap();
    let _: () = redis::cmd("FUNCTION")
        .arg("RESTORE")
        .arg(&dump)
        .query(&mut ours)
        .unwrap();
    assert_eq!(
        q::<String>(&mut ours, &["FCALL", "hello", "0", "rg"]),
        "hello rg"
    );
    let ours_dump: Vec<u8> = redis::cmd("FUNCTION").arg("DUMP").query(&mut ours).unwrap();
    let _: () = q(&mut theirs, &["FUNCTION", "FLUSH"]);
    let _: () = redis::cmd("FUNCTION")
        .arg("RESTORE")
        .arg(&ours_dump)
        .query(&mut theirs)
        .unwrap();
    assert_eq!(
        q::<String>(&mut theirs, &["FCALL", "hello", "0", "redis"]),
        "hello redis"
    );
    let refused = reply(
        &mut ours,
        &[
            "FUNCTION",
            "RESTORE",
            std::str::from_utf8(&dump[..dump.len() - 1]).unwrap_or("x"),
        ],
    );
    assert_eq!(refused, "ERR DUMP payload version or checksum are wrong");
}

/// A script's writes reach the replica as what they did (a random choice included), and a
/// script loaded on the primary can be run by SHA on a replica, read-only.
#[test]
fn scripts_replicate_their_effects_and_replicas_know_loaded_scripts() {
    let group = Group::new("scripts");
    let primary = group.node("p", None, &[]);
    let replica = group.node("r", Some("p"), &[]);
    let mut con = connect(&primary);
    let mut reader = connect(&replica);
    let _: () = q(&mut con, &["SADD", "pool", "a", "b", "c", "d"]);
    let popped: String = q(
        &mut con,
        &[
            "EVAL",
            "local m = redis.call('spop', KEYS[1]) redis.call('set', KEYS[2], m) return m",
            "2",
            "pool",
            "last",
        ],
    );
    let sha: String = q(
        &mut con,
        &["SCRIPT", "LOAD", "return redis.call('get', KEYS[1])"],
    );
    assert_eventually!(
        q::<Option<String>>(&mut reader, &["GET", "last"]).as_deref() == Some(popped.as_str())
    );
    assert_eq!(q::<i64>(&mut reader, &["SISMEMBER", "pool", &popped]), 0);
    assert_eq!(q::<i64>(&mut reader, &["SCARD", "pool"]), 3);
    assert_eventually!(q::<Vec<i64>>(&mut reader, &["SCRIPT", "EXISTS", &sha]) == [1]);
    assert_eq!(
        q::<String>(&mut reader, &["EVALSHA_RO", &sha, "1", "last"]),
        popped,
        "the replica knows the script"
    );
    let refused = reply(
        &mut reader,
        &["EVAL", "return redis.call('set', 'x', 1)", "0"],
    );
    assert!(
        refused.starts_with("READONLY You can't write against a read only replica."),
        "{refused}"
    );
}

/// A script that runs past busy-reply-threshold: others get BUSY rather than wait, SCRIPT
/// KILL stops it (with Redis's error for its caller), and a script that wrote cannot be
/// killed. The same texts as redis-server's.
#[test]
fn a_busy_script_answers_busy_and_can_be_killed_until_it_writes() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["CONFIG", "SET", "lua-time-limit", "100"]);
    assert_eq!(
        q::<Vec<String>>(&mut con, &["CONFIG", "GET", "busy-reply-threshold"]),
        ["busy-reply-threshold", "100"]
    );
    assert_eq!(
        reply(&mut con, &["SCRIPT", "KILL"]),
        "NOTBUSY No scripts in execution right now."
    );
    let mut runner = connect(&node);
    let looping =
        std::thread::spawn(move || reply(&mut runner, &["EVAL", "while true do end", "0"]));
    assert_eventually!(reply(&mut con, &["PING"]).starts_with(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    ));
    assert_eq!(
        reply(&mut con, &["SCRIPT", "KILL"]),
        format!("{:?}", Value::Okay)
    );
    let killed = looping.join().unwrap();
    assert!(
        killed.starts_with("ERR Script killed by user with SCRIPT KILL... script: "),
        "{killed}"
    );
    assert!(killed.ends_with(", on @user_script:1."), "{killed}");
    assert_eq!(q::<String>(&mut con, &["PING"]), "PONG");

    // A script that catches the kill with pcall is stopped all the same, and the next
    // script runs as usual.
    let mut runner = connect(&node);
    let catching = "local f = function() while true do redis.call('ping') end end \
                    while true do pcall(f) end";
    let looping = std::thread::spawn(move || reply(&mut runner, &["EVAL", catching, "0"]));
    assert_eventually!(reply(&mut con, &["PING"]).starts_with("BUSY"));
    assert_eq!(
        reply(&mut con, &["SCRIPT", "KILL"]),
        format!("{:?}", Value::Okay)
    );
    let killed = looping.join().unwrap();
    assert!(killed.starts_with("ERR Script killed by user"), "{killed}");
    assert_eq!(q::<i64>(&mut con, &["EVAL", "return 7", "0"]), 7);

    let mut writer = connect(&node);
    std::thread::spawn(move || {
        reply(
            &mut writer,
            &["EVAL", "redis.call('set', 'w', 1) while true do end", "0"],
        )
    });
    assert_eventually!(reply(&mut con, &["PING"]).starts_with("BUSY"));
    let refused = reply(&mut con, &["SCRIPT", "KILL"]);
    assert!(
        refused.starts_with("UNKILLABLE Sorry the script already executed write commands"),
        "{refused}"
    );
}
