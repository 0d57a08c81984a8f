#!/bin/sh
# Suite 'packaging': every public header of include/micrograd (not detail/) includes
# "micrograd/detail/config.hpp" before anything else, so that a consumer compiling as an older
# standard gets the one-line C++20 message from whichever header comes first. Headers are found
# when the test runs: a new header without the line fails here, naming it.
#   config_first.sh SOURCE_ROOT
set -eu
src=$1
checked=0 failed=0
for header in $(cd "$src/include" && find micrograd -name '*.hpp' ! -path '*/detail/*' | sort); do
  first=$(grep -m1 '^[[:space:]]*#[[:space:]]*include' "$src/include/$header" || true)
  case $first in
    *'"micrograd/detail/config.hpp"'*) ;;
    *) echo "$header: first include is '$first', not \"micrograd/detail/config.hpp\""
       failed=$((failed + 1)) ;;
  esac
  checked=$((checked + 1))
done
echo "$checked public headers, $failed without the C++20 check first"
[ "$checked" -gt 30 ] && [ "$failed" -eq 0 ]
