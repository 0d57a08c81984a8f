#!/usr/bin/env python3
"""Prints 'N passed, N failed, N skipped' for a meson build directory's last test run.

usage: summary.py BUILD_DIR NAME [LOG]   (LOG: testlog.json, or testlog-WRAPPER.json)"""
import json
import sys

build, name = sys.argv[1], sys.argv[2]
log_name = sys.argv[3] if len(sys.argv) > 3 else "testlog.json"
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "TIMEOUT": 0, "EXPECTEDFAIL": 0, "UNEXPECTEDPASS": 0,
          "ERROR": 0}
with open(f"{build}/meson-logs/{log_name}") as log:
    for line in log:
        if line.strip():
            result = json.loads(line)["result"]
            counts[result] = counts.get(result, 0) + 1
passed = counts["OK"] + counts["EXPECTEDFAIL"]
failed = counts["FAIL"] + counts["TIMEOUT"] + counts["UNEXPECTEDPASS"] + counts["ERROR"]
print(f"{name}: {passed} passed, {failed} failed, {counts['SKIP']} skipped")
sys.exit(1 if failed else 0)
