#!/bin/sh
# 2060-submit-loop: the record order aas-submit and aas-fetch --stdin
# keep (whatever loop reads their input): in batch mode (records held
# until the batches exist) and with --jsonl a line that is not JSON and a
# record carrying an error keep their place; aas-fetch --stdin passes a
# record without a batch, fails one naming an unknown batch, and writes
# the tasks of the known ones.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 5
setup_repo
emu_start || exit 1
gen 2 >in.jsonl
{
	sed -n 1p in.jsonl
	echo 'not json'
	echo '{"id":"E-1","error":{"stage":"scan","code":"x","message":"m"}}'
	sed -n 2p in.jsonl
} >mixed.jsonl

run aas-submit -q <mixed.jsonl
is "$rc $(jq -c '[.id // .error.code, .batch.id != null]' "$T/out" | tr '\n' ' ')" \
    '1 ["T-1",true] ["bad_json",false] ["E-1",false] ["T-2",true] ' \
    "batch mode: every line in its place, the bad one an error record"
cp "$T/out" sub.jsonl

run aas-submit -q --jsonl "$T/b.jsonl" <mixed.jsonl
is "$rc $(jq -c '[.id // .error.code, has("request")]' "$T/out" | tr '\n' ' ')" \
    '1 ["T-1",true] ["bad_json",false] ["E-1",false] ["T-2",true] ' \
    "--jsonl: written as read, in order"

{
	printf '{"id":"P-1"}\n'
	printf '{"id":"U-1","batch":{"id":"batch_none"}}\n'
	grep '"T-' sub.jsonl
} >feed.jsonl
run aas-fetch -q --wait --interval 0.01 --stdin <feed.jsonl
is "$rc" 1 "fetch --stdin: an unknown batch fails its record"
is "$(jq -c '[.id, .error.code // null, has("response")]' "$T/out" | sort | tr '\n' ' ')" \
    '["P-1",null,false] ["T-1",null,true] ["T-2",null,true] ["U-1","unknown_batch",false] ' \
    "fetch --stdin: passed, failed, and each task of the batch once"
is "$(sed -n 1,2p "$T/out" | jq -r .id | tr '\n' ' ')" "P-1 U-1 " \
    "fetch --stdin: records of no batch come first, in input order"
done_testing
