#!/bin/sh
# The tour writes its pictures beside its executable or into --out DIR, never into the directory
# it is started from (a source tree, say).
#   check_tour_out.sh TOUR
set -eu
tour=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/micrograd tour.XXXXXX")   # a space on purpose
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/cwd" "$tmp/out"
(cd "$tmp/cwd" && "$tour" --out "$tmp/out" >/dev/null)
[ -s "$tmp/out/tour_neuron.dot" ] || { echo "--out: no tour_neuron.dot in $tmp/out"; exit 1; }
(cd "$tmp/cwd" && "$tour" >/dev/null)
if [ -n "$(ls -A "$tmp/cwd")" ]; then
  echo "the tour wrote into the directory it was started from:"; ls -A "$tmp/cwd"; exit 1
fi
[ -s "$(dirname "$tour")/tour_neuron.dot" ] || { echo "no tour_neuron.dot beside $tour"; exit 1; }
if "$tour" --no-such-option >/dev/null 2>&1; then echo "an unknown option was accepted"; exit 1; fi
echo "tour: pictures beside the executable or in --out, none in the working directory"
