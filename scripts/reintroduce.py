#!/usr/bin/env python3
"""Re-introduces, one at a time, the safety faults the failover code was fixed for, runs the
simulated network on each, and prints how many schedules caught it and the first seed.

    scripts/reintroduce.py [--schedules N] [--only NAME]

Run it on a scratch checkout with its own target dir (it edits files in place and restores
them after each fault; a shared target dir would keep the last faulty test binary, as cargo
finds it newer than the restored sources):
    git worktree add /tmp/reintro HEAD && /tmp/reintro/scripts/reintroduce.py
A fault whose text no longer matches the code is reported as such, never as "not caught".
"""

import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VIEW = "shared/failover/src/view.rs"
PROCEDURE = "shared/failover/src/procedure.rs"
NODE = "shared/failover/tests/sim/node.rs"
SENTINEL = "shared/failover/tests/sim/sentinel.rs"
POSITIONS = "shared/proto/src/positions.rs"

# (file, text as fixed, text with the fault back)
RESTART_IGNORED = (VIEW, "self.restarted = heartbeat.role == Role::Primary",
                   "self.restarted = false && heartbeat.role == Role::Primary")
RESTART_RULE_OFF = (NODE, "self.restarted = others;", "self.restarted = false && others;")

# name -> the edits that put the fault back
FAULTS = {
    "no freeze (replicas keep applying the old primary's stream)": [
        (NODE, "epoch < *promised && now < at + FREEZE_LAPSE", "false && epoch < *promised"),
    ],
    "thaw forgets every leader's promise, not its own": [
        (NODE, "self.freeze.remove(&epoch);", "self.freeze.clear();"),
    ],
    "vote forgotten on restart": [
        (SENTINEL, "fresh_view(self.persisted.clone())", "fresh_view(None)"),
    ],
    "double failover (a leader elected for an old primary replaces a new one)": [
        (PROCEDURE, "if current.primary != self.old {", "if false {"),
        (PROCEDURE, "if current.epoch >= self.epoch {", "if false {"),
    ],
    "epoch fence unfed (nodes ignore the record in sentinel heartbeats)": [
        (NODE, "if let Some((epoch, primary)) = record {", "if let Some((epoch, primary)) = None::<(Epoch, NodeId)> {"),
    ],
    "no fence off the bus": [
        (NODE, "let in_sight = seen * 2 > self.sentinels", "let in_sight = true || seen * 2 > self.sentinels"),
    ],
    "empty primary kept: sentinels ignore a restart": [RESTART_IGNORED],
    "empty primary kept: the node takes writes after a restart": [RESTART_RULE_OFF],
    "empty primary kept: both": [RESTART_IGNORED, RESTART_RULE_OFF],
    "planned target promoted while another frozen replica holds more": [
        (VIEW, "            replicas = candidate::holding_most(&replicas, max_disconnected);\n        }\n        replicas.retain(|r| target.is_none_or(|t| r.node == *t));",
               "            replicas.retain(|r| target.is_none_or(|t| r.node == *t));\n            replicas = candidate::holding_most(&replicas, max_disconnected);\n        }"),
    ],
    "an unanswered compare-and-set taken as not written": [
        (SENTINEL, "Input::Installed(None),", "Input::Installed(Some(false)),"),
    ],
    "a promotion whose answer was lost undoes the failover": [
        (PROCEDURE, "return self.give_up(reason, actions);", "return self.abort(reason, actions);"),
    ],
    "a ping raises the node's epoch (a planned failover's catch-up poll)": [
        (NODE, "            ControlCommand::Promote | ControlCommand::ReplicateOf { .. }\n        );",
               "            ControlCommand::Promote | ControlCommand::ReplicateOf { .. } | ControlCommand::Ping\n        );"),
    ],
    "WAIT counted in the wrong history (the router compares offsets alone)": [
        (POSITIONS, ".is_some_and(|position| self.lineage.holds(position, target))",
                    ".is_some_and(|position| position.offset >= target.offset)"),
    ],
    "stale offset (a node listed as a replica keeps the highest offset it ever showed)": [
        (POSITIONS, "            Some(known) if known.repl_id == position.repl_id => {\n                known.offset = known.offset.max(position.offset);\n            }",
                    "            Some(known) => {\n                known.offset = known.offset.max(position.offset);\n                known.repl_id = position.repl_id;\n            }"),
        (POSITIONS, "        if self\n            .acked\n            .get(&heartbeat.node)\n            .is_some_and(|known| known.repl_id != heartbeat.repl_id)\n        {\n            self.acked.remove(&heartbeat.node);\n        }",
                    "        if heartbeat.role == Role::Replica {\n            let position = Position::new(heartbeat.repl_id.clone(), heartbeat.offset);\n            self.acked(&heartbeat.node, position);\n        }"),
    ],
    "a pause raises the node's epoch": [
        (NODE, "        if changes_role {\n            self.epoch = self.epoch.max(epoch);", "        if changes_role || pauses {\n            self.epoch = self.epoch.max(epoch);"),
    ],
}


def run(schedules):
    env = dict(os.environ, SIM_SCHEDULES=str(schedules))
    result = subprocess.run(
        # The test profile: rg-failover and rg-proto are optimised there (Cargo.toml),
        # and each fault rebuilds in seconds rather than the release profile's minutes of LTO.
        ["cargo", "test", "-q", "-p", "rg-failover", "--test", "simulate", "--", "--nocapture"],
        cwd=ROOT, env=env, capture_output=True, text=True)
    text = result.stdout + result.stderr
    broke = re.search(r"(\d+) of (\d+) schedules broke an invariant", text)
    if broke:
        first = re.search(r"^seed (\d+): (.*)$", text, re.M)
        return int(broke.group(1)), first.group(1), first.group(2)
    if "schedules in" in text:
        return 0, None, None
    sys.exit("the simulation did not run:\n" + text[-3000:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--only")
    args = parser.parse_args()
    print(f"| fault re-introduced | schedules that caught it (of {args.schedules}) | first seed | invariant |")
    print("|---|---|---|---|")
    for name, edits in FAULTS.items():
        if args.only and args.only not in name:
            continue
        saved = {}
        try:
            for path, fixed, faulty in edits:
                full = os.path.join(ROOT, path)
                current = open(full).read()
                saved.setdefault(full, current)
                if fixed not in current:
                    raise LookupError(f"{path} no longer holds {fixed!r}")
                open(full, "w").write(current.replace(fixed, faulty, 1))
            caught, seed, why = run(args.schedules)
            print(f"| {name} | {caught} | {seed or '-'} | {(why or '-')[:90]} |", flush=True)
        except LookupError as error:
            print(f"| {name} | cannot apply: {error} | | |", flush=True)
        finally:
            for full, text in saved.items():
                open(full, "w").write(text)


if __name__ == "__main__":
    main()
