#!/bin/sh
# Suite 'packaging': micrograd as a Meson subproject. A copy of meson_consumer/ gets
# subprojects/micrograd (a link to this source tree) and subprojects/micrograd.wrap (the one in
# packaging/), then is configured, built and run. With libgvc installed the consumer asks for
# dependency('micrograd-graphviz') alone; without it for dependency('micrograd').
#   meson_consumer.sh SOURCE_ROOT VERSION CXX
set -eu
src=$1 version=$2 cxx=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/micrograd meson.XXXXXX")   # a space on purpose
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/consumer/subprojects" "$tmp/cmake_consumer"
cp "$src/packaging/tests/meson_consumer/meson.build" \
   "$src/packaging/tests/meson_consumer/meson_options.txt" "$tmp/consumer/"
cp "$src/packaging/tests/cmake_consumer/main.cpp" "$tmp/cmake_consumer/"
cp "$src/packaging/micrograd.wrap" "$tmp/consumer/subprojects/"
ln -s "$src" "$tmp/consumer/subprojects/micrograd"

graphviz=false
if pkg-config --exists libgvc 2>/dev/null; then graphviz=true; fi
CXX=$cxx meson setup "$tmp/build" "$tmp/consumer" -Dgraphviz=$graphviz \
  -Dexpected_version="$version" -Dmicrograd:benchmarks=disabled -Dmicrograd:torch=disabled \
  >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log"; exit 1; }
grep -q 'Executing subproject micrograd' "$tmp/setup.log" ||
  { cat "$tmp/setup.log"; echo "micrograd was not used as a subproject"; exit 1; }
ninja -C "$tmp/build" -v
"$tmp/build/consumer" "$tmp/neuron.svg"
if [ "$graphviz" = true ]; then
  grep -q '<svg' "$tmp/neuron.svg" || { echo "micrograd-graphviz: no SVG rendered"; exit 1; }
fi
echo "meson subproject consumer: OK (graphviz: $graphviz)"
