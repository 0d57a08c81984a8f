#!/bin/sh
# usage: expect_compile_error.sh MESSAGE SOURCE COMPILER [ARGS...]
# Passes when SOURCE fails to compile with a diagnostic containing MESSAGE, and compiles once
# -DARRAY_SIZE=3 fixes it (so the failure is the one expected, not a broken include path).
message=$1
source=$2
shift 2
out=$("$@" -fsyntax-only "$source" 2>&1)
if [ $? -eq 0 ]; then
  echo "FAIL: $source compiled; expected: $message"
  exit 1
fi
if ! printf '%s\n' "$out" | grep -qF -- "$message"; then
  printf '%s\n' "$out" | head -40
  echo "FAIL: the diagnostic does not contain: $message"
  exit 1
fi
if ! "$@" -fsyntax-only -DARRAY_SIZE=3 "$source"; then
  echo "FAIL: $source does not compile with a large enough array either"
  exit 1
fi
printf '%s\n' "$out" | grep -F -- "$message" | head -3
echo "PASS: rejected with the expected message"
