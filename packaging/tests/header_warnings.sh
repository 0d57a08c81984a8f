#!/bin/sh
# Suite 'packaging': every public header of include/micrograd (not detail/) compiles on its own,
# under the strictest warnings a consumer is likely to use, with -Werror:
#   -std=c++20 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
# The headers are found when the test runs, so a new header is checked without a list to edit.
# Two compilers run at a time (about 16 s of CPU for all headers with g++ 12). Exit 77 (skip)
# when the compiler is not installed; graphviz.hpp and ct/render.hpp are skipped (and said so)
# without libgvc's pkg-config file.
#   header_warnings.sh CXX SOURCE_ROOT BUILD_INCLUDE_DIR
set -eu
cxx=$1 src=$2 build_include=$3
flags="-std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
       -Werror"

if [ "${4:-}" = --one ]; then  # one header ($5), from the loop below
  header=$5 extra=
  case $header in
    micrograd/graphviz.hpp | micrograd/ct/render.hpp)
      if ! extra="$(pkg-config --cflags libgvc 2>/dev/null) -DMICROGRAD_HAVE_GRAPHVIZ=1"; then
        echo "not checked (no libgvc): $header"; exit 0
      fi ;;
  esac
  tu=$(mktemp "${TMPDIR:-/tmp}/header.XXXXXX.cpp")
  trap 'rm -f "$tu"' EXIT
  printf '#include <%s>\nstatic_assert(sizeof(int) > 0);\n' "$header" >"$tu"
  # shellcheck disable=SC2086 # the flag lists are split on purpose
  if ! log=$("$cxx" $flags $extra -I"$src/include" -I"$build_include" "$tu" -o /dev/null 2>&1); then
    echo "FAIL $header"
    printf '%s\n' "$log" | sed 's/^/    /' | head -40
    exit 1
  fi
  echo "ok $header"
  exit 0
fi

command -v "$cxx" >/dev/null 2>&1 || { echo "skipped: $cxx is not installed"; exit 77; }
headers=$(cd "$src/include" && find micrograd -name '*.hpp' ! -path '*/detail/*' | sort)
# The generated version header, from the build directory, with the others.
headers="$headers micrograd/version.hpp"
count=$(echo "$headers" | wc -w)
[ "$count" -gt 30 ] || { echo "too few headers found under $src/include"; exit 1; }
status=0
# shellcheck disable=SC2086
printf '%s\n' $headers | xargs -P 2 -n 1 sh "$0" "$cxx" "$src" "$build_include" --one || status=1
echo "$cxx: $count headers checked ($([ $status -eq 0 ] && echo 'all clean' || echo 'see FAIL above'))"
exit $status
