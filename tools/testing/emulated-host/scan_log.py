#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge one serial log of the emulated host.

Counts the TAP results each test binary printed, and fails the run on a
failed test, a binary that crashed, timed out or ran no test, a kernel splat
anywhere in the kernel's messages (oops, BUG, WARN, general protection,
lockdep, KASAN, lockups, RCU stalls, hung tasks, panics), a boot that did not
reach its end, or a runner time limit.  Every such finding counts as one
failure, so the closing line "N passed, N failed, N skipped" is non-zero in
its failed count exactly when the run fails.
"""

import re
import sys

SPLATS = [
    r"\bOops\b",
    r"\bBUG: ",
    r"kernel BUG at",
    r"WARNING: CPU: \d+",
    r"WARNING: at ",
    r"-{12}\[ cut here \]-{12}",
    r"general protection fault",
    r"\bdouble fault\b",
    r"unable to handle (kernel|page)",
    r"possible circular locking dependency",
    r"possible recursive locking",
    r"inconsistent lock state",
    r"\blockdep\b",
    r"\bKASAN\b",
    r"\bUBSAN\b",
    r"\bkmemleak\b.*(leak|unreferenced)",
    r"soft lockup",
    r"hard LOCKUP",
    r"Kernel panic",
    r"rcu: INFO: .*detected stall",
    r"detected stalls on CPUs",
    r"INFO: task .* blocked for more than",
    r"refcount_t: ",
    r"list_(add|del) corruption",
    r"Call Trace:",
]
SPLAT_RE = re.compile("|".join(SPLATS))
TAP_RE = re.compile(r"^(not ok|ok) \d+ (.*)$")
MARK_RE = re.compile(r"^KESTREL-(TEST-BEGIN|TEST-END|OUTPUT-BEGIN|OUTPUT-END|"
                     r"UPSTREAM-BEGIN|UPSTREAM-END|"
                     r"KMSG-BEGIN|KMSG-END|DONE|RUNNER)(?::)?\s*(.*)$")


class Result:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.findings = []      # (kind, text): every failure, for the report

    def fail(self, kind, text):
        self.failed += 1
        self.findings.append((kind, text))

    def line(self):
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"


def scan(text):
    res = Result()
    current = None          # test binary running or last begun
    in_output = False
    in_upstream = False
    tap = {}                # binary -> [ok, not_ok, skip]
    ended = set()
    done = False
    where = "boot"

    for raw in text.splitlines():
        line = raw.rstrip("\r")
        m = MARK_RE.match(line)
        if m:
            kind, arg = m.group(1), m.group(2)
            name = arg.split()[0] if arg.split() else ""
            if kind == "TEST-BEGIN":
                current, where = name, name
                tap[name] = [0, 0, 0]
            elif kind == "OUTPUT-BEGIN":
                in_output = True
            elif kind == "OUTPUT-END":
                in_output = False
            elif kind == "UPSTREAM-BEGIN":
                # An upstream selftest's output (upstream.sh): not TAP we
                # judge (upstream-report does), and not kernel messages.
                in_upstream = True
                where = "/".join(arg.split()[:2])
            elif kind == "UPSTREAM-END":
                in_upstream = False
            elif kind == "TEST-END":
                ended.add(name)
                rc = re.search(r"rc=(\d+)", arg)
                rc = int(rc.group(1)) if rc else -1
                ok, notok, skip = tap.get(name, [0, 0, 0])
                if rc != 0 and notok == 0:
                    how = "was killed by its time limit" if rc == 137 else f"exited with rc={rc}"
                    res.fail("test", f"{name} {how}")
                elif rc == 0 and ok + notok + skip == 0:
                    res.fail("test", f"{name} ran no test")
                where = f"after {name}"
            elif kind == "DONE":
                done = True
            elif kind == "RUNNER":
                res.fail("runner", arg)
            continue

        if in_upstream:
            continue
        if in_output:
            t = TAP_RE.match(line)
            if t and current:
                counts = tap[current]
                if t.group(1) == "not ok":
                    counts[1] += 1
                    res.fail("test", f"{current}: {t.group(2)}")
                elif re.search(r"#\s*SKIP", t.group(2), re.I):
                    counts[2] += 1
                    res.skipped += 1
                else:
                    counts[0] += 1
                    res.passed += 1
            continue

        if SPLAT_RE.search(line):
            res.fail("kernel", f"{line.strip()} (during {where})")

    for name in tap:
        if name not in ended:
            res.fail("test", f"{name} did not finish")
    if not done and not any(k == "runner" for k, _ in res.findings):
        res.fail("boot", "the emulated host did not reach the end of its tests")
    return res


def main(argv):
    if len(argv) != 2:
        print("usage: scan_log.py LOG", file=sys.stderr)
        return 2
    with open(argv[1], errors="replace") as f:
        res = scan(f.read())
    for kind, text in res.findings:
        print(f"FAIL [{kind}] {text}")
    print(res.line())
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
