#!/bin/sh
# Suite 'packaging': a consumer compiling as C++17 gets exactly one error line, and it names
# C++20 (detail/config.hpp), for <micrograd/value.hpp> and <micrograd/ct.hpp>. Exit 77 (skip)
# when the compiler is not installed.
#   cxx17_error.sh CXX SOURCE_ROOT
set -eu
cxx=$1 src=$2
command -v "$cxx" >/dev/null 2>&1 || { echo "skipped: $cxx is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for header in micrograd/value.hpp micrograd/ct.hpp micrograd/micrograd.hpp; do
  printf '#include <%s>\nint main() { return 0; }\n' "$header" >"$tmp/tu.cpp"
  if "$cxx" -std=c++17 -fdiagnostics-color=never -I"$src/include" -c "$tmp/tu.cpp" \
      -o "$tmp/tu.o" >"$tmp/log" 2>&1; then
    echo "$header compiled as C++17: the C++20 check did not fire"; exit 1
  fi
  errors=$(grep -c 'error:' "$tmp/log" || true)
  if [ "$errors" -ne 1 ] || ! grep 'error:' "$tmp/log" | grep -q 'needs C++20'; then
    echo "$header as C++17: expected one error line naming C++20, got $errors:"
    cat "$tmp/log"; exit 1
  fi
  echo "$header as C++17: $(grep 'error:' "$tmp/log")"
done
