#!/usr/bin/env python3
"""Prints scripts/compat.sh's tables and checks the known-passing lists.

    compat_report.py LOGS LISTS TARGET...

LOGS holds redis-py-<target>.xml (pytest's JUnit report) and tcl-<target>.txt (runtest's
output, each line prefixed with its unit). LISTS holds <suite>-<target>.pass, one test per
line: a listed test that does not pass now fails the run. Beside each LOGS/<suite>-<target>
it writes .pass (what passed this time) and .gap (what passed on redis-server and not here).
"""
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

TCL_LINE = re.compile(r"^(\S+) \[(ok|err|exception|skip|ignore)\]: (.*?)(?: \(\d+ ms\))?$")


def redis_py_results(path):
    """{test: outcome} from a JUnit report; outcome is passed, failed or skipped."""
    results = {}
    if not path.exists():
        return results
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("skipped") is not None:
            results[name] = "skipped"
        elif case.find("failure") is not None or case.find("error") is not None:
            results[name] = "failed"
        else:
            results[name] = "passed"
    return results


def tcl_results(path):
    """{(unit, test): outcome}; a test that ran twice under one name counts by its last run."""
    results = {}
    if not path.exists():
        return results
    for line in path.read_text(errors="replace").splitlines():
        match = TCL_LINE.match(line)
        if match:
            unit, status, name = match.groups()
            outcome = {"ok": "passed", "skip": "skipped", "ignore": "skipped"}.get(status, "failed")
            results[f"{unit} {name}"] = outcome
    return results


def units(results):
    counts = Counter()
    for test, outcome in results.items():
        if outcome == "passed":
            counts[test.split(" ", 1)[0]] += 1
    return counts


def main():
    logs, lists, targets = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    broken = []
    for suite, reader, ext in (("redis-py", redis_py_results, "xml"), ("tcl", tcl_results, "txt")):
        results = {t: reader(logs / f"{suite}-{t}.{ext}") for t in targets}
        if not any(results.values()):
            continue
        reference = {n for n, o in results.get("redis", {}).items() if o == "passed"}
        print(f"\n{suite}: tests passed per target" + (" (and as a share of redis-server's)" if reference else ""))
        print(f"  {'target':8} {'passed':>7} {'failed':>7} {'skipped':>8}  of redis's")
        for target, outcomes in results.items():
            counts = Counter(outcomes.values())
            passed = {n for n, o in outcomes.items() if o == "passed"}
            share = f"{len(passed & reference) / len(reference):7.1%}" if reference else ""
            print(f"  {target:8} {counts['passed']:7} {counts['failed']:7} {counts['skipped']:8}  {share}")
            (logs / f"{suite}-{target}.pass").write_text("".join(f"{n}\n" for n in sorted(passed)))
            (logs / f"{suite}-{target}.gap").write_text("".join(f"{n}\n" for n in sorted(reference - passed)))
            known = lists / f"{suite}-{target}.pass"
            if known.exists() and outcomes:
                expected = {line for line in known.read_text().splitlines() if line}
                lost = sorted(expected - passed)
                new = len(passed - expected)
                broken += [f"{suite} {target}: {name}" for name in lost]
                print(f"  {'':8} {len(lost)} of {len(expected)} known passes lost, {new} new passes")
        if suite == "tcl":
            per_unit = {t: units(r) for t, r in results.items()}
            names = sorted(set().union(*per_unit.values()))
            print(f"\n  {'unit':28}" + "".join(f"{t:>8}" for t in results))
            for unit in names:
                print(f"  {unit:28}" + "".join(f"{per_unit[t][unit]:8}" for t in results))
    if broken:
        print("\nknown passes that failed:\n  " + "\n  ".join(broken))
        sys.exit(1)


if __name__ == "__main__":
    main()
