#!/usr/bin/env python3
"""emu-forge: a local emulator of the GitHub REST subset (pull requests,
labels), GitLab's merge requests and a git smart-HTTP server (git
http-backend behind Basic auth), for the aas tests only.  It listens on
127.0.0.1 and opens no other connection.  See README.md beside it."""

import argparse
import base64
import fnmatch
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GH_DOCS = "https://docs.github.com/rest"
API_VERSION = "2022-11-28"
BODY_MAX = 1 << 20          # request bodies larger than this: 413
GH_BODY_MAX = 65536         # a pull request's body, characters
GL_DESC_MAX = 1048576       # a merge request's description, characters

lock = threading.Lock()
state = {
    "t0": time.time(), "seq": 0, "log": [], "faults": [], "fired": {},
    "pulls": {}, "mrs": {}, "limited_until": {"github": 0, "gitlab": 0},
    "remaining": {"github": 5000, "gitlab": 2000}, "next_id": 1000,
}
opts = None


def git(repo, *args):
    r = subprocess.run(["git", "--git-dir", repo] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode().strip()


def repo_dir(path):
    """The bare repository of owner/name (or group/sub/name), or None."""
    d = os.path.join(opts.git_root, path + ".git")
    return d if os.path.isdir(d) else None


def branch_sha(repo, branch):
    rc, out = git(repo, "rev-parse", "--verify", "-q",
                  "refs/heads/" + branch)
    return out if rc == 0 else None


def default_branch(repo):
    rc, out = git(repo, "symbolic-ref", "--short", "HEAD")
    return out if rc == 0 else "main"


class Answer(Exception):
    def __init__(self, status, body, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}


def match_fault(service, method, path):
    """The first scripted fault that fires for this request, or None."""
    for i, f in enumerate(state["faults"]):
        if f.get("service", service) != service:
            continue
        if not fnmatch.fnmatchcase(path, f.get("path", "*")):
            continue
        if f.get("method", "*") not in ("*", method):
            continue
        n = state["fired"].setdefault(("seen", i), 0) + 1
        state["fired"][("seen", i)] = n
        if n <= f.get("after", 0):
            continue
        done = state["fired"].get(("fired", i), 0)
        if "count" in f and done >= f["count"]:
            continue
        state["fired"][("fired", i)] = done + 1
        return f
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "emu-forge/1"

    def log_message(self, fmt, *args):
        if opts.verbose:
            sys.stderr.write("emu-forge: " + (fmt % args) + "\n")

    # -- plumbing --------------------------------------------------------
    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                line = self.rfile.readline()
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(n)
                self.rfile.readline()
                if len(data) > 64 * BODY_MAX:
                    raise Answer(413, {"message": "too large"})
        n = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body, headers=None, ctype="application/json"):
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
            ctype = "text/plain; charset=utf-8"
        else:
            data = body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def note(self, entry):
        with lock:
            state["seq"] += 1
            entry["seq"] = state["seq"]
            entry["t_ms"] = int((time.time() - state["t0"]) * 1000)
            state["log"].append(entry)
            if opts.log:
                with open(opts.log, "a") as fp:
                    fp.write(json.dumps(entry) + "\n")

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def dispatch(self):
        u = urllib.parse.urlsplit(self.path)
        path, query = u.path, urllib.parse.parse_qs(u.query)
        try:
            raw = self.read_body()
        except Answer as a:
            self.send(a.status, a.body)
            self.close_connection = True
            return
        if path.startswith("/_emu/"):
            return self.control(path, raw)
        if path.startswith("/repos/") or path == "/graphql":
            service = "github"
        elif path.startswith("/api/v4/"):
            service = "gitlab"
        elif ".git/" in path:
            return self.git_http(u, raw)
        else:
            return self.send(404, {"message": "Not Found"})
        entry = {"service": service, "method": self.command, "path": path,
                 "query": u.query, "ua": self.headers.get("User-Agent")}
        hdrs = {}
        try:
            self.check_headers(service)
            body = None
            if raw:
                if len(raw) > BODY_MAX:
                    raise Answer(413, {"message": "Request body too large"})
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise Answer(400, {"message": "Problems parsing JSON",
                                       "documentation_url": GH_DOCS})
                entry["body"] = body
            with lock:
                f = self.limits(service, hdrs)
                if f is None:
                    f = match_fault(service, self.command, path)
                if f is not None:
                    entry["fault"] = f["kind"]
                    self.fault(service, f, hdrs)
                if service == "github":
                    status, out = self.github(path, query, body, hdrs)
                else:
                    status, out = self.gitlab(path, query, body, hdrs)
                if f is not None and f["kind"] == "commit_then_reset":
                    entry["status"] = 0
                    entry["made"] = out.get("number", out.get("iid")) \
                        if isinstance(out, dict) else None
                    raise ConnectionAbortedError()
                if f is not None and f["kind"] == "empty_list":
                    out = []
        except Answer as a:
            status, out = a.status, a.body
            hdrs.update(a.headers)
        except ConnectionAbortedError:
            self.note(entry)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.rate_headers(service, hdrs)
        entry["status"] = status
        self.note(entry)
        if status == 0:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.send(status, out, hdrs)

    def check_headers(self, service):
        h = self.headers
        if service == "github":
            auth = h.get("Authorization", "")
            if not auth:
                raise Answer(401, {"message": "Requires authentication",
                                   "documentation_url": GH_DOCS,
                                   "status": "401"})
            if auth not in ("Bearer " + opts.token, "token " + opts.token):
                raise Answer(401, {"message": "Bad credentials",
                                   "documentation_url": GH_DOCS,
                                   "status": "401"})
            if not h.get("User-Agent"):
                raise Answer(403, "Request forbidden by administrative "
                             "rules. Please make sure your request has a "
                             "User-Agent header.\n")
            if "application/vnd.github+json" not in h.get("Accept", ""):
                raise Answer(415, {"message": "emulator: Accept must be "
                                   "application/vnd.github+json",
                                   "documentation_url": GH_DOCS})
            v = h.get("X-GitHub-Api-Version")
            if v != API_VERSION:
                raise Answer(400, {"message": "Unsupported "
                                   "'X-GitHub-Api-Version' header"
                                   if v else "emulator: "
                                   "X-GitHub-Api-Version missing",
                                   "documentation_url": GH_DOCS})
        else:
            tok = h.get("PRIVATE-TOKEN")
            if tok is None and h.get("Authorization", "").startswith(
                    "Bearer "):
                tok = h.get("Authorization")[7:]
            if tok != opts.gitlab_token:
                raise Answer(401, {"message": "401 Unauthorized"})
        if self.command in ("POST", "PATCH", "PUT") and \
                int(self.headers.get("Content-Length", "0") or "0") > 0 and \
                not h.get("Content-Type", "").startswith("application/json"):
            raise Answer(415, {"message": "emulator: Content-Type must be "
                               "application/json"})

    # -- rate limits and faults -----------------------------------------
    def limits(self, service, hdrs):
        """A request inside a limit window gets the limit answer again."""
        until = state["limited_until"][service]
        if until > time.time():
            return {"kind": "still_limited", "until": until}
        return None

    def fault(self, service, f, hdrs):
        k = f["kind"]
        now = time.time()
        if k == "still_limited":
            left = max(1, int(f["until"] - now + 0.999))
            if service == "github":
                hdrs["x-ratelimit-remaining"] = 0
                hdrs["x-ratelimit-reset"] = int(f["until"]) + 1
                raise Answer(403, {"message": "API rate limit exceeded "
                                   "(emulator: asked again before the "
                                   "limit was over)",
                                   "documentation_url": GH_DOCS}, hdrs)
            raise Answer(429, "Retry later\n", {"Retry-After": left})
        if k == "secondary":
            ra = f.get("retry_after")
            if ra is not None:
                hdrs["retry-after"] = ra
                state["limited_until"][service] = now + ra
            raise Answer(f.get("status", 403), {
                "message": "You have exceeded a secondary rate limit. "
                "Please wait a few minutes before you try again. If you "
                "reach out to GitHub Support for help, please include the "
                "request ID.", "documentation_url": GH_DOCS}, hdrs)
        if k == "primary":
            reset = int(now) + f.get("reset_in", 2)
            state["limited_until"][service] = reset
            state["remaining"][service] = 0
            hdrs["x-ratelimit-remaining"] = 0
            hdrs["x-ratelimit-reset"] = reset
            raise Answer(f.get("status", 403), {
                "message": "API rate limit exceeded for user ID 1.",
                "documentation_url": GH_DOCS}, hdrs)
        if k == "exhaust":
            # performed; the answer says no requests are left until reset
            reset = int(now) + f.get("reset_in", 2)
            state["limited_until"][service] = reset
            state["remaining"][service] = 0
            state["reset_at"] = reset
            return
        if k == "429":
            ra = f.get("retry_after")
            h = {}
            if ra is not None:
                h["Retry-After"] = ra
                state["limited_until"][service] = now + ra
            if service == "github":
                raise Answer(429, {"message": "Too Many Requests",
                                   "documentation_url": GH_DOCS}, h)
            raise Answer(429, "Retry later\n", h)
        if k == "forbidden":
            if service == "github":
                raise Answer(403, {"message": "Resource not accessible by "
                                   "integration", "documentation_url":
                                   GH_DOCS})
            raise Answer(403, {"message": "403 Forbidden"})
        if k in ("500", "502", "503"):
            raise Answer(int(k), {"message": "Server Error"})
        if k == "reset":
            raise Answer(0, None)
        # commit_then_reset and empty_list act after the call

    def rate_headers(self, service, hdrs):
        with lock:
            rem = state["remaining"][service]
            if rem > 0:
                state["remaining"][service] = rem - 1
                rem -= 1
            elif state["limited_until"][service] <= time.time():
                state["remaining"][service] = rem = 4999
            reset = int(state["limited_until"][service]) or \
                int(time.time()) + 3600
        if service == "github":
            hdrs.setdefault("x-ratelimit-limit", 5000)
            hdrs.setdefault("x-ratelimit-remaining", rem)
            hdrs.setdefault("x-ratelimit-used", 5000 - rem)
            hdrs.setdefault("x-ratelimit-reset", reset)
            hdrs.setdefault("x-ratelimit-resource", "core")
        else:
            hdrs.setdefault("RateLimit-Limit", 2000)
            hdrs.setdefault("RateLimit-Remaining", rem)
            hdrs.setdefault("RateLimit-Reset", reset)

    # -- GitHub -----------------------------------------------------------
    def github(self, path, query, body, hdrs):
        if path == "/graphql":
            return self.graphql(body)
        parts = path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "repos":
            raise Answer(404, {"message": "Not Found",
                               "documentation_url": GH_DOCS})
        slug = parts[1] + "/" + parts[2]
        repo = repo_dir(slug)
        if repo is None:
            raise Answer(404, {"message": "Not Found",
                               "documentation_url": GH_DOCS})
        rest, m = parts[3:], self.command
        pulls = state["pulls"].setdefault(slug, [])
        if rest == [] and m == "GET":
            return 200, {"id": 1, "name": parts[2], "full_name": slug,
                         "private": True,
                         "default_branch": default_branch(repo),
                         "html_url": self.base() + "/" + slug}
        if rest == ["pulls"] and m == "GET":
            st = query.get("state", ["open"])[0]
            head = query.get("head", [None])[0]
            out = [p for p in pulls
                   if (st == "all" or p["state"] == st) and
                   (head is None or p["head"]["label"] == head)]
            return 200, out
        if rest == ["pulls"] and m == "POST":
            return self.gh_create(slug, repo, pulls, body, hdrs)
        if len(rest) == 2 and rest[0] == "pulls" and rest[1].isdigit():
            p = self.gh_find(pulls, int(rest[1]))
            if m == "GET":
                return 200, p
            if m == "PATCH":
                self.gh_validate_body(body)
                for k in ("title", "body", "state", "base"):
                    if k in (body or {}):
                        if k == "base":
                            p["base"]["ref"] = body[k]
                        else:
                            p[k] = body[k]
                p["updated_at"] = self.now()
                return 200, p
        if len(rest) == 3 and rest[0] == "issues" and rest[2] == "labels" \
                and m == "POST" and rest[1].isdigit():
            p = self.gh_find(pulls, int(rest[1]))
            labels = (body or {}).get("labels")
            if not isinstance(labels, list) or \
                    not all(isinstance(x, str) and x for x in labels):
                raise Answer(422, {"message": "Validation Failed",
                                   "errors": [{"resource": "Label",
                                               "code": "invalid",
                                               "field": "labels"}]})
            for x in labels:
                if x not in [y["name"] for y in p["labels"]]:
                    p["labels"].append({"id": len(p["labels"]) + 1,
                                        "name": x, "color": "ededed"})
            return 200, p["labels"]
        raise Answer(404, {"message": "Not Found",
                           "documentation_url": GH_DOCS})

    def graphql(self, body):
        """The two draft mutations, as GitHub's GraphQL API answers them
        (errors inside a 200)."""
        if self.command != "POST" or not isinstance(body, dict) or \
                not isinstance(body.get("query"), str):
            raise Answer(400, {"message": "Problems parsing JSON"})
        q, var = body["query"], body.get("variables") or {}
        for mut, draft in (("markPullRequestReadyForReview", False),
                           ("convertPullRequestToDraft", True)):
            if mut in q:
                break
        else:
            return 200, {"errors": [{"message": "emulator: only the draft "
                                     "mutations are emulated"}]}
        node = var.get("id")
        for pulls in state["pulls"].values():
            for p in pulls:
                if p["node_id"] == node:
                    p["draft"] = draft
                    return 200, {"data": {mut: {"pullRequest": {
                        "isDraft": draft}}}}
        return 200, {"data": {mut: None}, "errors": [{
            "type": "NOT_FOUND", "path": [mut],
            "message": "Could not resolve to a node with the global id of "
            "'%s'" % node}]}

    def gh_find(self, pulls, n):
        for p in pulls:
            if p["number"] == n:
                return p
        raise Answer(404, {"message": "Not Found",
                           "documentation_url": GH_DOCS})

    def gh_validate_body(self, body):
        if not isinstance(body, dict):
            raise Answer(400, {"message": "Problems parsing JSON",
                               "documentation_url": GH_DOCS})
        b = body.get("body")
        if b is not None and (not isinstance(b, str) or
                              len(b) > GH_BODY_MAX):
            raise Answer(422, {"message": "Validation Failed", "errors": [{
                "resource": "PullRequest", "code": "custom",
                "field": "body", "message": "body is too long (maximum "
                "is 65536 characters)"}]})

    def gh_create(self, slug, repo, pulls, body, hdrs):
        self.gh_validate_body(body)
        owner = slug.split("/")[0]

        def invalid(field, code="invalid"):
            raise Answer(422, {"message": "Validation Failed", "errors": [{
                "resource": "PullRequest", "field": field, "code": code}],
                "documentation_url": GH_DOCS})
        title, head, base = body.get("title"), body.get("head"), \
            body.get("base")
        if not isinstance(title, str) or not title:
            invalid("title", "missing_field")
        if not isinstance(head, str) or not head:
            invalid("head", "missing_field")
        if not isinstance(base, str) or not base:
            invalid("base", "missing_field")
        if "draft" in body and not isinstance(body["draft"], bool):
            invalid("draft")
        branch = head.split(":", 1)[1] if ":" in head else head
        label = owner + ":" + branch
        sha = branch_sha(repo, branch)
        if sha is None:
            invalid("head")
        if branch_sha(repo, base) is None:
            invalid("base")
        for p in pulls:
            if p["state"] == "open" and p["head"]["label"] == label:
                raise Answer(422, {"message": "Validation Failed",
                                   "errors": [{"resource": "PullRequest",
                                               "code": "custom",
                                               "message": "A pull request "
                                               "already exists for " +
                                               label + "."}],
                                   "documentation_url": GH_DOCS})
        rc, n = git(repo, "rev-list", "--count", base + ".." + branch)
        if rc != 0 or n == "0":
            raise Answer(422, {"message": "Validation Failed", "errors": [{
                "resource": "PullRequest", "code": "custom",
                "message": "No commits between " + base + " and " + branch}],
                "documentation_url": GH_DOCS})
        p = self.gh_new(slug, branch, base, title, body.get("body"),
                        bool(body.get("draft", False)), sha)
        pulls.append(p)
        hdrs["Location"] = self.base() + "/repos/" + slug + "/pulls/" + \
            str(p["number"])
        return 201, p

    def gh_new(self, slug, branch, base, title, text, draft, sha):
        state["next_id"] += 1
        n = len(state["pulls"].setdefault(slug, [])) + 1
        return {"id": state["next_id"], "node_id": "PR_%d" % state["next_id"],
                "number": n, "state": "open", "title": title, "body": text,
                "draft": draft, "labels": [],
                "head": {"label": slug.split("/")[0] + ":" + branch,
                         "ref": branch, "sha": sha},
                "base": {"ref": base},
                "html_url": self.base() + "/" + slug + "/pull/" + str(n),
                "url": self.base() + "/repos/" + slug + "/pulls/" + str(n),
                "created_at": self.now(), "updated_at": self.now()}

    # -- GitLab -----------------------------------------------------------
    def gitlab(self, path, query, body, hdrs):
        parts = path[len("/api/v4/"):].split("/")
        if len(parts) < 2 or parts[0] != "projects":
            raise Answer(404, {"message": "404 Not Found"})
        pid = urllib.parse.unquote(parts[1])
        if pid == opts.gitlab_id or pid == opts.gitlab_project:
            slug = opts.gitlab_project
        else:
            raise Answer(404, {"message": "404 Project Not Found"})
        repo = repo_dir(slug)
        if repo is None:
            raise Answer(404, {"message": "404 Project Not Found"})
        rest, m = parts[2:], self.command
        mrs = state["mrs"].setdefault(slug, [])
        if rest == [] and m == "GET":
            return 200, {"id": int(opts.gitlab_id),
                         "path_with_namespace": slug,
                         "default_branch": default_branch(repo),
                         "web_url": self.base() + "/" + slug}
        if rest == ["merge_requests"] and m == "GET":
            st = query.get("state", ["all"])[0]
            src = query.get("source_branch", [None])[0]
            return 200, [x for x in mrs
                         if (st == "all" or x["state"] == st) and
                         (src is None or x["source_branch"] == src)]
        if rest == ["merge_requests"] and m == "POST":
            return self.gl_create(slug, repo, mrs, body)
        if len(rest) == 2 and rest[0] == "merge_requests" and \
                rest[1].isdigit() and m in ("GET", "PUT"):
            mr = None
            for x in mrs:
                if x["iid"] == int(rest[1]):
                    mr = x
            if mr is None:
                raise Answer(404, {"message": "404 Not found"})
            if m == "PUT":
                self.gl_validate(body)
                for k in ("title", "description"):
                    if k in body:
                        mr[k] = body[k]
                if "labels" in body:
                    mr["labels"] = [x for x in body["labels"].split(",")
                                    if x]
                for x in body.get("add_labels", "").split(","):
                    if x and x not in mr["labels"]:
                        mr["labels"].append(x)
                mr["draft"] = mr["title"].startswith("Draft:")
                mr["updated_at"] = self.now()
            return 200, mr
        raise Answer(404, {"message": "404 Not Found"})

    def gl_validate(self, body):
        if not isinstance(body, dict):
            raise Answer(400, {"error": "body is not a JSON object"})
        d = body.get("description")
        if d is not None and (not isinstance(d, str) or
                              len(d) > GL_DESC_MAX):
            raise Answer(400, {"message": {"description": [
                "is too long (maximum is 1048576 characters)"]}})

    def gl_create(self, slug, repo, mrs, body):
        self.gl_validate(body)
        for k in ("source_branch", "target_branch", "title"):
            if not isinstance(body.get(k), str) or not body[k]:
                raise Answer(400, {"error": k + " is missing"})
        src, dst = body["source_branch"], body["target_branch"]
        sha = branch_sha(repo, src)
        if sha is None:
            raise Answer(422, {"message": ["Source branch \"%s\" does not "
                                           "exist" % src]})
        if branch_sha(repo, dst) is None:
            raise Answer(422, {"message": ["Target branch \"%s\" does not "
                                           "exist" % dst]})
        for x in mrs:
            if x["state"] == "opened" and x["source_branch"] == src:
                raise Answer(409, {"message": [
                    "Another open merge request already exists for this "
                    "source branch: !%d" % x["iid"]]})
        mr = self.gl_new(slug, src, dst, body["title"],
                         body.get("description"), sha)
        if isinstance(body.get("labels"), str):
            mr["labels"] = [x for x in body["labels"].split(",") if x]
        mrs.append(mr)
        return 201, mr

    def gl_new(self, slug, src, dst, title, desc, sha):
        state["next_id"] += 1
        n = len(state["mrs"].setdefault(slug, [])) + 1
        return {"id": state["next_id"], "iid": n,
                "project_id": int(opts.gitlab_id), "title": title,
                "description": desc, "state": "opened",
                "source_branch": src, "target_branch": dst, "sha": sha,
                "draft": title.startswith("Draft:"), "labels": [],
                "web_url": self.base() + "/" + slug + "/-/merge_requests/" +
                str(n), "created_at": self.now(),
                "updated_at": self.now()}

    # -- git smart HTTP ---------------------------------------------------
    def git_http(self, u, raw):
        entry = {"service": "git", "method": self.command, "path": u.path,
                 "query": u.query}
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode() \
                    .partition(":")
            except ValueError:
                user, pw = None, None
            if pw not in (opts.token, opts.gitlab_token) or not user:
                user = None
                entry["auth"] = "bad"
        else:
            entry["auth"] = "missing"
        if user is None:
            entry["status"] = 401
            self.note(entry)
            return self.send(401, "Authentication failed\n",
                             {"WWW-Authenticate": 'Basic realm="emu-forge"'})
        entry["user"] = user
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "GIT_PROJECT_ROOT": opts.git_root, "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": u.path, "QUERY_STRING": u.query,
               "REQUEST_METHOD": self.command, "REMOTE_USER": user,
               "REMOTE_ADDR": "127.0.0.1",
               "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(raw)),
               "GIT_CONFIG_NOSYSTEM": "1", "HOME": opts.git_root}
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        r = subprocess.run([opts.http_backend], input=raw, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = r.stdout
        sep = out.find(b"\r\n\r\n")
        sl = 4
        if sep < 0:
            sep, sl = out.find(b"\n\n"), 2
        head, data = (out[:sep], out[sep + sl:]) if sep >= 0 else (b"", out)
        status, hdrs, ctype = 200, {}, "application/octet-stream"
        for line in head.decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            k, v = k.strip(), v.strip()
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k.lower() == "content-type":
                ctype = v
            elif k:
                hdrs[k] = v
        entry["status"] = status
        self.note(entry)
        self.send(status, data, hdrs, ctype)

    # -- control ----------------------------------------------------------
    def control(self, path, raw):
        with lock:
            if path == "/_emu/log":
                data = "".join(json.dumps(x) + "\n" for x in state["log"])
                return self.send(200, data.encode(), ctype="application/"
                                 "x-ndjson")
            if path == "/_emu/script" and self.command == "POST":
                try:
                    s = json.loads(raw)
                    faults = s.get("faults", [])
                    assert isinstance(faults, list)
                except (ValueError, AssertionError, AttributeError):
                    return self.send(400, {"message": "bad script"})
                state["faults"], state["fired"] = faults, {}
                state["limited_until"] = {"github": 0, "gitlab": 0}
                state["remaining"] = {"github": 5000, "gitlab": 2000}
                return self.send(200, {"ok": True})
            if path == "/_emu/pulls" and self.command == "GET":
                return self.send(200, {"github": state["pulls"],
                                       "gitlab": state["mrs"]})
            if path == "/_emu/pulls" and self.command == "POST":
                # a pull request someone else opened
                b = json.loads(raw)
                repo = repo_dir(b["repo"])
                sha = branch_sha(repo, b["head"]) if repo else None
                if b.get("service", "github") == "github":
                    p = self.gh_new(b["repo"], b["head"], b["base"],
                                    b["title"], b.get("body"),
                                    b.get("draft", False), sha)
                    state["pulls"].setdefault(b["repo"], []).append(p)
                else:
                    p = self.gl_new(b["repo"], b["head"], b["base"],
                                    b["title"], b.get("body"), sha)
                    state["mrs"].setdefault(b["repo"], []).append(p)
                return self.send(201, p)
            if path == "/_emu/ping":
                return self.send(200, {"ok": True})
        return self.send(404, {"message": "no such control endpoint"})

    def base(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    @staticmethod
    def now():
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def main():
    global opts
    ap = argparse.ArgumentParser(prog="emu-forge")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--script")
    ap.add_argument("--git-root", required=True)
    ap.add_argument("--token", default=os.environ.get("EMU_GH_TOKEN",
                                                      "ghp_test"))
    ap.add_argument("--gitlab-token", default=os.environ.get(
        "EMU_GL_TOKEN", "glpat-test"))
    ap.add_argument("--gitlab-project", default="group/repo")
    ap.add_argument("--gitlab-id", default="7")
    ap.add_argument("--http-backend", default="/usr/lib/git-core/"
                    "git-http-backend")
    ap.add_argument("-v", dest="verbose", action="store_true")
    opts = ap.parse_args()
    if opts.script:
        with open(opts.script) as fp:
            state["faults"] = json.load(fp).get("faults", [])
    srv = ThreadingHTTPServer(("127.0.0.1", opts.port), Handler)
    srv.daemon_threads = True
    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w") as fp:
            fp.write("%d\n" % srv.server_address[1])
        os.rename(tmp, opts.port_file)
    import signal
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(
        target=srv.shutdown).start())
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    srv.server_close()


if __name__ == "__main__":
    main()
