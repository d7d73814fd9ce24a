#!/bin/sh
# Run every benchmark in bench/ against the release build (make bench).
set -e
cd "$(dirname "$0")/.."
for b in bench/*.sh; do
	[ "$b" = bench/run.sh ] && continue
	echo "== $b" >&2
	sh "$b"
done
