#!/usr/bin/env python3
"""A local HTTP/1.1 server for the HTTP transport tests (python stdlib only).

Prints its port on the first line of stdout, then serves until killed. With --tls it serves
https with a self-signed certificate for 127.0.0.1 made by the openssl command at start
(prints "no-tls" instead of a port when openssl is missing). Routes:
  /sse?events=N&delay_ms=D&then=done|stall|reset|cut
      200 text/event-stream, chunked: N events `data: {"i": k, "t": <time.monotonic_ns()>}`,
      D ms apart, each flushed alone. Then: `data: [DONE]` and the last chunk (done), silence
      (stall), a TCP reset (reset) or a clean close without the last chunk (cut).
  /status?code=C      C with an OpenAI-style JSON error body (Content-Length).
  /echo               one SSE event with the request's method, body and X-Test header.
  /v1/models          an OpenAI model list with one model, "test-model".
  /stats              {"connections": connections accepted so far}
"""
import http.server
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

connections = 0
connections_lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        global connections
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with connections_lock:
            connections += 1

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def send_json(self, code, value):
        data = json.dumps(value).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def drop_connection(self, reset):
        if reset:  # linger 0: close() sends RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # its reference would keep the socket open
        self.connection.close()
        self.close_connection = True

    def route(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlparse(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        try:
            if url.path == "/sse":
                self.stream(int(query.get("events", 3)), float(query.get("delay_ms", 0)),
                            query.get("then", "done"))
            elif url.path == "/status":
                code = int(query.get("code", 500))
                self.send_json(code, {"error": {"message": f"status {code} as asked",
                                                "type": "invalid_request_error", "code": code}})
            elif url.path == "/echo":
                self.start_stream()
                event = {"method": self.command, "body": body.decode(),
                         "x_test": self.headers.get("X-Test"),
                         "expect": self.headers.get("Expect")}
                self.chunk(b"data: " + json.dumps(event).encode() + b"\n\n")
                self.chunk(b"")
            elif url.path == "/v1/models":
                self.send_json(200, {"object": "list", "data": [
                    {"id": "test-model", "object": "model", "owned_by": "tpbench-test"}]})
            elif url.path == "/stats":
                with connections_lock:
                    count = connections
                self.send_json(200, {"connections": count})
            else:
                self.send_json(404, {"error": {"message": f"no route {url.path}"}})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def stream(self, events, delay_ms, then):
        self.start_stream()
        for i in range(events):
            if i > 0 and delay_ms > 0:
                time.sleep(delay_ms / 1000)
            stamp = time.monotonic_ns()
            self.chunk(b'data: {"i": %d, "t": %d}\n\n' % (i, stamp))
        if then == "stall":
            time.sleep(60)
            self.close_connection = True
        elif then in ("reset", "cut"):
            self.drop_connection(reset=then == "reset")
        else:
            self.chunk(b"data: [DONE]\n\n")
            self.chunk(b"")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 4096  # 1,000 clients connect at once


def self_signed_context():
    folder = tempfile.mkdtemp(prefix="sse_test_tls_")
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    shutil.rmtree(folder)
    return context


def main():
    threading.stack_size(256 * 1024)
    tls = "--tls" in sys.argv[1:]
    if tls and shutil.which("openssl") is None:
        print("no-tls", flush=True)
        return 0
    server = Server(("127.0.0.1", 0), Handler)
    if tls:
        server.socket = self_signed_context().wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
