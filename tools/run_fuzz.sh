#!/usr/bin/env bash
# Runs one libFuzzer target for `make fuzz` (tests/fuzz/README.md):
#   run_fuzz.sh NAME BINARY SECONDS KEEP
# on a copy of tests/fuzz/corpus/NAME/ in BINARY's folder, so that what it
# finds does not touch the tree; with KEEP=1 it merges the new inputs into
# the committed corpus, minimized (-merge=1). Exit 1 on a finding.
set -uo pipefail

name=$1 binary=$2 seconds=$3 keep=${4:-0}
corpus=tests/fuzz/corpus/$name
work=$(dirname "$binary")/$name.work
rm -rf "$work"
mkdir -p "$work/corpus" "$work/found" "$corpus"
cp "$corpus"/. "$work/corpus/" -r
echo "fuzz: $name for $seconds s on $(ls "$work/corpus" | wc -l) corpus inputs"
if ! "$binary" -max_total_time="$seconds" -artifact_prefix="$work/found/" -print_final_stats=1 \
    "$work/corpus" > "$work/log" 2>&1; then
  tail -40 "$work/log"
  echo "fuzz: $name FAILED: the input is in $work/found/ (make it a unit test)"
  exit 1
fi
grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units|stat::new_units_added' "$work/log"
echo "fuzz: $name: no finding; the grown corpus is in $work/corpus"
if [[ $keep == 1 ]]; then
  "$binary" -merge=1 "$corpus" "$work/corpus" > "$work/merge.log" 2>&1 || {
    tail -20 "$work/merge.log"; exit 1; }
  echo "fuzz: $name: $corpus now holds $(ls "$corpus" | wc -l) files"
fi
