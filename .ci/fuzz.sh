#!/usr/bin/env bash
# Runs every Fuzz* target of the module for FUZZTIME (default 10s) each,
# one after the other; an argument keeps only the "file Target" lines it
# matches (a grep -E pattern), e.g. .ci/fuzz.sh internal/card. A failure prints the crashing input (also written
# under the package's testdata/fuzz/) and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
filter=${1:-.}
n=0
start=$(date +%s)
while read -r file name; do
  pkg=./$(dirname "$file")
  n=$((n + 1))
  t0=$(date +%s)
  if ! out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
    # The Go fuzz engine can report "context deadline exceeded" when
    # -fuzztime runs out while a worker is still minimizing a new
    # interesting input; no input failed then (none is written). Run such
    # a target once more; a real failure writes its input and fails again.
    if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
      echo "retry fuzz $pkg $name: the engine's time ran out while minimizing (no failing input)"
      if ! out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
        echo "$out"
        echo "FAIL fuzz $pkg $name"
        exit 1
      fi
    else
      echo "$out"
      echo "FAIL fuzz $pkg $name"
      exit 1
    fi
  fi
  echo "ok fuzz $pkg $name ($(( $(date +%s) - t0 ))s)"
done < <(git ls-files '*_test.go' | xargs grep -H '^func Fuzz' | sed -E 's/^([^:]+):func (Fuzz[A-Za-z0-9_]+)\(.*/\1 \2/' | sort | grep -E -- "$filter")
echo "$n fuzz targets, ${fuzztime} each, $(( $(date +%s) - start ))s in all"
