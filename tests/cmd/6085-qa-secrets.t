#!/bin/sh
# aas-qa and secrets: its own environment holds no API key (re-exec), and
# under --sandbox a check sees no real $HOME, no key file, no other
# process and no host Unix socket.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"
plan 8

cd "$T"
qa_repo "$T/repo"
S="--state $T/state"
# Outside /tmp (private in the sandbox anyway) and outside $HOME.
VT=$(mktemp -d /var/tmp/aas-test.XXXXXX)
_cleanup_hook='kill $SIB $SRV 2>/dev/null; rm -rf "$VT"'
SIB= SRV=

# aas-qa itself: no key in /proc/<aas-qa>/environ, nor in the check's.
cat >env.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: env
      run: |
        echo "aas-qa: $(tr '\0' '\n' </proc/$PPID/environ | grep -c sk-h10)"
        echo "check: $(env | grep -c sk-h10)"
YML
R1=$(qa_task T-1 x.txt hello)
printf '%s\n' "$R1" >in
run env OPENAI_API_KEY=sk-h10-openai ANTHROPIC_API_KEY=sk-h10-anthropic \
    aas-qa -q -c env.yml $S <in
is "$rc $(jq -c '.qa.checks[0] | [.ok, .tail]' out)" \
    '0 [true,"aas-qa: 0\ncheck: 0\n"]' \
    "no API key in aas-qa's own environment (re-exec) or the check's"
run env OPENAI_API_KEY=sk-h10-openai aas-qa -c env.yml $S <in
is "$(sed 's/ in [0-9.]*s$//' err)" "aas-qa: 1 passed, 0 failed, 0 skipped" \
    "the re-executed aas-qa runs as usual"

command -v bwrap >/dev/null || { skip_rest=1; }
if [ -n "${skip_rest:-}" ] || ! bwrap --ro-bind / / true 2>/dev/null; then
	for i in 3 4 5 6 7 8; do echo "ok $i # SKIP bwrap cannot run here"; done
	exit 0
fi

# A home and a key file outside /tmp, a sibling process holding a
# secret, and a Unix socket server under a read-only bound folder.
mkdir -p "$VT/home"
echo home-secret >"$VT/home/secret"
printf 'sk-h10-keyfile\n' >"$VT/key"
chmod 600 "$VT/key"
env H10=sk-h10-sibling sleep 300 &
SIB=$!
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
open(sys.argv[2], "w").write("up")
while True:
    c, _ = s.accept()
    c.sendall(b"hello\n")
    c.close()
' "$VT/s" "$T/up" &
SRV=$!
i=0
while [ ! -s "$T/up" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

cat >see.yml <<YML
key_file: $VT/key
qa:
  builtin: false
  checks:
    - name: see
      run: |
        echo "home: \$(ls -A "\$HOME" | wc -l) \$(cat "\$HOME/secret" 2>/dev/null)"
        echo "key: [\$(cat $VT/key 2>/dev/null)]"
        echo "procs: \$(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c sk-h10-sibling)"
    - name: sock
      argv: [python3, probe.py]
YML
cat >probe.py <<PY
import socket

def t(f):
    try:
        return f()
    except OSError as e:
        return "errno %d" % e.errno

def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect("$VT/s")
    return s.recv(16).decode().strip()

def dgram():
    socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    return "dgram pair"

def stream():
    a, b = socket.socketpair()
    a.send(b"x")
    return "stream pair " + b.recv(1).decode()

print(t(conn), t(dgram), t(stream), sep="\n")
PY
R2=$(qa_task T-2 probe.py "$(cat probe.py)")
printf '%s\n' "$R2" >in

run env HOME="$VT/home" aas-qa -q -c see.yml $S <in
is "$(jq -c '[.qa.checks[] | .tail]' out)" \
    '["home: 1 home-secret\nkey: [sk-h10-keyfile]\nprocs: 1\n","hello\ndgram pair\nstream pair x\n"]' \
    "no sandbox: the check sees everything the user can"

run env HOME="$VT/home" aas-qa -q --sandbox -c see.yml $S <in
is "$rc" 0 "sandbox: exit 0"
is "$(jq -r '.qa.checks[0].tail' out)" "home: 0 
key: []
procs: 0" "sandbox: an empty private home, the key file masked, no other process"
is "$(jq -r '.qa.checks[1].tail' out)" "errno 13
errno 13
stream pair x" "sandbox: no host Unix socket, no datagram pair; stream pairs work"
ok "$(kill -0 $SRV; echo $?)" "the socket server is still up"
is "$(cat "$VT/home/secret") $(cat "$VT/key")" "home-secret sk-h10-keyfile" \
    "the real home and key file are untouched"

done_testing
