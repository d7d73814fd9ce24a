// node batch.mjs IN.jsonl OUT.jsonl: submit every task as OpenAI batches
// (50,000 a batch), wait, download, join by custom_id, write the records.
import fs from "node:fs";
import readline from "node:readline";
import OpenAI from "openai";
import { body, customId } from "./common.mjs";

const [inPath, outPath] = process.argv.slice(2);
const client = new OpenAI({ maxRetries: 8 });
const model = "gpt-4.1-mini";
const tasks = new Map();
const chunks = [];
let cur = null;
for await (const line of readline.createInterface({ input: fs.createReadStream(inPath) })) {
  if (!line.trim()) continue;
  const t = JSON.parse(line);
  const cid = customId(t);
  tasks.set(cid, t);
  if (!cur || cur.n >= 50000) {
    cur = { path: `${outPath}.in${chunks.length}.jsonl`, n: 0 };
    cur.fd = fs.openSync(cur.path, "w");
    chunks.push(cur);
  }
  fs.writeSync(cur.fd, JSON.stringify({ custom_id: cid, method: "POST", url: "/v1/chat/completions", body: body(model, t) }) + "\n");
  cur.n++;
}
const batches = [];
for (const c of chunks) {
  fs.closeSync(c.fd);
  const f = await client.files.create({ file: fs.createReadStream(c.path), purpose: "batch" });
  batches.push(await client.batches.create({ input_file_id: f.id, endpoint: "/v1/chat/completions", completion_window: "24h" }));
}
const out = fs.createWriteStream(outPath);
for (let b of batches) {
  while (!["completed", "failed", "expired", "cancelled"].includes(b.status)) {
    await new Promise((r) => setTimeout(r, 50));
    b = await client.batches.retrieve(b.id);
  }
  for (const fid of [b.output_file_id, b.error_file_id]) {
    if (!fid) continue;
    const text = await (await client.files.content(fid)).text();
    for (const line of text.split("\n")) {
      if (!line) continue;
      const r = JSON.parse(line);
      const t = tasks.get(r.custom_id);
      if (!t) continue;
      const ok = r.response && r.response.status_code === 200;
      if (ok) {
        const m = r.response.body.choices[0];
        t.response = { status: 200, text: m.message.content, finish_reason: m.finish_reason,
          usage: { input: r.response.body.usage.prompt_tokens, output: r.response.body.usage.completion_tokens },
          request_id: r.response.request_id };
      } else t.error = { stage: "fetch", code: (r.error && r.error.code) || "http", message: "failed" };
      out.write(JSON.stringify(t) + "\n");
    }
  }
}
out.end();
