#!/usr/bin/env python3
# linear-emu: a local emulator of the subset of Linear's GraphQL API that
# aas-notify --linear uses, for the tests.  127.0.0.1 only.  See README.md.
import argparse
import json
import os
import socket
import struct
import sys
import threading
import time
import uuid as uuidlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20          # bytes of a request body
MAX_COMPLEXITY = 10000      # points of one query
LIST_COST = 50              # a connection counts as this many nodes

LOCK = threading.Lock()
STATE = {}
LOG = []
ARGS = None


def reset_state(script):
    STATE.clear()
    STATE["teams"] = script.get("teams", [])
    STATE["issues"] = []
    STATE["comments"] = []
    STATE["faults"] = script.get("faults", [])
    STATE["seq"] = 0
    STATE["limit"] = script.get("rate_limit", 1500)
    for iss in script.get("issues", []):
        STATE["issues"].append(dict(iss))


def log(entry):
    LOG.append(entry)
    if ARGS.log:
        with open(ARGS.log, "a") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")


# ---------------------------------------------------------------- GraphQL
class GqlError(Exception):
    def __init__(self, msg, code="GRAPHQL_VALIDATION_FAILED"):
        super().__init__(msg)
        self.code = code


PUNCT = "{}()[]:!$=,@|&"


def lex(src):
    toks, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if c in " \t\r\n,":
            i += 1
        elif c == "#":
            while i < n and src[i] != "\n":
                i += 1
        elif src.startswith("...", i):
            toks.append(("p", "..."))
            i += 3
        elif c in PUNCT:
            toks.append(("p", c))
            i += 1
        elif c == '"':
            j, out = i + 1, []
            while j < n and src[j] != '"':
                if src[j] == "\\":
                    j += 1
                    esc = src[j] if j < n else ""
                    if esc == "u":
                        out.append(chr(int(src[j + 1:j + 5], 16)))
                        j += 4
                    else:
                        out.append({"n": "\n", "t": "\t", "r": "\r",
                                    "b": "\b", "f": "\f"}.get(esc, esc))
                elif src[j] == "\n":
                    raise GqlError("Syntax Error: Unterminated string.")
                else:
                    out.append(src[j])
                j += 1
            if j >= n:
                raise GqlError("Syntax Error: Unterminated string.")
            toks.append(("s", "".join(out)))
            i = j + 1
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            toks.append(("n", src[i:j]))
            i = j
        elif c.isdigit() or c == "-":
            j = i + 1
            while j < n and (src[j].isdigit() or src[j] in ".eE+-"):
                j += 1
            t = src[i:j]
            toks.append(("f" if any(x in t for x in ".eE") else "i", t))
            i = j
        else:
            raise GqlError('Syntax Error: Unexpected character: "%s".' % c)
    toks.append(("eof", None))
    return toks


class Parser:
    def __init__(self, src):
        self.t = lex(src)
        self.i = 0

    def peek(self):
        return self.t[self.i]

    def take(self, kind=None, val=None):
        k, v = self.t[self.i]
        if (kind and k != kind) or (val is not None and v != val):
            want = val if val is not None else kind
            got = "<EOF>" if k == "eof" else '"%s"' % v
            raise GqlError("Syntax Error: Expected %s, found %s." %
                           (want, got))
        self.i += 1
        return v

    def is_p(self, v):
        return self.t[self.i] == ("p", v)

    def document(self):
        ops = []
        while self.peek()[0] != "eof":
            ops.append(self.operation())
        if len(ops) != 1:
            raise GqlError("this emulator takes one operation per request")
        return ops[0]

    def operation(self):
        op = {"type": "query", "name": None, "vars": {}}
        if self.peek() == ("n", "query") or self.peek() == ("n", "mutation"):
            op["type"] = self.take("n")
            if self.peek()[0] == "n":
                op["name"] = self.take("n")
            if self.is_p("("):
                self.take("p", "(")
                while not self.is_p(")"):
                    self.take("p", "$")
                    name = self.take("n")
                    self.take("p", ":")
                    op["vars"][name] = self.type_ref()
                    if self.is_p("="):
                        self.take("p", "=")
                        self.value(const=True)
                self.take("p", ")")
        op["sel"] = self.selection_set()
        return op

    def type_ref(self):
        if self.is_p("["):
            self.take("p", "[")
            inner = self.type_ref()
            self.take("p", "]")
            t = "[" + inner + "]"
        else:
            t = self.take("n")
        if self.is_p("!"):
            self.take("p", "!")
            t += "!"
        return t

    def selection_set(self):
        self.take("p", "{")
        sel = []
        while not self.is_p("}"):
            if self.is_p("..."):
                raise GqlError("fragments are not emulated")
            name = self.take("n")
            alias = None
            if self.is_p(":"):
                self.take("p", ":")
                alias, name = name, self.take("n")
            args = {}
            if self.is_p("("):
                self.take("p", "(")
                while not self.is_p(")"):
                    an = self.take("n")
                    self.take("p", ":")
                    args[an] = self.value()
                self.take("p", ")")
            sub = self.selection_set() if self.is_p("{") else None
            sel.append({"name": name, "alias": alias or name, "args": args,
                        "sel": sub})
        self.take("p", "}")
        if not sel:
            raise GqlError("Syntax Error: Expected Name, found \"}\".")
        return sel

    def value(self, const=False):
        k, v = self.peek()
        if k == "p" and v == "$" and not const:
            self.take()
            return ("var", self.take("n"))
        if k == "s":
            self.take()
            return v
        if k == "i":
            self.take()
            return int(v)
        if k == "f":
            self.take()
            return float(v)
        if k == "n":
            self.take()
            return {"true": True, "false": False, "null": None}.get(v, v)
        if k == "p" and v == "[":
            self.take()
            out = []
            while not self.is_p("]"):
                out.append(self.value(const))
            self.take("p", "]")
            return out
        if k == "p" and v == "{":
            self.take()
            out = {}
            while not self.is_p("}"):
                n = self.take("n")
                self.take("p", ":")
                out[n] = self.value(const)
            self.take("p", "}")
            return out
        raise GqlError("Syntax Error: Unexpected %s." % v)


# The schema subset: type -> field -> (type, list?, {arg: type})
SCHEMA = {
    "Query": {
        "teams": ("TeamConnection", {"filter": "TeamFilter", "first": "Int"}),
        "workflowStates": ("WorkflowStateConnection",
                           {"filter": "WorkflowStateFilter", "first": "Int"}),
        "issue": ("Issue", {"id": "String!"}),
        "issues": ("IssueConnection", {"filter": "IssueFilter",
                                       "first": "Int"}),
        "comment": ("Comment", {"id": "String"}),
    },
    "Mutation": {
        "issueCreate": ("IssuePayload", {"input": "IssueCreateInput!"}),
        "issueUpdate": ("IssuePayload", {"id": "String!",
                                         "input": "IssueUpdateInput!"}),
        "commentCreate": ("CommentPayload", {"input": "CommentCreateInput!"}),
    },
    "TeamConnection": {"nodes": ("[Team]", {})},
    "WorkflowStateConnection": {"nodes": ("[WorkflowState]", {})},
    "IssueConnection": {"nodes": ("[Issue]", {})},
    "Team": {"id": ("ID", {}), "key": ("String", {}), "name": ("String", {})},
    "WorkflowState": {"id": ("ID", {}), "name": ("String", {}),
                      "type": ("String", {}), "position": ("Float", {}),
                      "team": ("Team", {})},
    "Issue": {"id": ("ID", {}), "identifier": ("String", {}),
              "url": ("String", {}), "title": ("String", {}),
              "description": ("String", {}), "number": ("Float", {}),
              "team": ("Team", {}), "state": ("WorkflowState", {})},
    "Comment": {"id": ("ID", {}), "body": ("String", {}),
                "url": ("String", {}), "issue": ("Issue", {})},
    "IssuePayload": {"success": ("Boolean", {}), "issue": ("Issue", {}),
                     "lastSyncId": ("Float", {})},
    "CommentPayload": {"success": ("Boolean", {}),
                       "comment": ("Comment", {}),
                       "lastSyncId": ("Float", {})},
}
INPUTS = {
    "IssueCreateInput": {"id", "teamId", "title", "description", "stateId",
                         "priority", "labelIds", "parentId"},
    "IssueUpdateInput": {"stateId", "title", "description", "priority"},
    "CommentCreateInput": {"id", "issueId", "body"},
}
SCALARS = {"ID", "String", "Int", "Float", "Boolean"}


def base(t):
    return t.strip("[]!")


def validate(sel, tname, cost):
    fields = SCHEMA[tname]
    n = 0
    for f in sel:
        if f["name"] == "__typename":
            n += 1
            continue
        if f["name"] not in fields:
            raise GqlError('Cannot query field "%s" on type "%s".' %
                           (f["name"], tname))
        ftype, fargs = fields[f["name"]]
        for a in f["args"]:
            if a not in fargs:
                raise GqlError('Unknown argument "%s" on field "%s.%s".' %
                               (a, tname, f["name"]))
        for a, at in fargs.items():
            if at.endswith("!") and a not in f["args"]:
                raise GqlError('Field "%s" argument "%s" of type "%s" is '
                               'required, but it was not provided.' %
                               (f["name"], a, at))
        bt = base(ftype)
        if bt in SCALARS:
            if f["sel"] is not None:
                raise GqlError('Field "%s" must not have a selection since '
                               'type "%s" has no subfields.' %
                               (f["name"], bt))
            n += 1
        else:
            if f["sel"] is None:
                raise GqlError('Field "%s" of type "%s" must have a '
                               'selection of subfields.' % (f["name"], bt))
            mult = LIST_COST if ftype.startswith("[") else 1
            n += 1 + mult * validate(f["sel"], bt, cost)
    return n


def subst(v, variables, used):
    if isinstance(v, tuple) and v[0] == "var":
        used.add(v[1])
        if v[1] not in variables:
            raise GqlError('Variable "$%s" is not defined.' % v[1])
        return variables[v[1]]
    if isinstance(v, list):
        return [subst(x, variables, used) for x in v]
    if isinstance(v, dict):
        return {k: subst(x, variables, used) for k, x in v.items()}
    return v


class UserError(Exception):
    def __init__(self, msg, present, typ="invalid input", code="INPUT_ERROR"):
        super().__init__(msg)
        self.present = present
        self.typ = typ
        self.code = code


def team_by(pred):
    for t in STATE["teams"]:
        if pred(t):
            return t
    return None


def state_by_id(sid):
    for t in STATE["teams"]:
        for s in t.get("states", []):
            if s["id"] == sid:
                return t, s
    return None, None


def issue_find(key):
    for i in STATE["issues"]:
        if i["id"] == key or i["identifier"] == key:
            return i
    return None


def match(filt, obj):
    """Linear filters: {field: {eq: v}} and nested {team: {id: {eq}}}."""
    if not filt:
        return True
    for k, cond in filt.items():
        val = obj.get(k)
        if k == "team" and isinstance(cond, dict):
            t = team_by(lambda x: x["id"] == obj.get("teamId"))
            if t is None or not match(cond, t):
                return False
            continue
        if not isinstance(cond, dict):
            raise UserError("Invalid filter", "Invalid filter.")
        for op, want in cond.items():
            if op == "eq" and val != want:
                return False
            if op == "in" and val not in want:
                return False
            if op not in ("eq", "in"):
                raise UserError("Unsupported comparator %s" % op,
                                "Invalid filter.")
    return True


def issue_obj(i):
    t = team_by(lambda x: x["id"] == i["teamId"])
    _, s = state_by_id(i["stateId"])
    o = dict(i)
    o["team"] = t
    o["state"] = dict(s, team=t) if s else None
    return o


def check_input(name, val):
    if not isinstance(val, dict):
        raise UserError("Argument Validation Error",
                        "Argument Validation Error", code="INVALID_INPUT")
    for k in val:
        if k not in INPUTS[name]:
            raise GqlError('Field "%s" is not defined by type "%s".' %
                           (k, name))


def resolve_root(f, args):
    name = f["name"]
    if name == "teams":
        return {"nodes": [t for t in STATE["teams"]
                          if match((args.get("filter") or {}), t)]}
    if name == "workflowStates":
        filt = dict(args.get("filter") or {})
        tf = filt.pop("team", None)
        out = []
        for t in STATE["teams"]:
            if tf and not match(tf, t):
                continue
            for s in t.get("states", []):
                if match(filt, s):
                    out.append(dict(s, team=t))
        return {"nodes": out}
    if name == "issue":
        i = issue_find(args["id"])
        if i is None:
            raise UserError("Entity not found: Issue",
                            "Could not find referenced Issue.")
        return issue_obj(i)
    if name == "issues":
        return {"nodes": [issue_obj(i) for i in STATE["issues"]
                          if match(args.get("filter") or {}, i)]}
    if name == "comment":
        for c in STATE["comments"]:
            if c["id"] == args.get("id"):
                return dict(c, issue=issue_obj(issue_find(c["issueId"])))
        raise UserError("Entity not found: Comment",
                        "Could not find referenced Comment.")
    if name == "issueCreate":
        inp = args["input"]
        check_input("IssueCreateInput", inp)
        t = team_by(lambda x: x["id"] == inp.get("teamId"))
        if t is None:
            raise UserError("Argument Validation Error",
                            "Team not found.", code="INVALID_INPUT")
        if not inp.get("title"):
            raise UserError("Argument Validation Error",
                            "Title is required.", code="INVALID_INPUT")
        iid = inp.get("id") or str(uuidlib.uuid4())
        try:
            if uuidlib.UUID(iid).version != 4:
                raise ValueError
        except ValueError:
            raise UserError("Argument Validation Error",
                            "id must be a UUID v4.", code="INVALID_INPUT")
        if issue_find(iid) is not None:
            raise UserError("Entity already exists: Issue",
                            "An issue with this id already exists.",
                            code="INVALID_INPUT")
        sid = inp.get("stateId")
        if sid is None:
            states = sorted((s for s in t.get("states", [])
                             if s["type"] in ("backlog", "unstarted")),
                            key=lambda s: s.get("position", 0))
            sid = states[0]["id"] if states else None
        elif state_by_id(sid)[0] is not t:
            raise UserError("Argument Validation Error",
                            "State not found in team.", code="INVALID_INPUT")
        t["counter"] = t.get("counter", 0) + 1
        ident = "%s-%d" % (t["key"], t["counter"])
        i = {"id": iid, "identifier": ident, "number": t["counter"],
             "url": "https://linear.app/emu/issue/%s" % ident.lower(),
             "title": inp["title"], "description": inp.get("description"),
             "teamId": t["id"], "stateId": sid}
        STATE["issues"].append(i)
        STATE["seq"] += 1
        return {"success": True, "issue": issue_obj(i),
                "lastSyncId": STATE["seq"]}
    if name == "issueUpdate":
        inp = args["input"]
        check_input("IssueUpdateInput", inp)
        i = issue_find(args["id"])
        if i is None:
            raise UserError("Entity not found: Issue",
                            "Could not find referenced Issue.")
        if "stateId" in inp:
            t, _ = state_by_id(inp["stateId"])
            if t is None or t["id"] != i["teamId"]:
                raise UserError("Argument Validation Error",
                                "State not found in team.",
                                code="INVALID_INPUT")
            i["stateId"] = inp["stateId"]
        for k in ("title", "description"):
            if k in inp:
                i[k] = inp[k]
        STATE["seq"] += 1
        return {"success": True, "issue": issue_obj(i),
                "lastSyncId": STATE["seq"]}
    if name == "commentCreate":
        inp = args["input"]
        check_input("CommentCreateInput", inp)
        i = issue_find(inp.get("issueId") or "")
        if i is None:
            raise UserError("Entity not found: Issue",
                            "Could not find referenced Issue.")
        if not inp.get("body"):
            raise UserError("Argument Validation Error",
                            "Body is required.", code="INVALID_INPUT")
        cid = inp.get("id") or str(uuidlib.uuid4())
        if any(c["id"] == cid for c in STATE["comments"]):
            raise UserError("Entity already exists: Comment",
                            "A comment with this id already exists.",
                            code="INVALID_INPUT")
        c = {"id": cid, "issueId": i["id"], "body": inp["body"],
             "url": i["url"] + "#comment-" + cid[:8]}
        STATE["comments"].append(c)
        STATE["seq"] += 1
        return {"success": True, "comment": dict(c, issue=issue_obj(i)),
                "lastSyncId": STATE["seq"]}
    raise GqlError("unknown field " + name)


def shape(obj, sel, tname):
    if obj is None:
        return None
    out = {}
    for f in sel:
        if f["name"] == "__typename":
            out[f["alias"]] = tname
            continue
        ftype, _ = SCHEMA[tname][f["name"]]
        v = obj.get(f["name"])
        bt = base(ftype)
        if f["sel"] is None:
            out[f["alias"]] = v
        elif ftype.startswith("["):
            out[f["alias"]] = [shape(x, f["sel"], bt) for x in (v or [])]
        else:
            out[f["alias"]] = shape(v, f["sel"], bt)
    return out


def execute(op, variables):
    root = "Mutation" if op["type"] == "mutation" else "Query"
    for v, t in op["vars"].items():
        if t.endswith("!") and variables.get(v) is None:
            raise GqlError('Variable "$%s" of required type "%s" was not '
                           'provided.' % (v, t))
    cost = validate(op["sel"], root, 0)
    if cost > MAX_COMPLEXITY:
        raise GqlError("Query too complex: %d points, the limit is %d" %
                       (cost, MAX_COMPLEXITY), code="QUERY_TOO_COMPLEX")
    used = set()
    resolved = []
    for f in op["sel"]:
        resolved.append((f, subst(f["args"], variables, used)))
    for v in op["vars"]:
        if v not in used:
            raise GqlError('Variable "$%s" is never used.' % v)
    data, errors = {}, []
    for f, args in resolved:
        if f["name"] == "__typename":
            data[f["alias"]] = root
            continue
        ftype, _ = SCHEMA[root][f["name"]]
        try:
            data[f["alias"]] = shape(resolve_root(f, args), f["sel"],
                                     base(ftype))
        except UserError as ue:
            data = None
            errors.append({"message": str(ue), "path": [f["alias"]],
                           "extensions": {"type": ue.typ, "code": ue.code,
                                          "userError": True,
                                          "userPresentableMessage":
                                          ue.present}})
            break
    return cost, data, errors


# ---------------------------------------------------------------- HTTP
def auth_error():
    return {"errors": [{
        "message": "Authentication required, not authenticated",
        "extensions": {"type": "authentication error",
                       "code": "AUTHENTICATION_ERROR", "statusCode": 401,
                       "userError": True,
                       "userPresentableMessage":
                       "You need to authenticate to access this operation."
                       }}]}


def ratelimit_error():
    return {"errors": [{
        "message": "Rate limit exceeded",
        "extensions": {"type": "ratelimited", "code": "RATELIMITED",
                       "statusCode": 429, "userError": True,
                       "userPresentableMessage":
                       "You have exceeded the rate limit. "
                       "Please try again later."}}]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "linear-emu"

    def log_message(self, fmt, *a):
        pass

    def reply(self, status, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        now = int(time.time() * 1000)
        self.send_header("X-RateLimit-Requests-Limit", str(STATE["limit"]))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if not extra or "X-RateLimit-Requests-Remaining" not in extra:
            self.send_header("X-RateLimit-Requests-Remaining",
                             str(STATE["limit"] - 1))
            self.send_header("X-RateLimit-Requests-Reset", str(now + 3600000))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def do_GET(self):
        if self.path == "/_emu/log":
            with LOCK:
                body = "".join(json.dumps(e, sort_keys=True) + "\n"
                               for e in LOG)
            self.raw(200, body)
        elif self.path == "/_emu/issues":
            with LOCK:
                body = json.dumps({"issues": STATE["issues"],
                                   "comments": STATE["comments"]},
                                  sort_keys=True)
            self.raw(200, body + "\n")
        else:
            with LOCK:
                log({"method": "GET", "path": self.path, "status": 400})
            self.reply(400, {"errors": [{
                "message": "GET query missing.",
                "extensions": {"code": "BAD_USER_INPUT"}}]})

    def raw(self, status, text):
        b = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            with LOCK:
                log({"method": "POST", "path": self.path, "status": 413})
            self.close_connection = True
            self.reply(413, {"errors": [{
                "message": "Request entity too large",
                "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]})
            return
        raw = self.rfile.read(n)
        if self.path == "/_emu/script":
            with LOCK:
                reset_state(json.loads(raw))
                LOG.clear()
            self.raw(200, "")
            return
        if self.path == "/_emu/fault":
            with LOCK:
                STATE["faults"].append(json.loads(raw))
            self.raw(200, "")
            return
        entry = {"method": "POST", "path": self.path}
        with LOCK:
            status, obj, extra, after = self.handle_gql(raw, entry)
            log(entry)
        if after == "reset_before":
            self.reset()
            return
        if after and after.startswith("stall"):
            time.sleep(float(after.split(":")[1]))
        if after == "reset_after":
            self.reset()
            return
        self.reply(status, obj, extra)

    def take_fault(self, field):
        for f in STATE["faults"]:
            if f.get("times", 1) > 0 and f.get("match", "*") in ("*", field):
                f["times"] = f.get("times", 1) - 1
                return f
        return None

    def handle_gql(self, raw, entry):
        auth = self.headers.get("Authorization")
        entry["auth"] = ("none" if auth is None else
                         "ok" if auth == ARGS.key else "bad")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0]
        if self.path != "/graphql":
            entry["status"] = 404
            return 404, {"errors": [{"message": "Not found"}]}, None, None
        if ctype.strip().lower() != "application/json":
            entry["status"] = 400
            return 400, {"errors": [{
                "message": "POST body missing, invalid Content-Type, or "
                "JSON object has no keys.",
                "extensions": {"code": "BAD_REQUEST"}}]}, None, None
        if entry["auth"] != "ok":
            entry["status"] = 400
            return 400, auth_error(), None, None
        try:
            req = json.loads(raw)
            q = req["query"]
            variables = req.get("variables") or {}
            if not isinstance(q, str) or not isinstance(variables, dict):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            entry["status"] = 400
            return 400, {"errors": [{
                "message": "POST body sent invalid JSON.",
                "extensions": {"code": "BAD_REQUEST"}}]}, None, None
        entry["variables"] = variables
        try:
            op = Parser(q).document()
        except GqlError as ge:
            entry["status"] = 400
            return 400, {"errors": [{"message": str(ge), "extensions": {
                "code": "GRAPHQL_PARSE_FAILED"}}]}, None, None
        entry["op"] = op["type"]
        entry["fields"] = [f["name"] for f in op["sel"]]
        fault = self.take_fault(entry["fields"][0])
        after = None
        if fault is not None:
            act = fault["action"]
            entry["fault"] = act
            if act == "status":
                entry["status"] = fault["status"]
                return fault["status"], fault.get("body", {"errors": [{
                    "message": "Internal server error"}]}), None, None
            if act == "ratelimit":
                reset = int(time.time() * 1000) + fault.get("reset_ms", 300)
                entry["status"] = 400
                return 400, ratelimit_error(), {
                    "X-RateLimit-Requests-Remaining": "0",
                    "X-RateLimit-Requests-Reset": str(reset)}, None
            if act == "error200":
                entry["status"] = 200
                return 200, {"data": None, "errors": [{
                    "message": fault.get("message", "Internal error"),
                    "extensions": {"type": "internal error",
                                   "code": "INTERNAL_ERROR",
                                   "userPresentableMessage":
                                   fault.get("message", "Internal error")
                                   }}]}, None, None
            if act == "reset":
                entry["status"] = 0
                return 0, None, None, "reset_before"
            after = {"reset_after": "reset_after",
                     "stall": "stall:%s" % fault.get("seconds", 30)}[act]
        try:
            cost, data, errors = execute(op, variables)
        except GqlError as ge:
            entry["status"] = 400
            return 400, {"errors": [{"message": str(ge), "extensions": {
                "code": ge.code}}]}, None, None
        entry["status"] = 200
        entry["complexity"] = cost
        out = {"data": data}
        if errors:
            out["errors"] = errors
            entry["errors"] = [e["message"] for e in errors]
        return 200, out, None, after


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--script")
    ap.add_argument("--key", default=os.environ.get("LINEAR_EMU_KEY",
                                                    "lin_api_test"))
    ARGS = ap.parse_args()
    script = {}
    if ARGS.script:
        with open(ARGS.script) as f:
            script = json.load(f)
    reset_state(script)
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    if ARGS.port_file:
        tmp = ARGS.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, ARGS.port_file)
    import signal
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(
        target=srv.shutdown).start())
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
