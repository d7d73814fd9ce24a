#!/bin/sh
# aas-notify --html: one self-contained page (nothing fetched: no external
# scripts, styles, fonts or images), rendered in headless Chromium: the
# page's text from its DOM (headline, costs, checks with their output,
# files, attempts, the charts), the table sorted by the page's own script
# (#sort=KEY, as a click on a header leaves it), and screenshots wide and
# narrow kept in build/report/ for a person to look at.
. "${AAS_SRC:-.}/tests/lib.sh"

plan 15
cd "$T"
R="$FIX/report"
export AAS_NOW=1796148000
SHOTS="$AAS_SRC/build/report"
mkdir -p "$SHOTS"

# tests/deps.sh installs Debian's chromium: without it this fails
command -v chromium >/dev/null 2>&1
ok $? "chromium is installed (tests/deps.sh)"
chrome() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
	    --hide-scrollbars --no-first-run --user-data-dir="$T/chrome" \
	    "$@" 2>>"$T/chrome.err"
}

run aas-notify --html r.html <"$R/run.ndjson"
is "$rc" 1 "a fixed run: exit 1 (a bad line)"
grep -Eic '<link|<img|<iframe|src=|@import|url\(|https?://' r.html >n.out
is "$(cat n.out)" 0 "self-contained: no link, image, src, import, url or address"

chrome --dump-dom "file://$T/r.html" >dom.html
is "$?:$(grep -c '<title>aas run: 1 done, 3 failed, 2 left</title>' dom.html)" \
    "0:1" "Chromium loads the page; the title says what happened"
# the page's text, tags taken out
tr '\n' ' ' <dom.html | sed -e 's/<[^>]*>/ /g' -e 's/  */ /g' >text
grep -q ' 6 tasks 1 done 3 failed 2 left \$0.06807 spent 9.5s in checks ' text
ok $? "the headline: tasks, done, failed, left, cost, time"
grep -q 'T-1 Add the parser Done 1 gpt-4.1-nano 320 + 34 \$0.0000456 5.3s aas/T-1' text
ok $? "a task's row: status, attempts, model, tokens, cost (all its digits), time, branch"
grep -q 'Total 9 23,320 + 4,234 \$0.06807 9.5s' text
ok $? "the total row: the same figures as the summary and JUnit"
grep -q 'Pipes | and \*stars\* &lt;i&gt;x&lt;/i&gt;' dom.html &&
    ! grep -q '<i>x</i>' dom.html
ok $? "markup in a title is text, not markup"
grep -q '<pre>not ok 3 - lex &lt;b&gt;&amp;amp;&lt;/b&gt; "quotes"' dom.html
ok $? "a failed check's output, escaped"
grep -q 'Files (2) write lib/parse.c write tests/t-parse.c' text
ok $? "the files the task changed"
grep -q 'apply: no_match: lex.c: search block 1 does not match gpt-4.1-mini · \$0.0012 aas/T-2 Failed : qa: qa_failed: check tests failed (exit 2) this attempt · \$0.00212' text
ok $? "the attempts, the earlier one with its cost"
is "$(grep -o '<svg [^>]*aria-label="[^"]*"' dom.html | sed 's/.*aria-label=//')" \
'"Cost per task"
"Time per check (all tasks)"' "two inline SVG charts: cost per task, time per check"

# sorting: the script orders the rows by a column's values
rows() { grep -o '<tr data-i="[0-9]*"' "$1" | grep -o '[0-9][0-9]*' | tr '\n' ' '; }
chrome --dump-dom "file://$T/r.html#sort=-cost" >cost.html
is "$(rows cost.html)|$(grep -o '<th class="num" data-key="cost" data-type="num" aria-sort="[a-z]*"' cost.html | sed 's/.*=//')" \
    '3 1 2 0 4 5 |"descending"' "sorted by cost, most first (ties in input order)"
chrome --dump-dom "file://$T/r.html#sort=task" >task.html
is "$(rows task.html)" "4 0 1 2 3 5 " "sorted by task, as text with numbers"

# screenshots, wide and narrow, for a person to look at
chrome --screenshot="$SHOTS/7560-wide.png" --window-size=1280,2000 \
    "file://$T/r.html"
w=$(od -An -tu1 -j16 -N8 "$SHOTS/7560-wide.png" | awk '{print $3*256+$4, $7*256+$8}')
chrome --screenshot="$SHOTS/7560-narrow.png" --window-size=390,2400 \
    "file://$T/r.html"
n=$(od -An -tu1 -j16 -N8 "$SHOTS/7560-narrow.png" | awk '{print $3*256+$4, $7*256+$8}')
cp r.html "$SHOTS/7560-report.html"
is "$w|$n" "1280 2000|390 2400" "screenshots in build/report/ (7560-wide.png, 7560-narrow.png)"
done_testing
