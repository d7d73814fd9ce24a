#!/usr/bin/env python3
"""emu-chat: a local receiver for aas-notify's webhook, Slack and Discord
targets, as strict as the services (tests only, 127.0.0.1 only).

  POST /hook/NAME                      a Standard Webhooks receiver
  POST /services/TEAM/BOT/TOKEN        a Slack incoming webhook
  POST /api/webhooks/ID/TOKEN[?wait=]  a Discord webhook
  POST /_emu/fault                     queue faults, one "SVC KIND" a line:
                                       SVC webhook|slack|discord, KIND 429,
                                       500, 502, 503, 400, 404, 410, reset

Every request is one line of the --log file (NDJSON): svc, method, path,
status, fault, the headers that matter, body (parsed JSON or text), and for
webhooks sig (true/false/null: no secret configured) and dup (a webhook-id
seen before with a 2xx answer).
"""
import argparse
import base64
import collections
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
FAULTS = collections.defaultdict(collections.deque)
SEEN_IDS = set()
MSG_ID = [1000]
ARGS = None


def cps(s):
    return len(s) if isinstance(s, str) else 0


def slack_check(body):
    """None when Slack would take the body, else its error word."""
    if not isinstance(body, dict):
        return "invalid_payload"
    text, blocks = body.get("text"), body.get("blocks")
    if not text and not blocks:
        return "no_text"
    if blocks is not None:
        if not isinstance(blocks, list) or len(blocks) > 50:
            return "invalid_blocks"
        for b in blocks:
            if not isinstance(b, dict) or b.get("type") not in (
                    "section", "context", "header", "divider"):
                return "invalid_blocks"
            t = b.get("text")
            if b["type"] == "section":
                if (not isinstance(t, dict) or t.get("type") not in
                        ("mrkdwn", "plain_text") or
                        not isinstance(t.get("text"), str) or
                        not 1 <= cps(t["text"]) <= 3000):
                    return "invalid_blocks"
            if b["type"] == "context":
                els = b.get("elements")
                if not isinstance(els, list) or not 1 <= len(els) <= 10:
                    return "invalid_blocks"
    return None


def discord_check(body):
    """None, or (code, message) as Discord answers a bad body."""
    if not isinstance(body, dict):
        return (50109, "The request body contains invalid JSON.")
    content, embeds = body.get("content"), body.get("embeds") or []
    if not content and not embeds:
        return (50006, "Cannot send an empty message")
    if content is not None and (not isinstance(content, str) or
                                cps(content) > 2000):
        return (50035, "Invalid Form Body: content")
    if not isinstance(embeds, list) or len(embeds) > 10:
        return (50035, "Invalid Form Body: embeds")
    total = 0
    for e in embeds:
        for key, lim in (("title", 256), ("description", 4096)):
            if cps(e.get(key)) > lim:
                return (50035, "Invalid Form Body: embeds.%s" % key)
            total += cps(e.get(key))
        fields = e.get("fields") or []
        if len(fields) > 25:
            return (50035, "Invalid Form Body: embeds.fields")
        for f in fields:
            if not f.get("name") or not f.get("value") or \
                    cps(f["name"]) > 256 or cps(f["value"]) > 1024:
                return (50035, "Invalid Form Body: embeds.fields")
            total += cps(f["name"]) + cps(f["value"])
        foot = (e.get("footer") or {}).get("text")
        if cps(foot) > 2048:
            return (50035, "Invalid Form Body: embeds.footer")
        total += cps(foot)
    if total > 6000:
        return (50035, "Invalid Form Body: embeds: more than 6000")
    am = body.get("allowed_mentions")
    if am is not None and not isinstance(am, dict):
        return (50035, "Invalid Form Body: allowed_mentions")
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def answer(self, status, body=b"", ctype="text/plain", headers=()):
        if isinstance(body, (dict, list)):
            body, ctype = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if status != 204:
            self.wfile.write(body)

    def reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def log(self, **kw):
        hdr = {k: self.headers.get(k) for k in (
            "content-type", "user-agent", "webhook-id",
            "webhook-timestamp", "webhook-signature") if
            self.headers.get(k) is not None}
        rec = dict(svc=kw.pop("svc"), method=self.command, path=self.path,
                   headers=hdr, **kw)
        with LOCK:
            with open(ARGS.log, "a") as f:
                f.write(json.dumps(rec) + "\n")

    def do_GET(self):
        self.answer(405, "method not allowed")

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        if n > ARGS.max_body:
            self.log(svc="any", status=413, fault=None, body=None)
            self.answer(413, "payload too large")
            return
        raw = self.rfile.read(n)
        path = self.path.split("?")[0]
        parts = path.strip("/").split("/")
        if path == "/_emu/fault":
            with LOCK:
                for line in raw.decode().splitlines():
                    w = line.split()
                    if len(w) == 2:
                        FAULTS[w[0]].append(w[1])
            self.answer(200, "ok")
            return
        if parts[0] == "hook":
            svc = "webhook"
        elif parts[0] == "services" and len(parts) == 4:
            svc = "slack"
        elif parts[:2] == ["api", "webhooks"] and len(parts) == 4:
            svc = "discord"
        else:
            self.log(svc="other", status=404, fault=None, body=None)
            self.answer(404, "not found")
            return
        with LOCK:
            fault = FAULTS[svc].popleft() if FAULTS[svc] else None
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        if fault == "reset":
            self.log(svc=svc, status=0, fault=fault, body=body)
            self.reset()
            return
        getattr(self, svc)(parts, body, raw, fault)

    def fault_answer(self, svc, fault, body):
        st = int(fault)
        if svc == "discord" and st == 429:
            self.log(svc=svc, status=st, fault=fault, body=body)
            self.answer(429, {"message": "You are being rate limited.",
                              "retry_after": 0.25, "global": False},
                        headers=(("Retry-After", "1"),
                                 ("X-RateLimit-Limit", "5"),
                                 ("X-RateLimit-Remaining", "0"),
                                 ("X-RateLimit-Reset-After", "0.25"),
                                 ("X-RateLimit-Scope", "shared")))
            return
        if svc == "discord" and st == 404:
            self.log(svc=svc, status=st, fault=fault, body=body)
            self.answer(404, {"message": "Unknown Webhook", "code": 10015})
            return
        words = {429: "rate_limited", 400: "invalid_payload",
                 404: "channel_not_found", 410: "channel_is_archived",
                 500: "rollup_error", 502: "bad gateway",
                 503: "service unavailable"}
        hdr = (("Retry-After", "1"),) if st == 429 else ()
        self.log(svc=svc, status=st, fault=fault, body=body)
        self.answer(st, words.get(st, "error") if svc == "slack" else
                    "error %d" % st, headers=hdr)

    def json_type(self):
        return (self.headers.get("content-type") or "").split(";")[0] \
            .strip().lower() == "application/json"

    def webhook(self, parts, body, raw, fault):
        if fault:
            return self.fault_answer("webhook", fault, body)
        wid = self.headers.get("webhook-id")
        ts = self.headers.get("webhook-timestamp")
        sig = None
        if not self.json_type() or not wid or not ts or "." in wid:
            self.log(svc="webhook", status=400, fault=None, body=body,
                     sig=None, dup=False)
            return self.answer(400, "bad request")
        if ARGS.webhook_secret:
            key = base64.b64decode(ARGS.webhook_secret.split("_", 1)[1])
            want = base64.b64encode(hmac.new(
                key, wid.encode() + b"." + ts.encode() + b"." + raw,
                hashlib.sha256).digest()).decode()
            got = [s.split(",", 1)[1] for s in
                   (self.headers.get("webhook-signature") or "").split()
                   if s.startswith("v1,")]
            sig = any(hmac.compare_digest(want, g) for g in got)
            if not sig or abs(time.time() - int(ts)) > 300:
                self.log(svc="webhook", status=401, fault=None, body=body,
                         sig=sig, dup=False)
                return self.answer(401, "bad signature")
        with LOCK:
            dup = wid in SEEN_IDS
            SEEN_IDS.add(wid)
        self.log(svc="webhook", status=200, fault=None, body=body, sig=sig,
                 dup=dup)
        self.answer(200, "ok")

    def slack(self, parts, body, raw, fault):
        if parts[3] != ARGS.slack_token:
            self.log(svc="slack", status=404, fault=None, body=body)
            return self.answer(404, "no_service")
        if fault:
            return self.fault_answer("slack", fault, body)
        if not self.json_type():
            self.log(svc="slack", status=400, fault=None, body=body)
            return self.answer(400, "invalid_payload")
        err = slack_check(body)
        if err:
            self.log(svc="slack", status=400, fault=None, body=body,
                     error=err)
            return self.answer(400, err)
        self.log(svc="slack", status=200, fault=None, body=body)
        self.answer(200, "ok")

    def discord(self, parts, body, raw, fault):
        rl = (("X-RateLimit-Limit", "5"), ("X-RateLimit-Remaining", "4"),
              ("X-RateLimit-Reset-After", "0.4"),
              ("X-RateLimit-Bucket", "emu"))
        if parts[2] != ARGS.discord_id or parts[3] != ARGS.discord_token:
            self.log(svc="discord", status=404, fault=None, body=body)
            return self.answer(404, {"message": "Unknown Webhook",
                                     "code": 10015})
        if fault:
            return self.fault_answer("discord", fault, body)
        if not self.headers.get("user-agent"):
            self.log(svc="discord", status=400, fault=None, body=body)
            return self.answer(400, {"message": "no User-Agent",
                                     "code": 0})
        if not self.json_type():
            self.log(svc="discord", status=400, fault=None, body=body)
            return self.answer(400, {"message": "Cannot send an empty "
                                     "message", "code": 50006})
        err = discord_check(body)
        if err:
            self.log(svc="discord", status=400, fault=None, body=body,
                     error=err[1])
            return self.answer(400, {"code": err[0], "message": err[1],
                                     "errors": {}}, headers=rl)
        with LOCK:
            MSG_ID[0] += 1
            mid = str(MSG_ID[0])
        self.log(svc="discord", status=200 if "wait=true" in self.path
                 else 204, fault=None, body=body, message=mid)
        if "wait=true" in self.path:
            self.answer(200, {"id": mid, "type": 0, "content":
                              body.get("content", ""), "webhook_id":
                              ARGS.discord_id}, headers=rl)
        else:
            self.answer(204, headers=rl)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--webhook-secret")
    p.add_argument("--slack-token", default="XXXXslacktokenXXXX")
    p.add_argument("--discord-id", default="1234567890")
    p.add_argument("--discord-token", default="discordTOKENdiscordTOKEN")
    p.add_argument("--max-body", type=int, default=1 << 20)
    ARGS = p.parse_args()
    open(ARGS.log, "a").close()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
