#!/bin/sh
# A test whose optional component is missing: reported as SKIP (exit 77).
echo "skipped: ${1:-an optional component} is not available"
exit 77
