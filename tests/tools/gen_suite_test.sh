#!/usr/bin/env bash
# The checked-in generated suites (configs/suites/cpu-100, cpu-600) are exactly what tools/gen-suite
# writes today, so they never drift from the generator or the families; --check names a file that
# differs, is missing or was not generated; every task file of both suites parses.
# Usage: gen_suite_test.sh SOURCE_DIR KFORGE_BINARY
set -euo pipefail
src="$1"
kforge="$2"
gen="$src/tools/gen-suite"
for n in 100 600; do
  if ! python3 "$gen" --count "$n" --out "$src/configs/suites/cpu-$n" --check; then
    echo "FAIL: configs/suites/cpu-$n is not what tools/gen-suite --count $n writes: regenerate it with"
    echo "  rm -r configs/suites/cpu-$n && tools/gen-suite --count $n --out configs/suites/cpu-$n"
    exit 1
  fi
  out=$("$kforge" tasks check --parse-only "$src/configs/suites/cpu-$n")
  echo "$out" | grep -q "^$n task files: $n ok" || { echo "FAIL: cpu-$n does not parse:"; echo "$out" | grep -v '^ok'; exit 1; }
done

# A copy at the same depth (tasks/ linked) checks clean; an edit, a removal and an extra file are named.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$src/configs/tasks" "$work/tasks"
mkdir "$work/suites"
cp -r "$src/configs/suites/cpu-100" "$work/suites/cpu-100"
from=(--from "$work/tasks/cpu" --from "$work/tasks/cpu/more")
python3 "$gen" --count 100 --out "$work/suites/cpu-100" "${from[@]}" --check >/dev/null
first=$(ls "$work/suites/cpu-100" | head -1)
last=$(ls "$work/suites/cpu-100" | tail -1)
echo "# edited" >>"$work/suites/cpu-100/$first"
rm "$work/suites/cpu-100/$last"
cp "$work/suites/cpu-100/$first" "$work/suites/cpu-100/extra.toml"
if python3 "$gen" --count 100 --out "$work/suites/cpu-100" "${from[@]}" --check 2>"$work/err.txt"; then
  echo "FAIL: --check accepted an edited suite"; exit 1
fi
grep -q "differs $first" "$work/err.txt"
grep -q "missing $last" "$work/err.txt"
grep -q "not generated extra.toml" "$work/err.txt"
grep -q "in 3 files" "$work/err.txt"
echo "ok: both suites as generated, and --check names what differs"
