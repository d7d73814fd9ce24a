#!/bin/sh
# 0540-emu-scale: a 50,000-line (~100 MB) batch and 2,000 sync calls of
# 50 ms at 50 in flight
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$AAS_SRC/tests/emu/emu.sh"

plan 9

printf '{"default":{"content":"ok","latency_ms":50}}' >"$T/s.json"
emu_start "$T/s.json"
ok $? "emu_start"

awk 'BEGIN {
	pad = sprintf("%1900s", ""); gsub(/ /, "x", pad)
	for (i = 1; i <= 50000; i++)
		printf "{\"custom_id\":\"AAS-%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"task %d %s\"}]}}\n", i, i, pad
}' >"$T/big.jsonl"
size=$(wc -c <"$T/big.jsonl")
emu_req POST /v1/files -F purpose=batch -F "file=@$T/big.jsonl"
is "$EMU_CODE $(emu_body .bytes)" "200 $size" "upload of $size bytes"
fid=$(emu_body .id)
emu_req GET "/v1/files/$fid/content"
cmp_file "$EMU_DIR/body" "$T/big.jsonl" "download is byte-identical"
emu_req POST /v1/batches -H 'Content-Type: application/json' \
    -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
bid=$(emu_body .id)
emu_log | tail -n 1 | jq -c '[.custom_ids.count, (.custom_ids | has("list"))]' >"$T/l"
is "$EMU_CODE $(cat "$T/l")" "200 [50000,false]" "create: 50,000 custom_ids, hashed not listed"
for i in 1 2 3; do emu_req GET "/v1/batches/$bid"; done
is "$(emu_body -c '[.status, .request_counts]')" \
    '["completed",{"total":50000,"completed":50000,"failed":0}]' "completed"
emu_req GET "/v1/files/$(emu_body .output_file_id)/content"
is "$(wc -l <"$EMU_DIR/body")" 50000 "50,000 output lines"
is "$(jq -r .custom_id "$EMU_DIR/body" | sort -u | wc -l)" 50000 "each custom_id once"

i=1
while [ $i -le 2000 ]; do
	printf 'url = "%s/v1/chat/completions"\nheader = "Authorization: Bearer %s"\ndata = "{\\"model\\":\\"m\\",\\"messages\\":[{\\"role\\":\\"user\\",\\"content\\":\\"q%d\\"}]}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
	    "$EMU_URL" "$OPENAI_API_KEY" $i
	[ $i -lt 2000 ] && echo next
	i=$((i + 1))
done >"$T/curl.cfg"
t0=$(date +%s%N)
curl -s --parallel --parallel-max 50 -K "$T/curl.cfg" 2>/dev/null | sort | uniq -c |
    awk '{ print $2 ":" $1 }' >"$T/codes"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
is "$(cat "$T/codes")" "200:2000" "2,000 sync calls answered"
emu_stop
ok $? "emulator exits cleanly"
echo "# 2,000 calls of 50 ms at 50 in flight: $ms ms"
done_testing
