#!/usr/bin/env bash
# Builds the libFuzzer pipeline target with clang in build-fuzz/ and runs it on a copy of the seed corpus.
#
#   tests/fuzz/run.sh            build, then the fixed run CI makes: FUZZ_RUNS inputs (default
#                                400000, about a minute) from FUZZ_SEED (default 1)
#   FUZZ_RUNS=-1 FUZZ_SECONDS=600 FUZZ_SEED=$RANDOM tests/fuzz/run.sh    explore for ten minutes
#
# Exit status 0: no crash, leak, timeout or failed assertion; non-zero otherwise. A crashing input
# is left in the temporary directory named on the summary line; copy it to tests/fuzz/crashes/.
# The last line of the output is the one-line summary.
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${FUZZ_BUILD:-$TOP/build-fuzz}
SECONDS_TO_RUN=${FUZZ_SECONDS:-600}   # only with FUZZ_RUNS=-1
RUNS=${FUZZ_RUNS:-400000}
SEED=${FUZZ_SEED:-1}
SAN_LIB="-fsanitize=fuzzer-no-link,address,undefined"
SAN_BIN="-fsanitize=fuzzer,address,undefined"
# Source paths are made relative so that the program, and so the run, is the same wherever the
# tree lies (file names reach the log lines the target formats).
CFLAGS_FUZZ="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined -ffile-prefix-map=$TOP/= -ffile-prefix-map=$BUILD/="
PKGS="libosip2 libconfuse libpcre2-8 libcares"

summary() { echo "fuzz_pipeline: $*"; }

command -v clang >/dev/null || { summary "FAIL: clang is not installed"; exit 2; }

# The library, built once per tree; make keeps it current afterwards.
mkdir -p "$BUILD"
if [ ! -f "$TOP/configure" ]; then
	(cd "$TOP" && ./autogen.sh) >"$BUILD/autogen.log" 2>&1 || { summary "FAIL: autogen.sh, see $BUILD/autogen.log"; exit 2; }
fi
if [ ! -f "$BUILD/Makefile" ]; then
	(cd "$BUILD" && "$TOP/configure" CC=clang --disable-tests CFLAGS="$CFLAGS_FUZZ $SAN_LIB") \
		>"$BUILD/configure.log" 2>&1 || { summary "FAIL: configure, see $BUILD/configure.log"; exit 2; }
fi
(cd "$BUILD" && make -j2 src/libsiproxd.a) >"$BUILD/make.log" 2>&1 ||
	{ summary "FAIL: building libsiproxd.a, see $BUILD/make.log"; exit 2; }

# shellcheck disable=SC2046  # pkg-config output is meant to split into words
clang -std=gnu11 -Wall -Wextra $CFLAGS_FUZZ $SAN_BIN -I"$BUILD" -I"$TOP/src" $(pkg-config --cflags $PKGS) \
	"$TOP/tests/fuzz/fuzz_pipeline.c" "$BUILD/src/libsiproxd.a" $(pkg-config --libs $PKGS) \
	-o "$BUILD/fuzz_pipeline" >"$BUILD/fuzz-link.log" 2>&1 ||
	{ summary "FAIL: building the target, see $BUILD/fuzz-link.log"; exit 2; }

# The seeds are plain messages; the target reads its first byte as sender and transport, so every
# seed goes in once per combination (LAN/WAN/localhost x UDP/TCP).
WORK=$(mktemp -d /tmp/fuzz_pipeline.XXXXXX)
mkdir -p "$WORK/seeds" "$WORK/corpus" "$WORK/artifacts"
for seed in "$TOP"/tests/fuzz/corpus/*; do
	[ -f "$seed" ] || continue
	for sel in 0 1 2 3 4 5; do
		{ printf "\\$(printf '%03o' "$sel")"; cat "$seed"; } >"$WORK/seeds/$(basename "$seed").$sel"
	done
done
# Earlier crashes stay in the run so a regression shows at once.
if [ -d "$TOP/tests/fuzz/crashes" ]; then
	cp "$TOP"/tests/fuzz/crashes/* "$WORK/seeds/" 2>/dev/null || true
fi
# The seeds go in by a sorted list, not by reading a directory, whose order differs between file
# systems. With that, the fixed seed, a fixed number of runs, no timed corpus reload (-reload=0)
# and the target's fixed secrets, the run is the same on every machine: what passed here passes
# in CI. The program runs from a copy in the work directory with relative paths only, because its
# heap addresses reach libFuzzer's comparison dictionary and they shift with the lengths of the
# paths and the environment it is given. FUZZ_RUNS=-1 with FUZZ_SECONDS and another FUZZ_SEED explores further.
# libFuzzer reads the list as one comma-separated line (the file names hold no comma).
(cd "$WORK/seeds" && LC_ALL=C ls | LC_ALL=C sort | sed "s|^|seeds/|" | paste -sd,) >"$WORK/seed-list"
cp "$BUILD/fuzz_pipeline" "$WORK/fuzz_pipeline"
# A time limit makes libFuzzer's run depend on the clock: only an open-ended run (FUZZ_RUNS=-1) has one.
time_limit=
[ "$RUNS" -lt 0 ] && time_limit=-max_total_time=$SECONDS_TO_RUN

(cd "$WORK" && env -i PATH=/usr/bin:/bin ./fuzz_pipeline corpus -seed_inputs=@seed-list -runs="$RUNS" $time_limit \
	-seed="$SEED" -reload=0 -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix=artifacts/) >"$WORK/fuzz.log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/fuzz.log" | tail -n 1)
cov=$(grep -o 'cov: [0-9]*' "$WORK/fuzz.log" | tail -n 1)
crashes=$(find "$WORK/artifacts" -type f | wc -l)
if [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ]; then
	summary "PASS: ${runs:-?} inputs (seed $SEED), ${cov:-cov: ?}, no crash"
	rm -rf "$WORK"
	exit 0
fi
# What went wrong (the sanitizer's report or the target's message, and the stack), then the input:
# enough to rebuild and debug it from a CI log alone. Every byte is escaped like a C string.
grep -a -E '^==[0-9]+==|runtime error|^fuzz_pipeline: |^ *#[0-9]+ |^(SUMMARY|MS|artifact_prefix|Done)' "$WORK/fuzz.log" |
	grep -a -v '^ *#[0-9]* *(NEW|REDUCE|pulse|INITED|RELOAD)' | head -n 60
for f in "$WORK"/artifacts/*; do
	[ -f "$f" ] || continue
	echo "fuzz_pipeline: input $(basename "$f") ($(wc -c <"$f") bytes, C-escaped):"
	head -c 4096 "$f" | perl -0777 -ne 's/([^\x20-\x5b\x5d-\x7e])/sprintf("\\x%02x", ord($1))/ge; s/\\x0a/\\x0a\n/g; print "$_\n"'
done
first=$(grep -a -m 1 -E 'runtime error|ERROR: |^fuzz_pipeline: ' "$WORK/fuzz.log" | cut -c1-160)
summary "FAIL: exit $rc, ${crashes} crashing input(s) in $WORK/artifacts (log $WORK/fuzz.log): ${first:-?}"
exit 1
