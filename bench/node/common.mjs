// What aas-submit's implement template (lib/template.c) sends, built the
// plain Node way: the same system text, the same user text and the same
// response_format, so that each batch line is byte for byte aas's.
export const system = "You are a careful software engineer working in an existing git " +
  "repository. You are given one task from the project's task board and the current " +
  "contents of the files it names. Answer with a plan that implements the task " +
  "completely: a short summary, the edits to make, and the test files that check " +
  "the change.\n" +
  "Each edit names a path relative to the repository root and an op:\n" +
  "- write: content is the whole new file;\n" +
  "- replace: search is an exact, unique excerpt of the current file and replace its new text;\n" +
  "- patch: diff is a unified diff of that one file;\n" +
  "- delete: the file is removed.\n" +
  "Set the fields an op does not use to null. Never touch .git or paths outside the repository.";
const str = (v) => (typeof v === "string" ? v : "");
// {{deps}}: a string as it is, an empty (or no) list "none", else the
// list's strings joined by ", "
const deps = (d) => typeof d === "string" ? d :
  !Array.isArray(d) || d.length === 0 ? "none" : d.map(str).join(", ");
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
      // {{files}}: the benchmark's tasks name no files and aas runs
      // outside a repository (no map), so "(none)"
      { role: "user", content: `Task ${str(t.id)}: ${str(t.title)}\nDepends on: ${deps(t.deps)}\n\n${str(t.body)}\n\nFiles:\n(none)\n` },
    ],
    response_format: { type: "json_schema", json_schema: { name: "plan", strict: true, schema } },
  };
}
export const customId = (t) => `${t.id}-${(t.source && t.source.sha || "").slice(0, 12)}`;
