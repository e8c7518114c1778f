#!/bin/sh
# paired.sh N 'COMMAND_A' 'COMMAND_B' — times two commands as whole processes,
# in turn (A B A B ..., one warm-up pair first, not counted), and prints the
# min, median and max of A's CPU time (user + sys), of B's, and of the ratio
# A / B taken pair by pair: pairing keeps the ratio fair when the machine's
# speed drifts. Commands are split by the shell; their output is discarded.
# Example (55dbc5c built in /tmp/ref55w):
#   bench/paired.sh 15 'build/bench/engine_bench scenarios/illustrative.yaml \
#       --replicates 40 --threads 1 --variant baseline' \
#       '/tmp/ref55w/build/bench/engine_bench scenarios/illustrative.yaml \
#       --replicates 40 --threads 1 --variant baseline'
set -eu
[ $# -eq 3 ] || { echo "usage: $0 N 'COMMAND_A' 'COMMAND_B'" >&2; exit 2; }
n=$1 a=$2 b=$3
log=$(mktemp)
trap 'rm -f "$log"' EXIT
i=0
while [ "$i" -le "$n" ]; do
    for x in A B; do
        if [ "$x" = A ]; then cmd=$a; else cmd=$b; fi
        # shellcheck disable=SC2086 # the command is split on purpose
        /usr/bin/time -f "$i $x %U %S" -a -o "$log" $cmd >/dev/null 2>&1
    done
    i=$((i + 1))
done
/usr/bin/python3 - "$log" <<'PY'
import sys
t = {}
for line in open(sys.argv[1]):
    i, x, u, s = line.split()
    if i != "0":  # the warm-up pair
        t.setdefault(x, []).append(float(u) + float(s))
def mmm(v):
    v = sorted(v)
    m = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    return f"{v[0]:.3f} - {m:.3f} - {v[-1]:.3f}"
r = [a / b for a, b in zip(t["A"], t["B"]) if b > 0]
print(f"pairs {len(t['A'])}; min - median - max")
print(f"A cpu s   {mmm(t['A'])}")
print(f"B cpu s   {mmm(t['B'])}")
# A run under the clock's 0.01 s tick reads 0: such a pair has no ratio.
print(f"A/B cpu   {mmm(r)}" if r else "A/B cpu   none (B's runs read 0 s: time a longer command)")
PY
