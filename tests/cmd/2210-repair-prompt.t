#!/bin/sh
# 2210-repair-prompt: the repair request, byte for byte against the
# built-in template: the task, the files as they are on the base, the
# previous answer (a diff when it applied, the plan's edits when it was
# refused, the answer's text when it did not parse), the failure (a
# check's output capped at repair.tail_max, a refused edit's matches);
# a template file in its place.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/repair/lib.sh"

plan 9
repair_repo
repair_script
emu_start "$T/script.json" || exit 1
aas-scan | aas-submit -q --sync --keep-order | aas-plan -q | aas-apply -q |
    aas-qa -q --rollback >r1.jsonl
printf 'repair:\n  tail_max: 8\n' >>.aas.yml
printf '9\n' >value.txt	# not committed: the prompt shows the base's file

check_run "--jsonl --repair: three repairs written" 0 "" "" \
    -- sh -c 'aas-submit -q --repair --jsonl "$1" <r1.jsonl >s2.jsonl' sh "$T/b.jsonl"
prompt() { jq -r --arg id "$1" "select(.custom_id | startswith(\$id + \"-r2-\")) | .body.messages[$2].content" "$T/b.jsonl"; }

prompt FIX-1 1 >got
cat >want <<'TXT'
Task FIX-1: Make the value two
Depends on: none

value.txt must hold 2.

Files:
--- value.txt ---
1

Attempt 2 of 3. Your previous answer:
diff --git a/value.txt b/value.txt
index d00491f..00750ed 100644
--- a/value.txt
+++ b/value.txt
@@ -1 +1 @@
-1
+3

It failed:
check value failed: exit 1
command: v=$(cat value.txt); echo "value is $v"; test "$v" = 2
output (the last 8 of 11 bytes):
ue is 3

Give a complete new plan for the task, starting from the files as they are above.
TXT
cmp_file got want "a failed check: the base's file, the previous diff, the output's tail capped"

prompt DUP-1 1 >got
cat >want <<'TXT'
Task DUP-1: Set y to three
Depends on: none

In dup.c, y must be 3.

Files:
--- dup.c ---
x = 1;
y = 2;
x = 1;

Attempt 2 of 3. Your previous answer:
[
  {
    "path": "dup.c",
    "op": "replace",
    "search": "x = 1;",
    "replace": "x = 5;"
  }
]

It failed:
aas-apply: ambiguous: dup.c: search block 1 matches at lines 1 and 3
{
  "edit": 1,
  "path": "dup.c",
  "matches": [
    {
      "line": 1,
      "text": "x = 1;"
    },
    {
      "line": 3,
      "text": "x = 1;"
    }
  ],
  "count": 2
}

Give a complete new plan for the task, starting from the files as they are above.
TXT
cmp_file got want "a refused edit: the plan's edits and where the search text matched"

prompt FIX-1 0 >got
cat >want <<'TXT'
You are a careful software engineer working in an existing git repository. You are given one task from the project's task board, the current contents of the files it names, the answer you gave before and how it failed. The earlier answer was not kept: the files are as shown. Answer with a complete new plan that implements the task and avoids that failure, not a patch on the earlier answer: a short summary, every edit to make, and the test files that check the change.
Each edit names a path relative to the repository root and an op:
- write: content is the whole new file;
- replace: search is an exact, unique excerpt of the current file and replace its new text;
- patch: diff is a unified diff of that one file;
- delete: the file is removed.
Set the fields an op does not use to null. Never touch .git or paths outside the repository.
TXT
cmp_file got want "the system message asks for a whole new plan"
is "$(jq -c '[.body.response_format.json_schema.name, .body.model, (.body.messages | length)]' "$T/b.jsonl" | sort -u)" \
    '["plan","gpt-4.1-mini",2]' "the plan schema, as implement asks for"
is "$(jq -r '[.request.custom_id == (.id + "-r2-" + .source.sha[0:9]), .request.template] | map(tostring) | join(" ")' s2.jsonl | sort -u)" \
    "true repair" "custom_id of attempt 2: id, r2, the task's sha"

# an answer that did not parse: its text as given
jq -c 'select(.id == "FIX-1") | del(.plan, .apply, .qa) |
    .response.text = "Sorry, I cannot." |
    .error = {stage: "plan", code: "empty_plan", message: "no edits in the answer"}' r1.jsonl >p.jsonl
aas-submit -q --repair --jsonl "$T/p.jsonl" <p.jsonl >/dev/null
jq -r '.body.messages[1].content' "$T/p.jsonl" | sed -n '/^Attempt/,$p' >got
cat >want <<'TXT'
Attempt 2 of 3. Your previous answer:
Sorry, I cannot.

It failed:
aas-plan: empty_plan: no edits in the answer

Give a complete new plan for the task, starting from the files as they are above.
TXT
cmp_file got want "a refused answer: its text as given, and why"

# a template file of one's own
printf 'sys {{attempt}}\n---\n{{id}} try {{attempt}}/{{max_attempts}}\n{{failure}}.\n' >t.txt
check_run "--template FILE with --repair" 0 "" "" \
    -- sh -c 'aas-submit -q --repair --template t.txt --max-attempts 5 --jsonl "$1" <p.jsonl >q.jsonl' sh "$T/q.jsonl"
is "$(jq -c '[.body.messages[].content]' "$T/q.jsonl")|$(jq -r .request.template q.jsonl)" \
    '["sys 2","FIX-1 try 2/5\naas-plan: empty_plan: no edits in the answer\n.\n"]|t.txt' \
    "the file's fields rendered, the file named in the request"
done_testing
