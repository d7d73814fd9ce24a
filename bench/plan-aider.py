#!/usr/bin/env python3
"""Replay the aider corpus (../shared/corpus/aider/answers.jsonl) through
aas-plan | aas-apply, through `git apply` / `patch` (udiff answers), and
through a plain exact-match SEARCH/REPLACE applier written here, and print
the per-format table of bench/plan.md.

    python3 bench/plan-aider.py [CORPUS] [--cases]

aas-plan and aas-apply are taken from $PATH (put build/release/bin or
build/asan/bin first).  --cases prints one line a case:
    case style flags aas-outcome baseline-outcome
where an outcome is "exact", "different" or "refused:<code>".
"""
import json
import os
import re
import subprocess
import sys
import tempfile

MARK_S = re.compile(r"^<{5,9} ?(SEARCH|ORIGINAL|HEAD)\s*$")
MARK_D = re.compile(r"^={5,9}\s*$")
MARK_R = re.compile(r"^>{5,9} ?(REPLACE|UPDATED|updated)\s*$")


def baseline(answer, files):
    """The plain applier: a block is a file-name line, a start marker,
    the text to find, a divider, the replacement, an end marker; the path
    is the nearest line above the start marker that is not blank, a
    fence or a <source> tag.  The
    search text must occur exactly once, byte for byte; an empty search
    makes a new file.  Returns (files after or None, refusal code)."""
    lines = answer.split("\n")
    out = dict(files)
    i = 0
    nblocks = 0
    while i < len(lines):
        if not MARK_S.match(lines[i]):
            i += 1
            continue
        j = i - 1
        while j >= 0 and (lines[j].strip() == "" or
                          lines[j].lstrip().startswith("```") or
                          lines[j].strip().startswith("<source>")):
            j -= 1
        if j < 0:
            return None, "no_path"
        path = lines[j].strip().strip("`*").strip()
        d = i + 1
        while d < len(lines) and not MARK_D.match(lines[d]):
            d += 1
        r = d + 1
        while r < len(lines) and not MARK_R.match(lines[r]):
            r += 1
        if r >= len(lines):
            return None, "bad_block"
        search = "".join(x + "\n" for x in lines[i + 1:d])
        repl = "".join(x + "\n" for x in lines[d + 1:r])
        nblocks += 1
        if search == "":
            out[path] = repl
        else:
            text = out.get(path)
            if text is None:
                return None, "no_file"
            k = text.count(search)
            if k == 0:
                return None, "no_match"
            if k > 1:
                return None, "ambiguous"
            out[path] = text.replace(search, repl, 1)
        i = r + 1
    if nblocks == 0:
        return None, "empty_plan"
    return out, None


def udiff_text(answer):
    """The ```diff fences of an answer, for git apply / patch."""
    out, inside = [], False
    for ln in answer.split("\n"):
        if ln.startswith("```"):
            inside = not inside and ln.strip() in ("```diff", "```patch")
            continue
        if inside:
            out.append(ln)
    return "\n".join(out) + "\n"


def write_tree(root, files):
    for p, t in files.items():
        fp = os.path.join(root, p)
        os.makedirs(os.path.dirname(fp), exist_ok=True)
        with open(fp, "w", encoding="utf-8", newline="") as f:
            f.write(t)


def read_tree(root, paths):
    got = {}
    for p in paths:
        fp = os.path.join(root, p)
        if os.path.exists(fp):
            with open(fp, encoding="utf-8", newline="") as f:
                got[p] = f.read()
        else:
            got[p] = None
    return got


def compare(got, expected):
    return "exact" if all(got.get(p) == t for p, t in expected.items()) \
        else "different"


def run_aas(case, tmp):
    repo = os.path.join(tmp, "repo")
    os.makedirs(repo)
    write_tree(repo, case["files"])
    env = dict(os.environ, GIT_AUTHOR_NAME="T", GIT_COMMITTER_NAME="T",
               GIT_AUTHOR_EMAIL="t@example.invalid",
               GIT_COMMITTER_EMAIL="t@example.invalid")
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    subprocess.run(["git", "-C", repo, "add", "-A"], check=True)
    subprocess.run(["git", "-C", repo, "commit", "-q", "--allow-empty", "-m", "base"],
                   check=True, env=env)
    rec = json.dumps({"id": "C-1", "response": {"text": case["answer"],
                      "finish_reason": "stop"}})
    p = subprocess.run(["aas-plan"], input=rec.encode(), capture_output=True)
    a = subprocess.run(["aas-apply", "-q", "--repo", repo], input=p.stdout,
                       capture_output=True)
    r = json.loads(a.stdout)
    if "error" in r:
        return "refused:" + r["error"]["code"], r
    got = {}
    for path in case["expected"]:
        s = subprocess.run(["git", "-C", repo, "show", "aas/C-1:" + path],
                           capture_output=True)
        got[path] = s.stdout.decode("utf-8", "replace") \
            if s.returncode == 0 else None
    return compare(got, case["expected"]), r


def run_tool(case, tmp, tool):
    d = os.path.join(tmp, tool)
    os.makedirs(d)
    write_tree(d, case["files"])
    text = udiff_text(case["answer"])
    diff = text.encode()
    strip = "-p1" if re.search(r"^--- a/", text, re.M) else "-p0"
    if tool == "git":
        subprocess.run(["git", "init", "-q", d], check=True)
        cmd = ["git", "apply", "--recount", strip]
    else:
        cmd = ["patch", strip, "-s", "-f", "--no-backup-if-mismatch"]
    rc = subprocess.run(cmd, cwd=d, input=diff, capture_output=True)
    if rc.returncode != 0:
        return "refused:" + ("no_match" if diff.strip() else "empty_plan")
    return compare(read_tree(d, case["expected"]), case["expected"])


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    corpus = args[0] if args else os.path.join(
        os.path.dirname(__file__), "..", "..", "shared", "corpus", "aider",
        "answers.jsonl")
    show = "--cases" in sys.argv
    table = {}
    rules = []
    for line in open(corpus, encoding="utf-8"):
        case = json.loads(line)
        with tempfile.TemporaryDirectory() as tmp:
            aas, rec = run_aas(case, tmp)
            for f in rec.get("apply", {}).get("files", []):
                if "took line" in f.get("detail", ""):
                    rules.append((case["case"], aas, f["detail"]))
            if case["style"] == "udiff":
                git = run_tool(case, tmp, "git")
                pat = run_tool(case, tmp, "patch")
                base = "n/a"
            else:
                git = pat = "n/a"
                got, why = baseline(case["answer"], case["files"])
                base = "refused:" + why if got is None else \
                    compare(got, case["expected"])
        if show:
            print(case["case"], case["style"], ",".join(case["flags"]) or
                  "-", aas, base if case["style"] != "udiff" else
                  "git:" + git + " patch:" + pat)
        for who, res in (("aas", aas), ("git apply", git), ("patch", pat),
                         ("exact-match applier", base)):
            if res == "n/a":
                continue
            for key in (case["style"], "all"):
                for sub in ("all", "no flags" if not case["flags"] else
                            "flags"):
                    t = table.setdefault((key, sub, who), {})
                    t[res] = t.get(res, 0) + 1
    for r in rules:
        print("# ambiguity rule decided: %s (%s): %s" % r)
    print("| format | cases | tool | exact | refused (by reason) "
          "| different |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (key, sub, who), t in sorted(table.items(), key=lambda kv: (
            kv[0][0] == "all", kv[0][0], kv[0][1] != "all", kv[0][1],
            kv[0][2] != "aas", kv[0][2])):
        n = sum(t.values())
        ref = sorted((k[8:], v) for k, v in t.items()
                     if k.startswith("refused:"))
        print("| %s | %d (%s) | %s | %d | %d%s | %d |" % (
            key, n, sub, who, t.get("exact", 0), sum(v for _, v in ref),
            (" (" + ", ".join("%s %d" % kv for kv in ref) + ")")
            if ref else "", t.get("different", 0)))


if __name__ == "__main__":
    main()
