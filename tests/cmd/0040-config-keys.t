#!/bin/sh
# 0040-config-keys: every key aas-config(5) lists is accepted with a valid
# value, alone and all in one file; the same key mistyped is refused with
# file:line:column and a "did you mean"; every command refuses a bad
# configuration with exit 2 before it reads a record or sends a request.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

# The keys of the page: ".It Cm KEY [, KEY ...]" in DESCRIPTION, the keys
# of the list nested under qa.checks as qa.checks.0.KEY.
keys=$(awk '
/^\.Sh / { insec = ($2 == "DESCRIPTION"); next }
!insec { next }
/^\.Bl/ { depth++; next }
/^\.El/ { if (depth == nest) nest = 0; depth--; next }
/^\.It Cm / {
	line = substr($0, 8); gsub(/ ,/, "", line)
	n = split(line, k, " ")
	for (i = 1; i <= n; i++) {
		if (depth == 1) { print k[i]; last = k[i] }
		else if (nest == 0 && last == "qa.checks") { nest = depth; print "qa.checks.0." k[i] }
		else if (depth == nest) print "qa.checks.0." k[i]
	}
}' "$AAS_SRC/man/aas-config.5")

# value KEY: a valid value for KEY, or nothing for a key not known here
value() {
	case $1 in
	board) echo ACTIVE_TASKS.md ;;
	id_pattern) echo '"[A-Z]+-[0-9]+"' ;;
	board_max_bytes) echo 1048576 ;;
	max_record_bytes) echo 1024 ;;
	statuses) echo '{Queued: Todo, In Progress: Doing, Review: Review, Done: Shipped, Failed: Broken, Blocked: Stuck}' ;;
	model) echo gpt-4.1-mini ;;
	repair_model) echo gpt-4.1 ;;
	templates) echo '{implement: {model: gpt-4.1}}' ;;
	project) echo my-project ;;
	provider) echo anthropic ;;
	base_url) echo http://127.0.0.1:1/v1 ;;
	key_file) echo key.txt ;;
	template) echo decompose ;;
	template_file_max) echo 16777216 ;;
	context.map_budget) echo 0 ;;
	integration_branch) echo aas/int ;;
	max_tokens) echo 4096 ;;
	estimate_output_tokens) echo 0 ;;
	max_attempts) echo 1000 ;;
	repair.tail_max) echo 0 ;;
	batch.max_requests) echo 100000 ;;
	batch.max_bytes) echo 10000 ;;
	batch.discount) echo 0.5 ;;
	prices) echo '{my-llm: {input: 1, output: 2.5, cached: 0}}' ;;
	budget) echo 0.000001 ;;
	plan.test_globs) echo '["tests/*", "*_test.c"]' ;;
	plan.require_tests) echo true ;;
	plan.max_file_bytes) echo 1073741824 ;;
	plan.max_subtasks) echo 1 ;;
	apply.base) echo HEAD ;;
	apply.branch_prefix) echo 'wip/' ;;
	apply.author) echo '"Ann Author <ann@example.invalid>"' ;;
	apply.committer) echo '"Cy Committer <cy@example.invalid>"' ;;
	apply.max_file_bytes) echo 1 ;;
	apply.allow_binary) echo false ;;
	apply.protected_paths) echo '[.github/workflows, .gitlab-ci.yml, .gitmodules, .gitattributes, .husky]' ;;
	qa.checks) echo '[{name: build, run: make}]' ;;
	qa.checks.0.name) echo build ;;
	qa.checks.0.run) echo 'make -s' ;;
	qa.checks.0.argv) echo '[make, -s, 5]' ;;
	qa.checks.0.timeout) echo 0.5 ;;
	qa.checks.0.when) echo '["*.c", "*.h"]' ;;
	qa.checks.0.required) echo false ;;
	qa.checks.0.fail_to_pass) echo true ;;
	qa.builtin) echo false ;;
	qa.sandbox) echo false ;;
	qa.output_cap) echo 256 ;;
	qa.tail_lines) echo 100000 ;;
	qa.kill_grace) echo 0.1 ;;
	github.repository|gitlab.project) echo owner/repo ;;
	github.api_url) echo http://127.0.0.1:1 ;;
	gitlab.api_url) echo http://127.0.0.1:1/api/v4 ;;
	github.remote|gitlab.remote) echo origin ;;
	github.base|gitlab.base) echo main ;;
	github.labels|gitlab.labels) echo '[aas, bot]' ;;
	webhook.url) echo http://127.0.0.1:1/hook ;;
	webhook.secret_file) echo whsec.key ;;
	linear.team) echo ENG ;;
	esac
}

# yaml KEY VALUE: a file setting KEY (a check's key in a check of its own)
yaml() {
	case $1 in
	qa.checks.0.name) printf 'qa:\n  checks:\n    - name: %s\n      run: x\n' "$2" ;;
	qa.checks.0.run|qa.checks.0.argv)
		printf 'qa:\n  checks:\n    - name: n\n      %s: %s\n' "${1#qa.checks.0.}" "$2" ;;
	qa.checks.0.*)
		printf 'qa:\n  checks:\n    - name: n\n      run: x\n      %s: %s\n' "${1#qa.checks.0.}" "$2" ;;
	*.*) printf '%s:\n  %s: %s\n' "${1%%.*}" "${1#*.}" "$2" ;;
	*) printf '%s: %s\n' "$1" "$2" ;;
	esac
}

n=$(printf '%s\n' $keys | wc -l)
plan $((n * 2 + 14))
ok $([ "$n" -ge 39 ] && echo 0 || echo 1) "the page lists $n keys"

git_repo "$T/repo"
cd "$T/repo" || exit 1
printf '## A-1: x\n' >ACTIVE_TASKS.md

for k in $keys; do
	v=$(value "$k")
	if [ -z "$v" ]; then
		ok 1 "$k: a key of the page this test has no value for"
		ok 1 "$k: mistyped"
		continue
	fi
	yaml "$k" "$v" >c.yml
	run aas-scan --all --config c.yml
	if [ "$rc" -eq 0 ] && [ ! -s "$T/err" ]; then
		ok 0 "$k: accepted"
	else
		ok 1 "$k: accepted"
		sed 's/^/# /' c.yml "$T/err"
	fi
	# the same key with one letter more: refused, the key suggested
	leaf=${k##*.}
	yaml "$k" "$v" | sed "s/\\([ -]\\)$leaf: /\\1${leaf}x: /; s/^$leaf: /${leaf}x: /" >c.yml
	line=$(grep -n "${leaf}x: " c.yml | cut -d: -f1)
	col=$(sed -n "${line}p" c.yml | awk -v k="${leaf}x: " '{ print index($0, k) }')
	check_run "$k: mistyped" 2 "" \
	    "aas-scan: c.yml:$line:$col: ${k%$leaf}${leaf}x: unknown key (did you mean '$leaf'?)" \
	    -- aas-scan --all --config c.yml
done

# all keys in one file
{
	for k in $keys; do
		case $k in *.*) ;; *) printf '%s: %s\n' "$k" "$(value "$k")" ;; esac
	done | grep -v '^qa.checks'
	for s in batch plan apply github gitlab webhook linear repair context qa; do
		echo "$s:"
		for k in $keys; do
			case $k in
			qa.checks|qa.checks.*) ;;
			$s.*) printf '  %s: %s\n' "${k#$s.}" "$(value "$k")" ;;
			esac
		done
	done
	printf '  checks:\n'
	first=-
	for k in $keys; do
		case $k in
		qa.checks.0.argv) ;;
		qa.checks.0.*) printf '    %s %s: %s\n' "$first" "${k#qa.checks.0.}" "$(value "$k")"; first=' ' ;;
		esac
	done
	printf '    - name: second\n      argv: %s\n' "$(value qa.checks.0.argv)"
} >all.yml
run aas-scan --all --config all.yml
is "$rc $(cat "$T/err")" "0 " "every key of the page in one file"
for k in $keys; do
	case $k in
	qa.checks.0.*) grep -q "^ *-* *${k#qa.checks.0.}: " all.yml ;;
	*.*) grep -q "^  ${k#*.}:" all.yml ;;
	*) grep -q "^$k: " all.yml ;;
	esac || { echo "# $k missing from all.yml"; break; }
done
ok $? "all.yml holds every key"

# keys that are not on the page, at each level
check_run "an unknown key, nothing close" 2 "" \
    "aas-scan: c.yml:2:1: colour: unknown key" \
    -- sh -c 'printf "board: x.md\ncolour: red\n" >c.yml; aas-scan --all --config c.yml'
check_run "a key of one section in another" 2 "" \
    "aas-scan: c.yml:2:3: qa.max_bytes: unknown key" \
    -- sh -c 'printf "qa:\n  max_bytes: 1\n" >c.yml; aas-scan --all --config c.yml'
check_run "a typo in the qa section" 2 "" \
    "aas-scan: c.yml:2:3: qa.chekcs: unknown key (did you mean 'checks'?)" \
    -- sh -c 'printf "qa:\n  chekcs:\n    - name: t\n      run: make\n" >c.yml; aas-scan --all --config c.yml'

# every command refuses before it reads or sends
emu_start || exit 1
printf 'qa:\n  chekcs:\n    - name: t\n      run: make\n' >.aas.yml
W="aas-scan: $T/repo/.aas.yml:2:3: qa.chekcs: unknown key (did you mean 'checks'?)"
echo '{"id":"A-1","title":"x","body":"","source":{"path":"ACTIVE_TASKS.md","line":1,"sha":"0"}}' >in
for c in "scan --all" "submit --sync" "fetch" "plan" "apply" "qa" "notify --board"; do
	name=${c%% *}
	run aas-$c <in
	is "$rc|$(cat "$T/out")|$(cat "$T/err")" \
	    "2||aas-$name: ${W#aas-scan: }" "aas-$name: exit 2 on a mistyped key"
done
is "$(emu_log | wc -l | tr -d ' ')" 0 "aas-submit sent nothing"
rm .aas.yml
