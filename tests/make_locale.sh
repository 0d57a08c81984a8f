#!/bin/sh
# Compiles the locale $1.UTF-8 into the directory $2 (for LOCPATH) and touches the stamp $3.
# Never fails: without localedef or the locale sources (Debian: `locales`), the test that uses
# it finds no locale and exits 77.
mkdir -p "$2"
localedef -i "$1" -f UTF-8 "$2/$1.UTF-8" >/dev/null 2>&1 || true
touch "$3"
