#!/bin/sh
# A task's hash (source.sha) covers what the task says, not the blank
# lines around it: aas-scan --add after a block changes no other task's
# hash, so --new never offers an answered task again.
. "${AAS_SRC:-.}/tests/lib.sh"
plan 6
cd "$T" || exit 1
sha() { aas-scan --id "$1" "${2:-b.md}" | jq -r .source.sha; }

printf '## T-1: a\n- Status: Queued\n' >b.md
before=$(sha T-1)
run aas-scan --add 'second' b.md
is "$rc:$(jq -r .id "$T/out")" "0:T-2" "--add after a block with no blank line"
is "$(sha T-1)" "$before" "the task before it keeps its hash"
printf '## T-1: a\n- Status: Queued\n\n## T-2: second\n- Status: Queued\n' >want.md
cmp_file b.md want.md "the board: a blank line between the blocks"

# the usual layout (one blank line after a block) hashes as its bytes
is "$(sha T-1)" "$(printf '## T-1: a\n- Status: Queued\n\n' | sha256sum | cut -d' ' -f1)" \
    "the hash of a block and one blank line is that of its bytes"
printf '## T-1: a\n- Status: Queued\n\n\n\n## T-2: second\n- Status: Queued' >c.md
is "$(sha T-1 c.md):$(sha T-2 c.md)" "$(sha T-1):$(sha T-2)" \
    "more blank lines, or no final newline: the same hashes"
printf '## T-1: a\n- Status: Queued\n\nSome text.\n\n## T-2: second\n- Status: Queued\n' >d.md
ok "$([ "$(sha T-1 d.md)" != "$(sha T-1)" ] && echo 0 || echo 1)" \
    "a change of what the task says changes its hash"
done_testing
