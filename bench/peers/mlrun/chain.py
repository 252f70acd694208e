"""bench:peers: MLRun's serving graph running a chain of five trivial steps in-process.

Usage: python chain.py async|sync. Builds a "flow" graph s1 -> ... -> s5 (each step
steps.add1) on the given engine, served by `to_mock_server()` with no API server, and checks
one event answers 6. Then, for each line read on stdin (the seconds to run), sends events one
at a time with `server.test(body=1)`, as fast as they are answered, and prints one JSON line:
events answered, wall seconds and the process's CPU seconds (all threads: the async engine
runs its flow on a thread of its own).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# MLRun logs to stdout: its lines go to stderr, stdout carries only this script's JSON.
answers = sys.stdout
sys.stdout = sys.stderr

import mlrun  # noqa: E402


def mock_server(engine):
    fn = mlrun.new_function("bench-chain", kind="serving")
    graph = fn.set_topology("flow", engine=engine)
    step = graph.to(name="s1", handler="steps.add1")
    for i in range(2, 6):
        step = step.to(name=f"s{i}", handler="steps.add1")
    step.respond()
    return fn.to_mock_server()


def timed(server, seconds):
    events = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    end = wall0 + seconds
    while time.perf_counter() < end:
        # The clock read every 64 events: per event it would be part of what is measured.
        for _ in range(64):
            server.test(body=1)
        events += 64
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"events": events, "seconds": wall, "cpu": cpu}


def main():
    server = mock_server(sys.argv[1])
    answer = server.test(body=1)
    if answer != 6:
        sys.exit(f"the chain answered {answer!r}, not 6")
    print(json.dumps({"ready": True}), file=answers, flush=True)
    for line in sys.stdin:
        print(json.dumps(timed(server, float(line))), file=answers, flush=True)
    server.wait_for_completion()


if __name__ == "__main__":
    main()
