#!/bin/sh
# aas-qa --sandbox: no network, a read-only system, a writable worktree
# and /tmp; refuses to start when bwrap is missing or cannot run.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
command -v bwrap >/dev/null || skip_all "bwrap is not installed"
command -v bash >/dev/null || skip_all "bash is not installed"
plan 11

cd "$T"
qa_repo "$T/repo"
S="--state $T/state"
R1=$(qa_task T-1 x.txt hello)
printf '%s\n' "$R1" >in

python3 "$FIX/qa/listen.py" "$T/port" &
SERVER=$!
_cleanup_hook='kill $SERVER 2>/dev/null'
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$T/port")

cat >net.yml <<YML
qa:
  builtin: false
  checks:
    - name: net
      run: |
        bash -c 'exec 3<>/dev/tcp/127.0.0.1/$PORT && head -n 1 <&3' 2>.err ||
            { sed 's/.*: //' .err; exit 1; }
YML
run aas-qa -q -c net.yml $S <in
is "$(jq -c '.qa.checks[0] | [.ok, .tail]' out)" '[true,"hello\n"]' \
    "no sandbox: the test server answers"
qa_check "sandbox: the same check cannot connect" 1 \
    "${R1%\}},\"qa\":{\"ok\":false,\"checks\":[{\"name\":\"net\",\"cmd\":\"bash -c 'exec 3<>/dev/tcp/127.0.0.1/$PORT && head -n 1 <&3' 2>.err ||\\n    { sed 's/.*: //' .err; exit 1; }\\n\",\"required\":true,\"ok\":false,\"exit\":1,\"signal\":0,\"ms\":N,\"bytes\":38,\"tail\":\"Connection refused\\nConnection refused\\n\"}]},\"error\":{\"stage\":\"qa\",\"code\":\"qa_failed\",\"message\":\"check net failed: exit 1\"}}" \
    "" -- aas-qa -q --sandbox -c net.yml $S <in

cat >fs.yml <<YML
qa:
  builtin: false
  checks:
    - name: fs
      run: |
        touch /var/tmp/aas-qa-probe.$$ 2>/dev/null && echo var-written
        touch "$T/repo/probe" 2>/dev/null && echo repo-written
        touch /usr/aas-qa-probe 2>/dev/null && echo usr-written
        touch newfile && echo worktree-writable
        touch /tmp/scratch && echo tmp-writable
        [ "\$TMPDIR" = /tmp ] && echo tmpdir
        [ "\$(ps -e -o pid= | wc -l)" -lt 10 ] && echo own-pids
YML
run aas-qa -q --sandbox -c fs.yml $S <in
is "$(jq -r '.qa.checks[0].tail' out)" "worktree-writable
tmp-writable
tmpdir
own-pids" "sandbox: only the worktree and /tmp are writable; own PID space"
ok "$([ ! -e /var/tmp/aas-qa-probe.$$ ] && [ ! -e /usr/aas-qa-probe ] &&
    [ ! -e "$T/repo/probe" ]; echo $?)" \
    "sandbox: nothing written outside"

# A sandboxed check that times out: everything inside is gone.
MARK=96$$
cat >slow.yml <<YML
qa:
  builtin: false
  kill_grace: 0.3
  checks:
    - name: slow
      run: sleep $MARK & (trap '' TERM; sleep $MARK) & wait
      timeout: 0.5
YML
run aas-qa -q --sandbox -c slow.yml $S <in
is "$(jq -c '.qa.checks[0] | [.ok, .timeout]' out)" '[false,true]' "sandbox: timeout"
is "$(pgrep -f "sleep $MARK" | wc -l | tr -d ' ')" 0 "sandbox: no process left"

# config qa.sandbox: true works like the flag
sed 's/^qa:$/qa:\n  sandbox: true/' net.yml >net2.yml
run aas-qa -q -c net2.yml $S <in
is "$(jq -c '.qa.checks[0].tail' out)" '"Connection refused\nConnection refused\n"' "qa.sandbox: true"

# bwrap missing: refuse to start.
mkdir -p bin
for t in sh git; do ln -s "$(command -v $t)" bin/$t; done
check_run "bwrap missing: exit 2" 2 "" \
    "aas-qa: --sandbox: bwrap not found on PATH (install bubblewrap)" \
    -- env PATH="$T/bin" "$AAS_BUILD/bin/aas-qa" --sandbox -c fs.yml $S <in

# bwrap present but unusable (user namespaces off): refuse to start.
cat >bin/bwrap <<'SH'
#!/bin/sh
echo "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces" >&2
exit 1
SH
chmod +x bin/bwrap
check_run "bwrap unusable: exit 2 with its reason" 2 "" \
    "aas-qa: --sandbox: $T/bin/bwrap cannot make the sandbox here: bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces" \
    -- env PATH="$T/bin" "$AAS_BUILD/bin/aas-qa" --sandbox -c fs.yml $S <in
is "$(cat out)" "" "nothing read or written"
printf 'qa:\n  builtin: false\n  checks:\n    - name: t\n      run: exit 0\n' >t.yml
run env PATH="$T/bin" "$AAS_BUILD/bin/aas-qa" -q -c t.yml $S <in
is "$rc" 0 "without --sandbox bwrap is not needed"

done_testing
