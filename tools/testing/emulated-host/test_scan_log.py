#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scan_log.scan() on made-up serial logs.  Prints TAP."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scan_log import scan  # noqa: E402


def test(name, body, kmsg="", rc=0, done=True, extra=""):
    log = ["[    0.000000] Linux version 6.1.0-56-amd64",
           "KESTREL-KMSG-BEGIN boot", "[    1.0] kestrel: SVM backend",
           "KESTREL-KMSG-END boot",
           f"KESTREL-TEST-BEGIN {name}", f"KESTREL-OUTPUT-BEGIN {name}"]
    log += body.splitlines()
    log += [f"KESTREL-OUTPUT-END {name}", f"KESTREL-KMSG-BEGIN {name}"]
    log += kmsg.splitlines()
    log += [f"KESTREL-KMSG-END {name}", f"KESTREL-TEST-END {name} rc={rc}"]
    log += extra.splitlines()
    if done:
        log.append("KESTREL-DONE")
    return "\r\n".join(log) + "\r\n"


PASS = "TAP version 13\n1..2\nok 1 a.one\nok 2 # SKIP no npt\n"

CASES = [
    # name, log, expected (passed, failed, skipped), text a finding must hold
    ("all pass", test("t", PASS), (1, 0, 1), None),
    ("failed TAP result", test("t", "ok 1 a.one\nnot ok 2 a.two\n", rc=1),
     (1, 1, 0), "t: a.two"),
    ("crash without TAP", test("t", "", rc=139), (0, 1, 0), "rc=139"),
    ("killed by time limit", test("t", "ok 1 a\n", rc=137), (1, 1, 0),
     "time limit"),
    ("binary ran no test", test("t", "hello\n"), (0, 1, 0), "ran no test"),
    ("all skipped is not a failure", test("t", "ok 1 # SKIP no svm\n"),
     (0, 0, 1), None),
    ("WARN in kernel log", test("t", PASS, kmsg="[ 5.1] WARNING: CPU: 1 PID: 7 at x.c:1 f+0x1"),
     (1, 1, 1), "WARNING: CPU: 1"),
    ("oops on console", test("t", PASS, extra="[ 6.0] BUG: kernel NULL pointer dereference"),
     (1, 1, 1), "BUG: kernel NULL"),
    ("general protection", test("t", PASS, kmsg="[ 2] general protection fault, probably for non-canonical address"),
     (1, 1, 1), "general protection"),
    ("soft lockup", test("t", PASS, kmsg="[ 30] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!"),
     (1, 1, 1), "soft lockup"),
    ("lockdep", test("t", PASS, kmsg="[ 3] WARNING: possible circular locking dependency detected"),
     (1, 1, 1), "circular locking"),
    ("KASAN", test("t", PASS, kmsg="[ 3] BUG: KASAN: use-after-free in foo"),
     (1, 1, 1), "KASAN"),
    ("RCU stall", test("t", PASS, kmsg="[ 40] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"),
     (1, 1, 1), "stall"),
    ("hung task", test("t", PASS, kmsg="[ 300] INFO: task kworker/0:1:12 blocked for more than 120 seconds."),
     (1, 1, 1), "blocked for more than"),
    ("panic, no end", test("t", PASS, done=False, extra="[ 9] Kernel panic - not syncing: Fatal exception"),
     (1, 2, 1), "Kernel panic"),
    ("boot never ended", test("t", PASS, done=False), (1, 1, 1), "did not reach"),
    ("runner time limit", test("t", PASS, done=False,
                               extra="KESTREL-RUNNER: serial log silent for 240s: emulated host hung"),
     (1, 1, 1), "silent"),
    ("test never ended", "KESTREL-TEST-BEGIN t\nKESTREL-OUTPUT-BEGIN t\nok 1 a\n",
     (1, 2, 0), "did not finish"),
    ("splat words in test output are not kernel splats",
     test("t", "# checking that BUG: and WARNING: CPU: 0 stay quiet\nok 1 a\n"),
     (1, 0, 0), None),
    ("upstream test output is neither TAP nor kernel text",
     "KESTREL-UPSTREAM-BEGIN kestrel x86_64/state_test\n"
     "kestrel x86_64/state_test| not ok 1 BUG: in the test's own words\n"
     "KESTREL-UPSTREAM-END kestrel x86_64/state_test\n"
     "KESTREL-UPSTREAM-RESULT kestrel x86_64/state_test rc=1 FAIL 0.1s\n"
     "KESTREL-DONE\n", (0, 0, 0), None),
    ("splat while an upstream test runs on Kestrel",
     "KESTREL-UPSTREAM-BEGIN kestrel x86_64/state_test\n"
     "KESTREL-UPSTREAM-END kestrel x86_64/state_test\n"
     "KESTREL-KMSG-BEGIN kestrel/x86_64/state_test\n"
     "[ 9.0] WARNING: CPU: 1 PID: 80 at arch/x86/kvm/svm/svm.c:1 f\n"
     "KESTREL-KMSG-END kestrel/x86_64/state_test\n"
     "KESTREL-DONE\n", (0, 1, 0), "during kestrel/x86_64/state_test"),
]


def main():
    failed = 0
    print("TAP version 13")
    print(f"1..{len(CASES)}")
    for i, (name, log, want, text) in enumerate(CASES, 1):
        res = scan(log)
        got = (res.passed, res.failed, res.skipped)
        ok = got == want
        if text is not None:
            ok = ok and any(text in f for _, f in res.findings)
        if not ok:
            failed += 1
            print(f"# got {got}, want {want}; findings: {res.findings}")
        print(f"{'ok' if ok else 'not ok'} {i} scan_log: {name}")
    print(f"{len(CASES) - failed} passed, {failed} failed, 0 skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
