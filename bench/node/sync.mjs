// node sync.mjs IN.jsonl JOBS: one chat call per task, JOBS at a time,
// the SDK's own retries (and Retry-After) for 429s; records to stdout.
import fs from "node:fs";
import OpenAI from "openai";
import { body } from "./common.mjs";

const [inPath, jobsArg] = process.argv.slice(2);
const client = new OpenAI({ maxRetries: 20 });
const tasks = fs.readFileSync(inPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
let next = 0, failed = 0;
async function worker() {
  while (next < tasks.length) {
    const t = tasks[next++];
    try {
      const r = await client.chat.completions.create(body("gpt-4.1-mini", t));
      t.response = { status: 200, text: r.choices[0].message.content, finish_reason: r.choices[0].finish_reason };
    } catch (e) {
      t.error = { stage: "submit", code: String(e.status || "network"), message: e.message };
      failed++;
    }
    process.stdout.write(JSON.stringify(t) + "\n");
  }
}
await Promise.all(Array.from({ length: Number(jobsArg) }, worker));
if (failed) process.exitCode = 1;
