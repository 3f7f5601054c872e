#!/usr/bin/env python3
"""tpbench_serve over HTTP, started with mpirun as users start it (-np N --tp T: N/T replicas
behind one front end), on stories260K and the cpu backend (the sim backend for the shutdown
cases, whose steps take a fixed time). Clients: `curl -N` and Python's http.client. References:
stories260K's golden greedy ids (computed by two independent fp32 passes), request for request,
streaming and not.

Stop ids: stories260K's greedy text never reaches its EOS (id 2; llama2.c's stories end with BOS
instead), so the served model's generation_config.json also names STOP_ID, a token the golden
greedy output first reaches at GOLDEN[STOP_AT] (the documented rule: config.json's and
generation_config.json's eos_token_id are the stop ids).

usage: serve_http_test.py --exe tpbench_serve --source REPO --mpiexec "mpirun ..." --np N [--tp T]
       [--fault-hooks]
       [unittest args]
"""
import argparse
import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ARGS = None
GOLDEN = []
STOP_ID, STOP_AT = 278, 73  # GOLDEN[73] == 278, its only occurrence in GOLDEN
LISTENING = re.compile(r"listening on http://([^:\s]+):(\d+) \(model (\S+), pid (\d+)\)")


def make_model(work, stop_id=None):
    """stories260K as a Hugging Face folder with a SentencePiece tokenizer.model; with stop_id, a
    generation_config.json whose eos_token_id is [2, stop_id]."""
    model = os.path.join(work, "stories260K")
    data = os.path.join(ARGS.source, "data", "models", "stories260K")
    scripts = os.path.join(ARGS.source, "scripts")
    subprocess.run([sys.executable, os.path.join(scripts, "convert_llama2c.py"),
                    os.path.join(data, "stories260K.bin"), model], check=True, capture_output=True)
    subprocess.run([sys.executable, os.path.join(scripts, "llama2c_tokenizer_model.py"),
                    os.path.join(data, "stories260K-tok512.bin"),
                    os.path.join(model, "tokenizer.model")], check=True, capture_output=True)
    if stop_id is not None:
        with open(os.path.join(model, "generation_config.json"), "w") as f:
            json.dump({"bos_token_id": 1, "eos_token_id": [2, stop_id]}, f)
    return model


class Server:
    """mpirun -np N tpbench_serve MODEL --port 0 ...; waits for its "listening on" line."""

    def __init__(self, model, extra=(), np=None, tp=None):
        np = np or ARGS.np
        tp = tp or (ARGS.tp if np == ARGS.np else np)
        cmd = ARGS.mpiexec.split() + ["-np", str(np), ARGS.exe, model, "--port", "0",
                                      "--tp", str(tp)] + list(extra)
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        self.stderr_lines = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        deadline = time.time() + 120
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("server exited before listening: " + "".join(self.stderr_lines))
            m = LISTENING.search(line)
            if m:
                break
            if time.time() > deadline:
                raise RuntimeError("no 'listening on' line in 120 s")
        self.host, self.port, self.name, self.pid = m.group(1), int(m.group(2)), m.group(3), int(
            m.group(4))
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def url(self, path):
        return "http://%s:%d%s" % (self.host, self.port, path)

    def connect(self, timeout=120):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def terminate(self):
        """SIGTERM to rank 0 (the front end); returns mpirun's exit code."""
        os.kill(self.pid, signal.SIGTERM)
        return self.proc.wait(timeout=120)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def request(server, method, path, body=None, conn=None, headers_out=None):
    """(status, parsed JSON or raw text); headers_out (a dict) receives the response headers."""
    own = conn is None
    conn = conn or server.connect()
    payload = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    conn.request(method, path, body=payload, headers=headers)
    resp = conn.getresponse()
    raw = resp.read().decode()
    if headers_out is not None:
        headers_out.update({k.lower(): v for k, v in resp.getheaders()})
    if own:
        conn.close()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, raw


def sse_events(text):
    """The data of each event of an SSE body: JSON objects, and "[DONE]"."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = [line[len("data: "):] for line in block.split("\n") if line.startswith("data: ")]
        if not data:
            continue
        joined = "\n".join(data)
        events.append(joined if joined == "[DONE]" else json.loads(joined))
    return events


def stream_http_client(server, path, body):
    """A streaming request read event by event with http.client: (status, events)."""
    conn = server.connect()
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    return resp.status, sse_events(text)


def stream_curl(server, path, body):
    out = subprocess.run(["curl", "-sS", "-N", "-H", "Content-Type: application/json", "-d",
                          json.dumps(body), server.url(path)],
                         capture_output=True, text=True, timeout=120, check=True)
    return sse_events(out.stdout)


def greedy_body(prompt_len, max_tokens, **extra):
    """Prompt [BOS] + golden[:prompt_len-1]: greedy continues with golden[prompt_len-1:]."""
    body = {"prompt": [1] + GOLDEN[:prompt_len - 1], "max_tokens": max_tokens,
            "temperature": 0, "ignore_eos": True, "return_token_ids": True}
    body.update(extra)
    return body


def expected_ids(prompt_len, max_tokens):
    return GOLDEN[prompt_len - 1:prompt_len - 1 + max_tokens]


def stream_ids(events):
    ids, text = [], ""
    for e in events:
        if isinstance(e, dict) and e.get("choices"):
            choice = e["choices"][0]
            ids += choice.get("token_ids", [])
            text += choice.get("text", choice.get("delta", {}).get("content", "")) or ""
    return ids, text


class ServeOnStories(unittest.TestCase):
    """One server for every case of this class; the cases run in name order."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.TemporaryDirectory()
        cls.model = make_model(cls.work.name, stop_id=STOP_ID)
        extra = ["--backend", "cpu"]
        cls.name = "stories260K"  # the MODEL folder's name
        if ARGS.np > 1:
            cls.name = "my-stories"
            extra += ["--served-model-name", cls.name]
        cls.server = Server(cls.model, extra)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.terminate()
        cls.work.cleanup()
        if code != 0:
            raise AssertionError("server exit %d after SIGTERM: %s" %
                                 (code, "".join(cls.server.stderr_lines)))

    def assert_serving(self):
        status, _ = request(self.server, "GET", "/health")
        self.assertEqual(status, 200)
        status, body = request(self.server, "POST", "/v1/completions", greedy_body(5, 3))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["choices"][0]["token_ids"], expected_ids(5, 3))

    def test_health_and_models(self):
        status, body = request(self.server, "GET", "/health")
        self.assertEqual((status, body), (200, ""))
        status, body = request(self.server, "GET", "/v1/models")
        self.assertEqual(status, 200)
        self.assertEqual(body["object"], "list")
        self.assertEqual([m["id"] for m in body["data"]], [self.name])
        self.assertEqual(body["data"][0]["max_model_len"], 512)

    def test_greedy_ids_whole_answers(self):
        conn = self.server.connect()  # one keep-alive connection for every request
        for prompt_len, max_tokens in [(1, 40), (2, 17), (30, 25), (100, 60), (200, 56)]:
            status, body = request(self.server, "POST", "/v1/completions",
                                   greedy_body(prompt_len, max_tokens), conn=conn)
            self.assertEqual(status, 200, body)
            choice = body["choices"][0]
            self.assertEqual(choice["token_ids"], expected_ids(prompt_len, max_tokens))
            self.assertEqual(choice["prompt_token_ids"], [1] + GOLDEN[:prompt_len - 1])
            self.assertEqual(choice["finish_reason"], "length")
            self.assertEqual(body["usage"], {"prompt_tokens": prompt_len,
                                             "completion_tokens": max_tokens,
                                             "total_tokens": prompt_len + max_tokens})
            self.assertEqual(body["model"], self.name)
        conn.close()

    def test_greedy_ids_streaming_curl(self):
        for prompt_len, max_tokens in [(1, 64), (50, 33)]:
            body = greedy_body(prompt_len, max_tokens, stream=True,
                               stream_options={"include_usage": True})
            events = stream_curl(self.server, "/v1/completions", body)
            self.assertEqual(events[-1], "[DONE]")
            usage = events[-2]
            self.assertEqual(usage["choices"], [])
            self.assertEqual(usage["usage"]["completion_tokens"], max_tokens)
            self.assertEqual(usage["usage"]["prompt_tokens"], prompt_len)
            chunks = events[:-2]
            self.assertEqual(len(chunks), max_tokens)  # one chunk per token
            self.assertTrue(all(c["usage"] is None for c in chunks))
            self.assertEqual(chunks[0]["choices"][0]["prompt_token_ids"],
                             [1] + GOLDEN[:prompt_len - 1])
            self.assertEqual([c["choices"][0]["finish_reason"] for c in chunks],
                             [None] * (max_tokens - 1) + ["length"])
            ids, text = stream_ids(events)
            self.assertEqual(ids, expected_ids(prompt_len, max_tokens))
            # The stream's text is the whole answer's text.
            status, whole = request(self.server, "POST", "/v1/completions",
                                    greedy_body(prompt_len, max_tokens))
            self.assertEqual(text, whole["choices"][0]["text"])

    def test_stream_without_usage_http_client(self):
        status, events = stream_http_client(self.server, "/v1/completions",
                                            greedy_body(10, 12, stream=True))
        self.assertEqual(status, 200)
        self.assertEqual(events[-1], "[DONE]")
        self.assertTrue(all(e == "[DONE]" or e["choices"] for e in events))  # no usage chunk
        self.assertEqual(stream_ids(events)[0], expected_ids(10, 12))

    def test_text_prompt_round_trip(self):
        """The empty text is [BOS]; the golden text re-encodes to the golden ids."""
        status, body = request(self.server, "POST", "/v1/completions",
                               {"prompt": "", "max_tokens": 20, "temperature": 0,
                                "return_token_ids": True})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["choices"][0]["token_ids"], GOLDEN[:20])
        text = body["choices"][0]["text"]
        self.assertTrue(text.startswith("Once upon a time"), text)
        status, body = request(self.server, "POST", "/v1/completions",
                               {"prompt": text, "max_tokens": 30, "temperature": 0,
                                "return_token_ids": True})
        self.assertEqual(body["choices"][0]["prompt_token_ids"], [1] + GOLDEN[:20])
        self.assertEqual(body["choices"][0]["token_ids"], GOLDEN[20:50])
        # A continuation keeps its first word's space: "Once" + " upon ...".
        status, body = request(self.server, "POST", "/v1/completions",
                               {"prompt": "Once", "max_tokens": 3, "temperature": 0})
        self.assertEqual(body["choices"][0]["text"], " upon a time")

    def replica_counters(self):
        status, body = request(self.server, "GET", "/tpbench/replicas")
        self.assertEqual(status, 200, body)
        return body["replicas"]

    def wait_idle(self):
        """The counters once no request is in flight (a cancel reaches them asynchronously)."""
        deadline = time.time() + 30
        while True:
            replicas = self.replica_counters()
            if all(r["in_flight"] == 0 for r in replicas) or time.time() > deadline:
                return replicas
            time.sleep(0.05)

    MAX_TOKENS_OF_A_DROPPED_REQUEST = 500

    def assert_hang_up_cancels(self, stream, wait_until_started):
        """Sends one long request, lets wait_until_started(conn) return, hangs up; the request
        must be cancelled and its engine must stop far short of max_tokens."""
        max_tokens = self.MAX_TOKENS_OF_A_DROPPED_REQUEST
        before = self.wait_idle()
        conn = self.server.connect()
        conn.request("POST", "/v1/completions",
                     body=json.dumps(greedy_body(1, max_tokens, stream=stream)),
                     headers={"Content-Type": "application/json"})
        wait_until_started(conn)
        conn.sock.close()
        conn.close()
        self.wait_idle()
        time.sleep(0.3)  # tokens of a request the engine went on generating would arrive
        after = self.replica_counters()
        cancelled = sum(a["cancelled"] - b["cancelled"] for a, b in zip(after, before))
        tokens = sum(a["tokens"] - b["tokens"] for a, b in zip(after, before))
        self.assertEqual(cancelled, 1, after)
        self.assertLess(tokens, max_tokens - 100, after)

    def test_client_gone_mid_stream_cancels_its_request(self):
        """A client that hangs up mid-stream: its request is cancelled, the engine stops
        generating it (far fewer tokens than max_tokens), and the server goes on serving."""
        def first_frame_read(conn):
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            self.assertTrue(resp.read1(1 << 16).startswith(b"data: "))

        for _ in range(3):
            self.assert_hang_up_cancels(True, first_frame_read)
        self.assert_serving()

    def test_client_gone_while_waiting_for_a_whole_answer_cancels_its_request(self):
        """A client that hangs up before its non-streamed answer: the server notices the closed
        socket at once (not when it writes the answer) and cancels the request."""
        def in_flight(conn):
            deadline = time.time() + 10
            while sum(r["in_flight"] for r in self.replica_counters()) == 0:
                self.assertLess(time.time(), deadline, "the request never started")
                time.sleep(0.01)

        self.assert_hang_up_cancels(False, in_flight)
        self.assert_serving()

    def test_replicas_share_requests(self):
        """Concurrent requests spread over every replica (X-Tpbench-Replica), each with the golden
        ids; /tpbench/replicas lists every replica serving."""
        replicas = self.replica_counters()
        self.assertEqual([r["replica"] for r in replicas], list(range(ARGS.np // ARGS.tp)))
        self.assertEqual([r["leader_rank"] for r in replicas],
                         list(range(0, ARGS.np, ARGS.tp)))
        self.assertTrue(all(r["state"] == "serving" for r in replicas), replicas)
        results = queue.Queue()

        def one(i):
            headers = {}
            status, body = request(self.server, "POST", "/v1/completions",
                                   greedy_body(1 + 7 * i, 60), headers_out=headers)
            results.put((i, status, body, headers.get("x-tpbench-replica")))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        served = set()
        for _ in range(8):
            i, status, body, replica = results.get_nowait()
            self.assertEqual(status, 200, body)
            self.assertEqual(body["choices"][0]["token_ids"], expected_ids(1 + 7 * i, 60))
            served.add(int(replica))
        self.assertEqual(served, set(range(ARGS.np // ARGS.tp)))

    def test_stop_id_ends_the_request(self):
        """Without ignore_eos a request ends at a stop id: finish_reason "stop", the id counted
        and in token_ids, no text of its own; streamed, the last chunk says "stop"."""
        body = {"prompt": [1], "max_tokens": 120, "temperature": 0, "return_token_ids": True}
        status, answer = request(self.server, "POST", "/v1/completions", body)
        self.assertEqual(status, 200, answer)
        choice = answer["choices"][0]
        self.assertEqual(choice["token_ids"], GOLDEN[:STOP_AT + 1])
        self.assertEqual(choice["finish_reason"], "stop")
        self.assertEqual(answer["usage"]["completion_tokens"], STOP_AT + 1)
        status, text_only = request(self.server, "POST", "/v1/completions",
                                    greedy_body(1, STOP_AT))
        self.assertEqual(choice["text"], text_only["choices"][0]["text"])
        events = stream_curl(self.server, "/v1/completions", dict(body, stream=True))
        chunks = [e for e in events if isinstance(e, dict) and e["choices"]]
        self.assertEqual(stream_ids(events), (GOLDEN[:STOP_AT + 1], choice["text"]))
        self.assertEqual(chunks[-1]["choices"][0]["finish_reason"], "stop")
        self.assertEqual(chunks[-1]["choices"][0]["text"], "")
        # ignore_eos: exactly max_tokens, through the stop id.
        status, ignoring = request(self.server, "POST", "/v1/completions",
                                   dict(body, ignore_eos=True))
        self.assertEqual(ignoring["choices"][0]["token_ids"], GOLDEN[:120])
        self.assertEqual(ignoring["choices"][0]["finish_reason"], "length")

    def test_min_tokens_masks_stop_ids(self):
        """min_tokens past the stop id: no stop id among the first min_tokens tokens (the engine
        masks them), at least min_tokens tokens, and a stop id only as the last one."""
        min_tokens = STOP_AT + 11
        status, answer = request(self.server, "POST", "/v1/completions",
                                 {"prompt": [1], "max_tokens": 200, "min_tokens": min_tokens,
                                  "temperature": 0, "return_token_ids": True})
        self.assertEqual(status, 200, answer)
        choice = answer["choices"][0]
        ids = choice["token_ids"]
        self.assertEqual(ids[:STOP_AT], GOLDEN[:STOP_AT])
        self.assertGreaterEqual(len(ids), min_tokens)
        self.assertFalse({2, STOP_ID} & set(ids[:min_tokens - 1]), ids)
        self.assertFalse({2, STOP_ID} & set(ids[:-1]), ids)
        if choice["finish_reason"] == "stop":
            self.assertIn(ids[-1], (2, STOP_ID))
        else:
            self.assertEqual((choice["finish_reason"], len(ids)), ("length", 200))

    def test_chat_template(self):
        messages = [{"role": "system", "content": "Tell a story."},
                    {"role": "user", "content": [{"type": "text", "text": "Once "},
                                                 {"type": "text", "text": "upon"}]}]
        templated = "system: Tell a story.\nuser: Once upon\nassistant: "
        status, plain = request(self.server, "POST", "/v1/completions",
                                {"prompt": templated, "max_tokens": 24, "temperature": 0,
                                 "return_token_ids": True})
        self.assertEqual(status, 200, plain)
        status, chat = request(self.server, "POST", "/v1/chat/completions",
                               {"model": self.name, "messages": messages,
                                "max_completion_tokens": 24, "temperature": 0,
                                "return_token_ids": True})
        self.assertEqual(status, 200, chat)
        self.assertEqual(chat["object"], "chat.completion")
        choice = chat["choices"][0]
        self.assertEqual(choice["message"]["role"], "assistant")
        self.assertEqual(choice["prompt_token_ids"], plain["choices"][0]["prompt_token_ids"])
        self.assertEqual(choice["token_ids"], plain["choices"][0]["token_ids"])
        self.assertEqual(choice["message"]["content"], plain["choices"][0]["text"])
        # Streaming chat: a role-only first chunk, then the same tokens.
        events = stream_curl(self.server, "/v1/chat/completions",
                             {"messages": messages, "max_completion_tokens": 24,
                              "temperature": 0, "stream": True, "return_token_ids": True,
                              "stream_options": {"include_usage": True}})
        self.assertEqual(events[0]["choices"][0]["delta"], {"role": "assistant", "content": ""})
        self.assertEqual(events[0]["object"], "chat.completion.chunk")
        ids, text = stream_ids(events)
        self.assertEqual(ids, choice["token_ids"])
        self.assertEqual(text, choice["message"]["content"])
        self.assertEqual(events[-2]["usage"]["completion_tokens"], 24)

    def test_errors_are_openai_bodies_and_server_keeps_serving(self):
        long_prompt = [1] + (GOLDEN * 3)[:600]
        cases = [
            ("POST", "/v1/completions", "{not json", 400, None),
            ("POST", "/v1/completions", "[1, 2]", 400, None),
            ("POST", "/v1/completions", {"model": "no-such-model", "prompt": "a"}, 404, "model"),
            ("POST", "/v1/completions", {"max_tokens": 4}, 400, "prompt"),
            ("POST", "/v1/chat/completions", {"prompt": "a"}, 400, "messages"),
            ("POST", "/v1/completions", {"prompt": long_prompt, "max_tokens": 1}, 400, "prompt"),
            ("POST", "/v1/completions", {"prompt": [1, 2], "max_tokens": 511}, 400, "max_tokens"),
            ("POST", "/v1/completions", {"prompt": [1, 512]}, 400, "prompt"),
            ("POST", "/v1/completions", {"prompt": "a", "temperature": "hot"}, 400,
             "temperature"),
            ("POST", "/v1/completions", {"prompt": "a", "max_tokens": 0}, 400, "max_tokens"),
            ("POST", "/v1/completions", {"prompt": "a", "stream_options": {}}, 400,
             "stream_options"),
            ("POST", "/v1/completions", {"prompt": "a", "n": 2}, 400, "n"),
            ("POST", "/v1/completions", {"prompt": "a", "min_tokens": 17}, 400, "min_tokens"),
            ("POST", "/v1/completions", {"prompt": ["a", "b"]}, 400, "prompt"),
            ("GET", "/v1/completions", None, 405, None),
            ("GET", "/v1/nothing", None, 404, None),
        ]
        conn = self.server.connect()
        for method, path, body, status, param in cases:
            with self.subTest(body=body, path=path):
                got, answer = request(self.server, method, path, body, conn=conn)
                self.assertEqual(got, status, answer)
                error = answer["error"]
                self.assertEqual(error["code"], status)
                self.assertTrue(error["message"])
                self.assertEqual(error["type"],
                                 {400: "BadRequestError", 404: "NotFoundError",
                                  405: "MethodNotAllowedError"}[status])
                self.assertEqual(error["param"], param)
        conn.close()
        self.assert_serving()

    def test_two_hundred_concurrent_streams(self):
        n = 200
        results = queue.Queue()

        def one(i):
            prompt_len, max_tokens = 1 + i % 120, 8 + i % 9
            try:
                status, events = stream_http_client(
                    self.server, "/v1/completions",
                    greedy_body(prompt_len, max_tokens, stream=True,
                                stream_options={"include_usage": True}))
                ok = (status == 200 and events[-1] == "[DONE]" and
                      stream_ids(events)[0] == expected_ids(prompt_len, max_tokens))
                results.put((i, ok, None if ok else (status, events[-3:])))
            except Exception as e:  # noqa: BLE001 - reported below
                results.put((i, False, repr(e)))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        outcomes = [results.get_nowait() for _ in range(results.qsize())]
        failed = [o for o in outcomes if not o[1]]
        self.assertEqual(len(outcomes), n)
        self.assertEqual(failed, [])
        self.assert_serving()


class ShutdownWithStreamsInFlight(unittest.TestCase):
    """SIGTERM while streams run: they finish (grace) or get an error frame (no grace); exit 0.
    The sim backend steps every 20 ms, so 300 tokens take 6 s."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.TemporaryDirectory()
        cls.model = make_model(cls.work.name)

    @classmethod
    def tearDownClass(cls):
        cls.work.cleanup()

    def start_streams(self, server, n, max_tokens):
        """Opens n streams and returns once each has its first chunk; their readers go on."""
        started = threading.Barrier(n + 1, timeout=120)
        results = queue.Queue()

        def one(i):
            conn = server.connect()
            conn.request("POST", "/v1/completions",
                         body=json.dumps({"prompt": [1, 2 + i], "max_tokens": max_tokens,
                                          "stream": True, "ignore_eos": True,
                                          "return_token_ids": True}),
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            first = resp.read1(1 << 16)  # at least the first token's chunk
            started.wait()
            rest = resp.read()
            results.put((resp.status, (first + rest).decode()))

        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        started.wait()
        return threads, results

    def test_sigterm_lets_streams_finish_then_exits_0(self):
        server = Server(self.model, ["--backend", "sim", "--sim-step-ms", "20"])
        try:
            threads, results = self.start_streams(server, 4, 150)
            code = server.terminate()
            for t in threads:
                t.join(timeout=60)
            self.assertEqual(code, 0, "".join(server.stderr_lines))
            for _ in range(4):
                status, body = results.get_nowait()
                self.assertEqual(status, 200)
                events = sse_events(body)
                self.assertEqual(events[-1], "[DONE]")
                self.assertFalse(any(isinstance(e, dict) and "error" in e for e in events))
                self.assertEqual(len(stream_ids(events)[0]), 150)  # every token arrived
            self.assertIn("SIGTERM", "".join(server.stderr_lines))
        finally:
            server.kill()

    def test_sigterm_after_grace_sends_error_frames(self):
        server = Server(self.model, ["--backend", "sim", "--sim-step-ms", "20",
                                     "--shutdown-grace", "0.5"])
        try:
            threads, results = self.start_streams(server, 3, 300)
            t0 = time.time()
            code = server.terminate()
            for t in threads:
                t.join(timeout=60)
            self.assertEqual(code, 0, "".join(server.stderr_lines))
            self.assertLess(time.time() - t0, 5.0)  # not the 6 s the streams needed
            for _ in range(3):
                status, body = results.get_nowait()
                events = sse_events(body)
                self.assertLess(len(stream_ids(events)[0]), 300)
                self.assertEqual(events[-1], "[DONE]")
                error = events[-2]["error"]
                self.assertEqual(error["code"], 503)
                self.assertIn("shutting down", error["message"])
        finally:
            server.kill()


def failing_server(model, rank, np=None, tp=None):
    """A cpu server whose rank `rank` has an engine step that throws (the test-only hooks)."""
    os.environ.update(TPBENCH_TEST_FAIL_STEP_RANK=str(rank), TPBENCH_TEST_FAIL_STEP_AFTER_MS="0")
    try:
        return Server(model, ["--backend", "cpu"], np=np, tp=tp)
    finally:
        del os.environ["TPBENCH_TEST_FAIL_STEP_RANK"]
        del os.environ["TPBENCH_TEST_FAIL_STEP_AFTER_MS"]


class ReplicaFailure(unittest.TestCase):
    """Needs the test-only fault hooks (-DTPBENCH_FAULT_INJECTION=ON). A replica whose engine
    step throws fails its request with the reason and gets no more; with none left, every
    request fails. The server exits 1 (a replica failed) after SIGTERM, without hanging."""

    def test_failed_replica_gets_no_more_requests(self):
        if not ARGS.fault_hooks or ARGS.np // ARGS.tp != 2:
            self.skipTest("needs --fault-hooks (a build with them) and two replicas")
        work = tempfile.TemporaryDirectory()
        server = failing_server(make_model(work.name), ARGS.tp)
        try:
            # Two at once: the second goes to replica 1 (fewest in flight), whose step throws.
            results = queue.Queue()

            def one(i):
                headers = {}
                status, body = request(server, "POST", "/v1/completions",
                                       greedy_body(1 + i, 200), headers_out=headers)
                results.put((status, body, headers.get("x-tpbench-replica")))

            threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            outcomes = sorted((results.get_nowait() for _ in range(2)), key=lambda o: o[2])
            self.assertEqual([o[2] for o in outcomes], ["0", "1"])
            self.assertEqual(outcomes[0][0], 200, outcomes[0][1])
            self.assertEqual(outcomes[1][0], 500, outcomes[1][1])
            self.assertIn("injected step failure", outcomes[1][1]["error"]["message"])
            for i in range(3):
                headers = {}
                status, body = request(server, "POST", "/v1/completions", greedy_body(5, 3),
                                       headers_out=headers)
                self.assertEqual((status, headers.get("x-tpbench-replica")), (200, "0"), body)
                self.assertEqual(body["choices"][0]["token_ids"], expected_ids(5, 3))
            status, body = request(server, "GET", "/tpbench/replicas")
            states = [(r["state"], r["failure"] is not None) for r in body["replicas"]]
            self.assertEqual(states, [("serving", False), ("failed", True)])
            self.assertIn("injected step failure", body["replicas"][1]["failure"])
            self.assertEqual(server.terminate(), 1, "".join(server.stderr_lines))
        finally:
            server.kill()
            work.cleanup()

    def test_no_replica_left(self):
        """One replica, and its engine fails: then every request fails, naming the reason."""
        if not ARGS.fault_hooks:
            self.skipTest("needs --fault-hooks (a build with them)")
        work = tempfile.TemporaryDirectory()
        server = failing_server(make_model(work.name), 0, np=1, tp=1)
        try:
            status, body = request(server, "POST", "/v1/completions", greedy_body(1, 20))
            self.assertEqual(status, 500, body)
            self.assertIn("injected step failure", body["error"]["message"])
            status, body = request(server, "POST", "/v1/completions", greedy_body(1, 20))
            self.assertEqual(status, 500, body)
            self.assertIn("no replica is serving: replica 0: engine failed: injected step failure",
                          body["error"]["message"])
            self.assertEqual(server.terminate(), 1, "".join(server.stderr_lines))
        finally:
            server.kill()
            work.cleanup()


class CommandLine(unittest.TestCase):
    """Bad input: one line naming the flag (or file), exit 2, on every -np."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.TemporaryDirectory()
        cls.model = make_model(cls.work.name)

    @classmethod
    def tearDownClass(cls):
        cls.work.cleanup()

    def run_serve(self, args, np=None):
        np = np or ARGS.np
        cmd = ARGS.mpiexec.split() + ["-np", str(np), ARGS.exe] + args
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        errors = [line for line in p.stderr.splitlines() if "tpbench_serve: error:" in line]
        return p.returncode, errors, p.stdout + p.stderr

    def expect_exit_2(self, args, needle, np=None):
        code, errors, output = self.run_serve(args, np)
        self.assertEqual(code, 2, output)
        self.assertEqual(len(errors), 1, output)
        self.assertIn(needle, errors[0])

    def test_bad_flags(self):
        tp = ["--tp", str(ARGS.tp)]
        self.expect_exit_2([self.model, "--port", "70000"] + tp, "--port")
        self.expect_exit_2([self.model, "--port", "x"] + tp, "--port")
        self.expect_exit_2([self.model, "--backend", "tpu"] + tp, "--backend")
        self.expect_exit_2([self.model, "--no-such-flag"] + tp, "--no-such-flag")
        self.expect_exit_2([self.model, "--max-batch-size", "-3"] + tp, "--max-batch-size")
        self.expect_exit_2([self.model, "--host", "--port", "1"] + tp, "--host")
        # 192.0.2.1 (TEST-NET-1) is no interface of this host: rank 0 cannot listen there.
        self.expect_exit_2([self.model, "--backend", "cpu", "--port", "0",
                            "--coordinator-addr", "192.0.2.1"] + tp, "--coordinator-addr 192.0.2.1")

    def test_tp_must_divide_the_world(self):
        self.expect_exit_2([self.model, "--tp", str(ARGS.np + 1), "--backend", "cpu"],
                           "--tp %d does not divide the world size %d" % (ARGS.np + 1, ARGS.np))

    def test_model_without_tokenizer(self):
        bare = os.path.join(self.work.name, "bare")
        os.makedirs(bare, exist_ok=True)
        with open(os.path.join(self.model, "config.json")) as src, \
                open(os.path.join(bare, "config.json"), "w") as dst:
            dst.write(src.read())
        self.expect_exit_2([bare, "--tp", str(ARGS.tp), "--backend", "cpu", "--port", "0"],
                           bare)

    def test_port_in_use(self):
        import socket
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            self.expect_exit_2([self.model, "--tp", str(ARGS.tp), "--backend", "cpu",
                                "--port", str(port)], "--port %d" % port)

    def test_help(self):
        code, _, output = self.run_serve(["--help"])
        self.assertEqual(code, 0, output)
        for flag in ["--host", "--port", "--served-model-name", "--shutdown-grace", "--backend",
                     "--kv-cache-bytes", "--max-batch-size", "--tp"]:
            self.assertIn(flag, output)
        self.assertNotIn("--num-prompts", output)
        self.assertEqual(output.count("Usage:"), 1)  # one rank prints it


def main():
    global ARGS, GOLDEN
    parser = argparse.ArgumentParser()
    parser.add_argument("--exe", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("--np", type=int, default=1)
    parser.add_argument("--tp", type=int, default=0, help="default: --np (one replica)")
    parser.add_argument("--fault-hooks", action="store_true",
                        help="the build has the test-only fault hooks (ReplicaFailure runs)")
    ARGS, rest = parser.parse_known_args()
    ARGS.tp = ARGS.tp or ARGS.np
    with open(os.path.join(ARGS.source, "data", "models", "stories260K",
                           "stories260K-greedy-from-bos.txt")) as f:
        GOLDEN = [int(t) for t in f.read().split()]
    assert len(GOLDEN) == 256
    assert GOLDEN.index(STOP_ID) == STOP_AT and GOLDEN.count(STOP_ID) == 1
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
