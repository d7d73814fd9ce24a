// What aas-submit's implement template sends, built the plain Node way.
export const system = "You are a careful software engineer working in an existing git " +
  "repository. You are given one task from the project's task board and the current " +
  "contents of the files it names. Answer with a plan that implements the task " +
  "completely: a short summary, the edits to make, and the test files that check " +
  "the change.";
const nul = (t) => ({ type: [t, "null"] });
export const schema = {
  type: "object",
  properties: {
    summary: { type: "string" },
    edits: { type: "array", items: { type: "object", properties: {
      path: { type: "string" }, op: { type: "string", enum: ["write", "replace", "patch", "delete"] },
      content: nul("string"), search: nul("string"), replace: nul("string"), diff: nul("string") },
      required: ["path", "op", "content", "search", "replace", "diff"], additionalProperties: false } },
    tests: { type: "array", items: { type: "string" } },
  },
  required: ["summary", "edits", "tests"], additionalProperties: false,
};
export function body(model, t) {
  return {
    model,
    messages: [
      { role: "system", content: system },
      { role: "user", content: `Task ${t.id}: ${t.title}\nDepends on: ${(t.deps || []).join(", ") || "none"}\n\n${t.body || ""}\n` },
    ],
    response_format: { type: "json_schema", json_schema: { name: "plan", strict: true, schema } },
  };
}
export const customId = (t) => `${t.id}-${(t.source && t.source.sha || "").slice(0, 12)}`;
