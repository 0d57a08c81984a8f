#!/bin/sh
# Usage: expect_clean_failure.sh EXPECTED_TEXT COMMAND [ARGS...]
# Passes when COMMAND exits with a non-zero status of its own (not ended by a signal: status
# 1-125) and its stderr contains EXPECTED_TEXT.
expected=$1
shift
err=$("$@" 2>&1 >/dev/null)
status=$?
echo "exit status $status, stderr: $err"
[ "$status" -ge 1 ] && [ "$status" -le 125 ] || { echo "FAIL: expected a clean non-zero exit"; exit 1; }
case $err in
  *"$expected"*) exit 0 ;;
  *) echo "FAIL: stderr does not mention: $expected"; exit 1 ;;
esac
