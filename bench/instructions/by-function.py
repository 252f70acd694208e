#!/usr/bin/env python3
"""Where two servers' instructions a request differ, function by function (see count.sh).

  by-function.py <A.callgrind> <B.callgrind> <requests> [rows]     B's self cost minus A's
  by-function.py --callers <name> <X.callgrind> <requests>         who calls <name>, inclusive
  by-function.py --callees <name> <X.callgrind> <requests>         what <name> calls, inclusive

JavaScript compiled by V8 shows in callgrind as bare addresses: they are named from the
--perf-basic-prof map beside each profile (the latest code at an address is the one that ran).
With SIMULATE=1 profiles, cache misses and mispredicted branches are shown too.
"""
import collections
import functools
import re
import sys


def js_names(map_path):
    try:
        rows = [line.rstrip("\n").split(" ", 2) for line in open(map_path)]
    except FileNotFoundError:
        rows = []
    rows = [(int(a, 16), int(b, 16), n) for a, b, n in (r for r in rows if len(r) == 3)]

    @functools.lru_cache(maxsize=None)
    def name(address):
        for start, size, n in reversed(rows):
            if start <= address < start + size:
                return n
        return "?"

    return name


class Profile:
    """Self costs per function, and call edges with their inclusive costs."""

    def __init__(self, path):
        js = js_names(path.rsplit(".", 1)[0] + ".map")
        # Two checkouts of sluice name their functions alike: paths from dist/ on.
        pretty = functools.lru_cache(maxsize=None)(
            lambda n: re.sub(r"file://\S*?/dist/", "dist/", "JS " + js(int(n[2:], 16)))
            if re.fullmatch(r"0x[0-9a-f]+", n)
            else n
        )
        self.events, names = [], {}
        self.own = collections.defaultdict(lambda: [0] * 16)
        self.edges = collections.defaultdict(lambda: [0, 0])  # (caller, callee) -> [calls, Ir]
        fn = callee = None
        calls = None
        for line in open(path):
            if line.startswith("events:"):
                self.events = line.split()[1:]
            elif line.startswith(("fn=", "cfn=")):
                m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.strip())
                if m.group(2):
                    names[m.group(1)] = pretty(m.group(2))
                if line.startswith("fn="):
                    fn = names[m.group(1)]
                else:
                    callee = names[m.group(1)]
            elif line.startswith("calls="):
                calls = int(line.split()[0][6:])
            elif line[:1].isdigit() or line[:1] in "+-*":
                costs = [int(v) for v in line.split()[1:]]
                if calls is not None:
                    edge = self.edges[(fn, callee)]
                    edge[0] += calls
                    edge[1] += costs[0]
                    calls = None
                else:
                    own = self.own[fn]
                    for i, v in enumerate(costs):
                        own[i] += v


def diff(a, b, n, rows):
    events = b.events
    total = lambda p, i: sum(c[i] for c in p.own.values()) / n
    for i, e in enumerate(events):
        print(f"{e:5} A {total(a, i):11.1f}  B {total(b, i):11.1f}  B/A {total(b, i) / max(total(a, i), 1e-9):.3f}")
    shown = [i for i, e in enumerate(events) if e in ("Ir", "I1mr", "D1mr", "Bcm", "Bim")]
    print(" ".join(f"{'d' + events[i]:>8}" for i in shown), " function (a request)")
    keys = sorted(set(a.own) | set(b.own), key=lambda k: a.own[k][0] - b.own[k][0])
    for k in keys[:rows]:
        print(" ".join(f"{(b.own[k][i] - a.own[k][i]) / n:+8.0f}" for i in shown), "", k[:120])


def edges(p, name, n, callers):
    found = collections.Counter()
    counts = collections.Counter()
    for (caller, callee), (calls, ir) in p.edges.items():
        if name in (callee if callers else caller):
            other = caller if callers else callee
            found[other] += ir
            counts[other] += calls
    for k, ir in found.most_common(20):
        print(f"{ir / n:9.1f} instructions {counts[k] / n:7.3f} calls  {k[:120]}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] in ("--callers", "--callees"):
        edges(Profile(args[2]), args[1], int(args[3]), args[0] == "--callers")
    elif len(args) >= 3:
        diff(Profile(args[0]), Profile(args[1]), int(args[2]), int(args[3]) if len(args) > 3 else 40)
    else:
        sys.exit(__doc__)
