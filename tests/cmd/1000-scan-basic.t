#!/bin/sh
# aas-scan: records from every fixture board, selections, usage errors.
. "${AAS_SRC:-.}/tests/lib.sh"

plan 28
B="$FIX/boards"
cd "$T" && cp "$B"/*.md "$B"/plan.yaml .

for f in crlf.md emoji.md fences.md headings.md lint.md mixed.md \
    nofinal.md nofinal-table.md pipes.md table.md plan.yaml; do
	check_run "--all $f" 0 "$(cat "$B/expected/$f.ndjson")" "" -- \
	    aas-scan --all "$f"
done

line() {	# line FILE ID: that task's record from the expected output
	grep "^{\"id\":\"$2\"," "$B/expected/$1.ndjson"
}

check_run "default: Queued" 0 "$(line table.md T-2)
$(line table.md T-4)
$(line table.md T-5)" "" -- aas-scan table.md
check_run "--status, two of them, two files" 0 "$(line table.md T-1)
$(line fences.md F-2)" "" -- aas-scan --status done --status Review \
    table.md fences.md
check_run "--status with an unknown status's text" 0 "$(line lint.md L-6)" \
    "" -- aas-scan --status sleeping lint.md
check_run "--id, one missing" 1 "$(line table.md T-4)" \
    "aas-scan: T-9: no such task" -- aas-scan --id T-4 --id T-9 table.md
check_run "--ready: dependencies Done, duplicates and unknown ones block" 0 \
    "$(line table.md T-2)
$(line table.md T-5)" "" -- aas-scan --ready table.md lint.md
check_run "--next: priority, then board order" 0 "$(line mixed.md DEMO-3)" \
    "" -- aas-scan --next mixed.md
check_run "--next with nothing ready" 0 "" "" -- aas-scan --next lint.md

# the default board comes from the config, relative to the repository root
git_repo repo "$B/table.md"
mkdir -p repo/sub
printf 'board: table.md\n' >repo/.aas.yml
(cd repo/sub && run aas-scan --id T-1)
is "$(cat "$T/out")" "$(line table.md T-1 | sed "s|\"path\":\"table.md\"|\"path\":\"$T/repo/table.md\"|")" \
    "board from .aas.yml, found from a subfolder"

check_run "missing file" 2 "" "aas-scan: missing.md: No such file or directory" \
    -- aas-scan missing.md
printf '## A-1: x\n\000\n' >nul.md
check_run "NUL byte" 2 "" "aas-scan: nul.md:2: NUL byte: not a text file" \
    -- aas-scan nul.md
printf -- '- title: no id\n' >bad.yaml
check_run "YAML feature without id" 2 "" "aas-scan: bad.yaml:1: a feature needs an id" \
    -- aas-scan bad.yaml
printf 'id_pattern: "A-["\n' >pat.yml
check_run "bad id pattern" 2 "" \
    "aas-scan: id pattern 'A-[': Unmatched [, [^, [:, [., or [=" \
    -- aas-scan --config pat.yml table.md

U="usage: aas-scan [-qv] [--all | --ready | --next | --status S] [--id ID] [--new] [FILE ...]
       aas-scan [-qv] --watch SECONDS [--ready | --status S] [--new] [FILE ...]
       aas-scan [-q] --check [FILE ...]
       aas-scan [-q] --add TITLE [FILE]"
check_run "--help" 0 "$U" "" -- aas-scan --help
check_run "--version" 0 "aas-scan 0.1.0" "" -- aas-scan --version
check_run "unknown option" 2 "" "aas-scan: unknown option --bogus
$U" -- aas-scan --bogus
check_run "conflicting selections" 2 "" "aas-scan: choose one of --all, --ready, --next and --status
$U" -- aas-scan --all --ready table.md
check_run "bad --watch" 2 "" "aas-scan: --watch: 'soon' is not a number of seconds
$U" -- aas-scan --watch soon table.md
done_testing
