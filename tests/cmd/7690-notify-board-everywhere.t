#!/bin/sh
# aas-notify --board: a task shown both as a table row and as a heading
# block gets its status in both places (no stale "- Status:" line under
# its heading), byte-exact, CRLF included; a heading without a Status
# line gets none; a row already right still fixes a stale heading.
. "${AAS_SRC:-.}/tests/lib.sh"

plan 5
cd "$T"

cat >board.md <<'B'
# Board

| ID | Title | Status |
|----|-------|--------|
| M-1 | Both ways | Queued |
| M-2 | Row and a bare heading | Queued |
| M-3 | Row right, heading stale | Done |

## M-1: Both ways
- Status: Queued
- Owner: ann

The body of M-1.

## M-2: Row and a bare heading
- Owner: bob

## M-3: Row right, heading stale
- Status: queued
B
printf '{"id":"M-1"}\n{"id":"M-2"}\n{"id":"M-3"}\n' >in
run aas-notify --board board.md --status Done <in
is "$rc $(cat "$T/err")" "0 " "exit 0, nothing on stderr"
cat >want.md <<'W'
# Board

| ID | Title | Status |
|----|-------|--------|
| M-1 | Both ways | Done   |
| M-2 | Row and a bare heading | Done   |
| M-3 | Row right, heading stale | Done |

## M-1: Both ways
- Status: Done
- Owner: ann

The body of M-1.

## M-2: Row and a bare heading
- Owner: bob

## M-3: Row right, heading stale
- Status: done
W
cmp_file board.md want.md "the row and the heading's Status line both written"
is "$(jq -c '[.notify.targets[0].detail]' "$T/out" | tr '\n' ' ')" \
    '["Queued -> Done"] ["Queued -> Done"] ["already Done"] ' \
    "the details"

# the same with CRLF line endings and no final newline
printf '| ID | Title | Status |\r\n|---|---|---|\r\n| C-1 | crlf | Queued |\r\n\r\n## C-1: crlf\r\n- Status: Queued' >crlf.md
printf '{"id":"C-1"}\n' | aas-notify --board crlf.md --status Failed >/dev/null
printf '| ID | Title | Status |\r\n|---|---|---|\r\n| C-1 | crlf | Failed |\r\n\r\n## C-1: crlf\r\n- Status: Failed' >want.md
cmp_file crlf.md want.md "CRLF and no final newline kept, both places written"

# a second run changes nothing: the file is byte-identical
cp crlf.md before.md
printf '{"id":"C-1"}\n' | aas-notify --board crlf.md --status Failed >/dev/null
cmp_file crlf.md before.md "a second run leaves the file as it was"
