#!/usr/bin/env bash
# Instructions a request, counted by valgrind (callgrind) on the server's main thread: a
# figure the machine's load does not move, for A/B-ing a change to the request path on a
# shared machine where timings swing by 10%. Needs valgrind (`apt-get install valgrind`).
#
#   bench/instructions/count.sh <label> <path> <warm-up requests> <counted requests> -- <server command...>
#
# The server must print its URL (http://127.0.0.1:<port>) on stdout or stderr, as
# `sluice serve --port 0` and bench/lib/bare-server.mjs do. It runs under valgrind with
# instrumentation off while autocannon (10 connections, the gateway scenarios' request body)
# warms it up, and on for the counted requests. `node` is started with --perf-basic-prof, so
# the map of its compiled JavaScript lands next to the profile for by-function.py.
# SIMULATE=1 adds valgrind's cache and branch-predictor simulation (slower).
# Writes $OUT/<label>.callgrind and $OUT/<label>.map (OUT: /tmp/sluice-instructions).
set -euo pipefail
label=$1 path=$2 warm=$3 counted=$4
shift 5
out=${OUT:-/tmp/sluice-instructions}
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
rm -f "$out/$label".*
[ "$1" = node ] && set -- node --perf-basic-prof "${@:2}"
simulate=()
[ "${SIMULATE:-0}" = 1 ] && simulate=(--cache-sim=yes --branch-sim=yes)
cd "$root"
valgrind --tool=callgrind --smc-check=all-non-file --instr-atstart=no --separate-threads=yes \
  "${simulate[@]}" --callgrind-out-file="$out/$label.cg.%p" "$@" >"$out/$label.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
url=
for _ in $(seq 1 600); do
  # (valgrind's own lines, `==pid==`, quote the command line, which may hold other URLs)
  url=$(grep -v '^==' "$out/$label.log" | grep -o 'http://127.0.0.1:[0-9]*' | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.5
done
[ -n "$url" ] || { echo "$label: the server printed no URL (see $out/$label.log)" >&2; exit 1; }
body='{"id":"bench-1","inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}'
load() {
  node node_modules/autocannon/autocannon.js -c 10 -m POST -H content-type=application/json -b "$body" -a "$1" "$url$path" >/dev/null 2>&1
}
load "$warm"
callgrind_control -i on "$server" >/dev/null
load "$counted"
callgrind_control -d "$server" >/dev/null
kill $server
wait $server 2>/dev/null || true
trap - EXIT
# Thread 1 is the main thread; V8's helper threads spin under valgrind's serialised threads.
mv "$(ls "$out/$label".cg.*.1-01)" "$out/$label.callgrind"
rm -f "$out/$label".cg.*
[ -f "/tmp/perf-$server.map" ] && mv "/tmp/perf-$server.map" "$out/$label.map"
total=$(awk '/^summary:/ { print $2 }' "$out/$label.callgrind")
echo "$label: $((total / counted)) instructions a request (main thread, $counted requests after $warm)"
