#!/usr/bin/env python3
"""A small fake OpenAI-compatible server for the --backend openai tests (python stdlib only).

It stands in for a real server (vLLM, LMDeploy, tpbench_serve): POST /v1/completions and
/v1/chat/completions stream `max_tokens` (`max_completion_tokens` for chat) tokens of
deterministic text, GET /v1/models lists the served model. Prints its port on the first line
of stdout, then serves until killed.

Behaviour is chosen per client by the base URL's path: every segment before /v1 of the form
key=value sets an option, so `--base-url http://127.0.0.1:PORT/chunk=3/usage=0` gets 3 tokens a
chunk and no usage chunk. Options:
  chunk=K        tokens per SSE chunk (default 1)
  ids=1          each chunk carries its token ids ("token_ids", as vLLM's return_token_ids)
  usage=0        no usage chunk even when stream_options.include_usage asks for one
  skew=D         usage.completion_tokens reports D more than were sent (a disagreeing server)
  ttft_ms=T      wait T ms before the first token chunk;  delay_ms=D  D ms between chunks
  status=C       answer every generation request with HTTP C and an OpenAI error body
  error_at=K     after K token chunks send {"error": ...} inside the 200 stream, then [DONE]
  stall_at=K     after K token chunks go silent (for --request-timeout)
  cut_at=K       after K token chunks end the HTTP body without data: [DONE]
  die_after=N    the process exits (as if killed) when generation request N+1 arrives
  models=a+b     the model list (default: the --model name)
Every generation request is appended as one JSON line {"path", "auth", "body"} to --log, where
"auth" is the Authorization header (the tests check the key was sent and then that it appears
in no output file).

The text of token i is the word `tok` (see --word); prompt_tokens is the length of the prompt's
id list, or the number of whitespace-separated words of a text prompt.
"""
import argparse
import http.server
import json
import os
import socket
import sys
import threading
import time

ARGS = None
log_lock = threading.Lock()
generation_requests = 0
count_lock = threading.Lock()


def parse_options(path):
    """Splits /k=v/k=v/v1/... into ({k: v}, /v1/...)."""
    options = {}
    parts = path.split("?")[0].split("/")
    rest = []
    for i, part in enumerate(parts):
        if part == "v1":
            rest = parts[i:]
            break
        if "=" in part:
            key, value = part.split("=", 1)
            options[key] = value
    return options, "/" + "/".join(rest)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def send_json(self, code, value):
        data = json.dumps(value).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def event(self, value):
        self.chunk(b"data: " + json.dumps(value).encode() + b"\n\n")

    def do_GET(self):
        options, route = parse_options(self.path)
        if route == "/v1/models":
            names = options.get("models", ARGS.model).split("+")
            self.send_json(200, {"object": "list", "data": [
                {"id": n, "object": "model", "owned_by": "fake"} for n in names if n]})
        else:
            self.send_json(404, {"error": {"message": "no route " + route}})

    def do_POST(self):
        global generation_requests
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        options, route = parse_options(self.path)
        if route not in ("/v1/completions", "/v1/chat/completions"):
            self.send_json(404, {"error": {"message": "no route " + route}})
            return
        with count_lock:
            generation_requests += 1
            number = generation_requests
        if "die_after" in options and number > int(options["die_after"]):
            os._exit(3)
        if ARGS.log:
            with log_lock, open(ARGS.log, "a") as f:
                f.write(json.dumps({"path": route, "auth": self.headers.get("Authorization"),
                                    "body": raw.decode(errors="replace")}) + "\n")
        try:
            body = json.loads(raw)
        except ValueError:
            self.send_json(400, {"error": {"message": "malformed JSON body",
                                           "type": "BadRequestError", "code": 400}})
            return
        if "status" in options:
            code = int(options["status"])
            self.send_json(code, {"error": {"message": "fake server told to fail with %d" % code,
                                            "type": "FakeError", "code": code}})
            return
        names = options.get("models", ARGS.model).split("+")
        if body.get("model") not in names:
            self.send_json(404, {"error": {"message": "The model `%s` does not exist." %
                                           body.get("model"), "type": "NotFoundError",
                                           "code": 404}})
            return
        try:
            self.generate(route == "/v1/chat/completions", body, options)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def generate(self, chat, body, options):
        n = int(body.get("max_completion_tokens" if chat else "max_tokens") or 16)
        prompt = body["messages"][0]["content"] if chat else body.get("prompt", "")
        prompt_tokens = len(prompt) if isinstance(prompt, list) else len(str(prompt).split())
        per_chunk = max(1, int(options.get("chunk", 1)))
        with_ids = options.get("ids") == "1"
        want_usage = (body.get("stream_options") or {}).get("include_usage") and \
            options.get("usage", "1") != "0"
        kind = "chat.completion.chunk" if chat else "text_completion"

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if chat:
            self.event({"object": kind, "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": ""},
                 "finish_reason": None}]})
        if float(options.get("ttft_ms", 0)) > 0:
            time.sleep(float(options["ttft_ms"]) / 1000)
        sent = 0
        chunks = 0
        while sent < n:
            k = min(per_chunk, n - sent)
            for fault, action in (("error_at", "error"), ("stall_at", "stall"),
                                  ("cut_at", "cut")):
                if fault in options and chunks == int(options[fault]):
                    return self.fault(action)
            if chunks > 0 and float(options.get("delay_ms", 0)) > 0:
                time.sleep(float(options["delay_ms"]) / 1000)
            text = ARGS.word * k
            choice = {"index": 0, "finish_reason": "length" if sent + k == n else None}
            if chat:
                choice["delta"] = {"content": text}
            else:
                choice["text"] = text
            if with_ids:
                choice["token_ids"] = [100 + (sent + j) % 50 for j in range(k)]
            self.event({"object": kind, "choices": [choice], "usage": None})
            sent += k
            chunks += 1
        if want_usage:
            done = n + int(options.get("skew", 0))
            self.event({"object": kind, "choices": [], "usage": {
                "prompt_tokens": prompt_tokens, "completion_tokens": done,
                "total_tokens": prompt_tokens + done}})
        self.chunk(b"data: [DONE]\n\n")
        self.chunk(b"")

    def fault(self, action):
        if action == "error":
            self.event({"error": {"message": "fake engine failure mid-stream",
                                  "type": "InternalServerError", "code": 500}})
            self.chunk(b"data: [DONE]\n\n")
            self.chunk(b"")
        elif action == "stall":
            time.sleep(3600)
        else:  # cut: the HTTP body ends properly, the SSE stream does not
            self.chunk(b"")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="fake-model")
    ap.add_argument("--word", default=" tok", help="the text of one token")
    ap.add_argument("--log", default="", help="append each generation request here")
    ap.add_argument("--port", type=int, default=0)
    ARGS = ap.parse_args()
    threading.stack_size(256 * 1024)
    server = Server(("127.0.0.1", ARGS.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
