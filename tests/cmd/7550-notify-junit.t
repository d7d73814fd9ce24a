#!/bin/sh
# aas-notify --junit: the JUnit XML of a fixed run, byte for byte, valid
# against the JUnit schema this suite ships (tests/fixtures/junit.xsd,
# checked with xmllint); hostile text from records (markup, control
# characters, escape sequences, bytes that are not UTF-8) still makes
# valid XML; the schema does refuse a broken report.
. "${AAS_SRC:-.}/tests/lib.sh"

plan 12
cd "$T"
R="$FIX/report"
XSD="$FIX/junit.xsd"
export AAS_NOW=1796148000

# tests/deps.sh installs xmllint (libxml2-utils): without it this fails
command -v xmllint >/dev/null 2>&1
ok $? "xmllint is installed (tests/deps.sh: libxml2-utils)"

run aas-notify --junit j.xml <"$R/run.ndjson"
is "$rc" 1 "a fixed run: exit 1 (a bad line)"
cmp_file j.xml "$R/junit.xml" "the JUnit report, byte for byte"
xmllint --noout --schema "$XSD" j.xml >xl.out 2>&1
is "$?:$(cat xl.out)" "0:j.xml validates" "valid against the JUnit schema"

# one testsuite per board, one testcase per task
is "$(grep -c '<testsuite ' j.xml):$(grep -c '<testcase ' j.xml)" "2:6" \
    "a testsuite per board (board.md, input), a testcase per task"
grep -q '<property name="cost_usd" value="0.0000456"/>' j.xml
ok $? "a task's cost with all its digits"

# the schema can fail: a failure after skipped is refused
sed 's|<skipped message="Queued: not started"/>|&<failure/>|' j.xml >broken.xml
xmllint --noout --schema "$XSD" broken.xml >/dev/null 2>&1
is "$?" 3 "the schema refuses a testcase both skipped and failed"

# hostile text: every byte below still makes valid XML
esc=$(printf '\033')
F=$(printf '\357\277\275')
cat >hostile.ndjson <<'IN'
{"id":"H-1","title":"<script>&amp;\"'</script> ]]> \u0001\u0008\u000b\u000c\u001f\u007f\u0085\ufffe\uffff","request":{"model":"m\u0002"},"qa":{"ok":false,"checks":[{"name":"t\u0004x","ok":false,"exit":1,"ms":1,"tail":"\u001b[1;31mred\u001b[0m \u001b]0;title\u0007 ]]> <![CDATA[ x ]]> &#0; \u0003\r\nend"}]}}
{"id":"H-2\"<>&","error":{"stage":"plan","code":"bad\u0001code","message":"line1\nline2\ttab \u0010"}}
IN
printf '{"id":"H-3","title":"\377\376 bytes"}\n' >>hostile.ndjson
run aas-notify --junit h.xml <hostile.ndjson
xmllint --noout --schema "$XSD" h.xml >xl.out 2>&1
is "$?:$(cat xl.out)" "0:h.xml validates" \
    "control characters, markup and bad bytes: still valid"
grep -q 'name="H-1: &lt;script&gt;&amp;amp;&quot;&#39;&lt;/script&gt; ]]&gt; ' h.xml
ok $? "markup in a title is escaped, not interpreted"
grep -q "$esc" h.xml
is "$?" 1 "terminal escape sequences are dropped"
grep -q "^red  ]]&gt; &lt;!\\[CDATA\\[ x ]]&gt; &amp;#0; $F\$" h.xml
ok $? "a check's output: escaped, escapes gone, a control character as U+FFFD"
grep -q "message=\"plan: bad${F}code: line1 line2 tab ${F}\" type=\"bad${F}code\"" h.xml
ok $? "a failure message on one line, its control characters as U+FFFD"
done_testing
