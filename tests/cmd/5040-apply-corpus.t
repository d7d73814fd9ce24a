#!/bin/sh
# aas-apply on real model answers ($SHARED/corpus/agentless): each answer
# parsed by aas-plan, applied by aas-apply to its files in a fresh
# repository, and the result compared with expected_patch applied by
# `git apply` to the same files.  The same answers' SEARCH/REPLACE blocks
# are also turned into diffs the way a naive tool would (one hunk a block,
# every search line '-', every replace line '+', no context, line numbers
# unknown so "@@ -1,N +1,M @@") and applied with `git apply --unidiff-zero`
# and `patch -p1 --fuzz=5`, for comparison.  Shares go to the TAP output.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
C="$SHARED/corpus/agentless"
[ -d "$C" ] || skip_all "no corpus at $C"
command -v aas-plan >/dev/null || skip_all "aas-plan not built"
command -v patch >/dev/null || skip_all "patch(1) not installed"

# case -> aas, git apply, patch outcomes, and why where they differ from
# expected_patch.  "same": the files equal expected_patch's result;
# "ambiguous": aas refused; "wrong": applied, but not as expected.
cat >"$T/table" <<'TABLE'
astropy__astropy-6938#0 same same same
astropy__astropy-6938#1 same same same
astropy__astropy-6938#2 same same same
astropy__astropy-6938#3 same same same
astropy__astropy-6938#4 same same same
astropy__astropy-6938#5 same same same
astropy__astropy-6938#6 same same same
astropy__astropy-6938#7 same same same
astropy__astropy-6938#8 same same same
astropy__astropy-6938#9 same same same
django__django-15400#0 ambiguous wrong wrong __deepcopy__ is at lines 343 (LazyObject) and 426 (SimpleLazyObject)
django__django-15400#1 ambiguous wrong wrong __copy__ is at lines 334 (LazyObject) and 417 (SimpleLazyObject)
django__django-15400#2 same same same
django__django-15400#3 ambiguous wrong wrong __deepcopy__ is at lines 343 and 426
django__django-15400#4 same same same
django__django-15400#5 ambiguous wrong wrong __deepcopy__ is at lines 343 and 426
django__django-15400#6 same same same
django__django-15400#7 ambiguous wrong wrong __deepcopy__ is at lines 343 and 426
django__django-15400#8 ambiguous wrong wrong __deepcopy__ is at lines 343 and 426
django__django-15400#9 same same same
django__django-15400#10 same same same
django__django-15400#11 ambiguous wrong wrong __deepcopy__ is at lines 343 and 426
django__django-15400#12 ambiguous wrong wrong __copy__ is at lines 334 and 417
django__django-15400#13 same same same
django__django-15400#14 ambiguous wrong wrong __copy__ is at lines 334 and 417
django__django-15400#15 same same same
django__django-15400#16 ambiguous wrong wrong __copy__ is at lines 334 and 417
django__django-15400#17 ambiguous wrong wrong __deepcopy__ is at lines 343 and 426
django__django-15400#18 same same same
django__django-15400#19 same same same
django__django-15400#20 same same same
TABLE
# Why the ambiguous ones differ: Agentless showed the model (and applied
# the answer to) only the SimpleLazyObject part of the file, where the
# one-line search text is unique.  In the whole file the same line is
# also in LazyObject.  aas refuses to guess (code ambiguous, naming both
# lines) and commits nothing; git apply and patch silently edit the first
# match, in the wrong class.
plan $(($(wc -l <"$T/table") + 3))

n=0 aas_same=0 git_same=0 patch_same=0 aas_wrong=0 git_wrong=0 patch_wrong=0
cat "$C"/*.jsonl >"$T/all"
while IFS= read -r line; do
	n=$((n + 1))
	d="$T/c$n"
	mkdir -p "$d"
	printf '%s\n' "$line" >"$d/case.json"
	name=$(jq -r .case "$d/case.json")
	jq -r '.files | keys[]' "$d/case.json" >"$d/paths"
	mkdir -p "$d/r"
	while read -r p; do
		mkdir -p "$d/r/$(dirname "$p")"
		jq -j --arg p "$p" '.files[$p]' "$d/case.json" >"$d/r/$p"
	done <"$d/paths"
	git -C "$d/r" init -q -b main
	git -C "$d/r" add -A
	git -C "$d/r" -c user.name=T -c user.email=t@example.invalid \
	    commit -q -m base
	# expected contents: expected_patch applied by git apply
	mkdir "$d/exp" "$d/git" "$d/patch"
	git -C "$d/r" archive HEAD | tar -x -C "$d/exp"
	git -C "$d/r" archive HEAD | tar -x -C "$d/git"
	git -C "$d/r" archive HEAD | tar -x -C "$d/patch"
	jq -j .expected_patch "$d/case.json" >"$d/exp.patch"
	[ -s "$d/exp.patch" ] && (cd "$d/exp" && git apply "$d/exp.patch")
	# aas
	jq -c --arg id "C-$n" '{id: $id, response: {text: .answer,
	    finish_reason: "stop"}}' "$d/case.json" | aas-plan >"$d/plan" 2>/dev/null
	aas-apply -q --repo "$d/r" <"$d/plan" >"$d/apply" 2>/dev/null
	code=$(jq -r '.error.code // "none"' "$d/apply")
	if [ "$code" = ambiguous ]; then
		aas=ambiguous
	elif [ "$code" != none ]; then
		aas="error:$code"
	else
		aas=same
		while read -r p; do
			git -C "$d/r" show "aas/C-$n:$p" >"$d/got"
			cmp -s "$d/got" "$d/exp/$p" || aas=wrong
		done <"$d/paths"
	fi
	# the naive diff, through git apply and patch
	jq -r '.plan.edits[] | select(.op == "replace") |
	    (.search | sub("\n$"; "") | split("\n")) as $s |
	    (.replace | sub("\n$"; "") | split("\n")) as $r |
	    "--- a/\(.path)\n+++ b/\(.path)\n@@ -1,\($s | length) +1,\($r | length) @@\n" +
	    ($s | map("-" + .) | join("\n")) + "\n" +
	    ($r | map("+" + .) | join("\n"))' "$d/plan" >"$d/naive.diff"
	for tool in git patch; do
		if [ $tool = git ]; then
			(cd "$d/git" && git apply --unidiff-zero "$d/naive.diff") >/dev/null 2>&1
		else
			(cd "$d/patch" && patch -p1 --fuzz=5 -s <"$d/naive.diff") >/dev/null 2>&1
		fi
		st=$?
		res=same
		if [ $st != 0 ]; then res=failed; else
			while read -r p; do
				cmp -s "$d/$tool/$p" "$d/exp/$p" || res=wrong
			done <"$d/paths"
		fi
		eval "${tool}_res=\$res"
	done
	want=$(grep -F "$name " "$T/table" | cut -d' ' -f2-4)
	why=$(grep -F "$name " "$T/table" | cut -d' ' -f5-)
	is "$aas $git_res $patch_res" "$want" "$name: aas $aas, git apply $git_res, patch $patch_res${why:+ ($why)}"
	[ "$aas" = same ] && aas_same=$((aas_same + 1))
	[ "$aas" = wrong ] && aas_wrong=$((aas_wrong + 1))
	[ "$git_res" = same ] && git_same=$((git_same + 1))
	[ "$git_res" = wrong ] && git_wrong=$((git_wrong + 1))
	[ "$patch_res" = same ] && patch_same=$((patch_same + 1))
	[ "$patch_res" = wrong ] && patch_wrong=$((patch_wrong + 1))
done <"$T/all"

echo "# answers: $n"
echo "# aas-plan | aas-apply equal to expected_patch: $aas_same/$n, wrong: $aas_wrong, refused (ambiguous): $((n - aas_same - aas_wrong))"
echo "# naive diff | git apply --unidiff-zero equal: $git_same/$n, silently wrong: $git_wrong"
echo "# naive diff | patch --fuzz=5 equal: $patch_same/$n, silently wrong: $patch_wrong"
is "$aas_wrong" 0 "aas never commits a result that differs from expected_patch"
is "$aas_same" 20 "aas: 20 of 31 answers give expected_patch's files"
is "$git_wrong:$patch_wrong" "11:11" "git apply and patch edit the wrong class in 11"
done_testing
