#!/bin/sh
# Suite 'packaging': install micrograd with `meson install --destdir` from a fresh, minimal
# configuration of this source tree (no tests, examples or benchmarks: nothing is compiled), then
# configure, build and run the CMake project in cmake_consumer/ against that tree with
# find_package(micrograd CONFIG). Exit 77 (skip) without cmake.
#   cmake_consumer.sh SOURCE_ROOT VERSION CXX
set -eu
src=$1 version=$2 cxx=$3
command -v cmake >/dev/null 2>&1 || { echo "skipped: cmake is not installed"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/micrograd cmake.XXXXXX")   # a space on purpose
trap 'rm -rf "$tmp"' EXIT

CXX=$cxx meson setup "$tmp/build" "$src" --prefix=/usr/local -Dtests=false -Dexamples=false \
  -Dbenchmarks=disabled -Dtorch=disabled -Dfuzz=disabled >"$tmp/setup.log" 2>&1 ||
  { cat "$tmp/setup.log"; exit 1; }
meson install -C "$tmp/build" --destdir "$tmp/dest" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; exit 1; }
prefix="$tmp/dest/usr/local"

# What the installed tree must hold, and must not: the build files and the template of the
# generated header stay out of include/, the demo data helper (support/) is not library API.
for f in include/micrograd/value.hpp include/micrograd/version.hpp \
         include/micrograd/detail/config.hpp share/pkgconfig/micrograd.pc \
         share/cmake/micrograd/microgradConfig.cmake \
         share/cmake/micrograd/microgradConfigVersion.cmake; do
  [ -f "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
for f in include/micrograd/meson.build include/micrograd/version.hpp.in include/moons.hpp \
         include/micrograd/moons.hpp; do
  [ ! -e "$prefix/$f" ] || { echo "installed but should not be: $f"; exit 1; }
done
if grep -q '^Cflags:.*-std=' "$prefix/share/pkgconfig/micrograd.pc"; then
  echo "micrograd.pc forces a -std flag on its users:"; cat "$prefix/share/pkgconfig/micrograd.pc"
  exit 1
fi

cmake -S "$src/packaging/tests/cmake_consumer" -B "$tmp/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" -DEXPECTED_VERSION="$version"
cmake --build "$tmp/consumer" --verbose
"$tmp/consumer/consumer" "$tmp/neuron.svg"
# Where libgvc is there, the graphviz component must have been found and render() must work.
if pkg-config --exists libgvc 2>/dev/null; then
  grep -q '<svg' "$tmp/neuron.svg" || { echo "micrograd::graphviz: no SVG rendered"; exit 1; }
fi
echo "cmake consumer: OK"
