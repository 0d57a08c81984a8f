#!/bin/sh
# Suite 'packaging': every public header of include/micrograd (not detail/) compiles on its own,
# under the strictest warnings a consumer is likely to use, with -Werror:
#   -std=c++20 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
# The headers are found when the test runs, so a new header is checked without a list to edit.
# Exit 77 (skip) when the compiler is not installed; graphviz.hpp and ct/render.hpp are skipped
# (and said so) without libgvc's pkg-config file.
#   header_warnings.sh CXX SOURCE_ROOT BUILD_INCLUDE_DIR
set -eu
cxx=$1 src=$2 build_include=$3
command -v "$cxx" >/dev/null 2>&1 || { echo "skipped: $cxx is not installed"; exit 77; }
flags="-std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
       -Werror"
gvc_flags=
have_gvc=true
gvc_flags=$(pkg-config --cflags libgvc 2>/dev/null) || have_gvc=false

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checked=0 failed=0
for header in $(cd "$src/include" && find micrograd -name '*.hpp' ! -path '*/detail/*' | sort); do
  extra=
  case $header in
    micrograd/graphviz.hpp | micrograd/ct/render.hpp)
      if [ "$have_gvc" = false ]; then echo "not checked (no libgvc): $header"; continue; fi
      extra="$gvc_flags -DMICROGRAD_HAVE_GRAPHVIZ=1" ;;
  esac
  printf '#include <%s>\n' "$header" >"$tmp/tu.cpp"
  # shellcheck disable=SC2086 # the flag lists are split on purpose
  if ! "$cxx" $flags $extra -I"$src/include" -I"$build_include" "$tmp/tu.cpp" -o /dev/null \
      >"$tmp/log" 2>&1; then
    echo "FAIL $header"
    sed 's/^/    /' "$tmp/log" | head -40
    failed=$((failed + 1))
  fi
  checked=$((checked + 1))
done
# The generated version header, from the build directory.
printf '#include <micrograd/version.hpp>\nstatic_assert(MICROGRAD_VERSION >= 0);\n' >"$tmp/tu.cpp"
# shellcheck disable=SC2086
"$cxx" $flags -I"$src/include" -I"$build_include" "$tmp/tu.cpp" -o /dev/null ||
  { echo "FAIL micrograd/version.hpp"; failed=$((failed + 1)); }
checked=$((checked + 1))
echo "$cxx: $checked headers checked, $failed with warnings or errors"
[ "$checked" -gt 30 ] || { echo "too few headers found under $src/include"; exit 1; }
[ "$failed" -eq 0 ]
