#!/bin/sh
# aas-scan --check: an unescaped pipe in a table cell is reported as the
# cell count it causes, with file and line, not as the unknown status and
# dependency of the shifted cells.
. "${AAS_SRC:-.}/tests/lib.sh"
plan 3
cd "$T" || exit 1
printf '%s\n' '| ID | Title | Status | Depends | Priority |' \
    '|----|----|----|----|----|' '| T-1 | a | b | Queued | | P1 |' \
    '| T-2 | ok | Queued | | P2 |' '| T-3 | c \| d | Blocked | T-9 | |' >b.md
check_run "a row with 6 cells under a header of 5" 1 "" \
"aas-scan: b.md:3: T-1: row has 6 cells, the header 5 (a \"|\" in a cell is written \"\\|\")
aas-scan: b.md:5: T-3: unknown dependency T-9" -- aas-scan --check b.md
printf '%s\n' '| ID | Title | Status |' '|----|----|----|' '| T-1 | a | Done |' \
    '| T-2 | b |' >c.md
check_run "fewer cells than the header are empty ones" 0 "" "" \
    -- aas-scan --check c.md
printf '%s\n' '| ID | Title | Status |' '|----|----|----|' '| T-1 | a | Done | |' >d.md
check_run "an empty cell after the last is one more" 1 "" \
    "aas-scan: d.md:3: T-1: row has 4 cells, the header 3 (a \"|\" in a cell is written \"\\|\")" \
    -- aas-scan --check d.md
done_testing
