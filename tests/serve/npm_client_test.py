#!/usr/bin/env python3
"""A client no one here wrote: the `openai` npm package (pinned 6.x, tests/serve/npm) against
tpbench_serve (mpirun -np 1, stories260K, cpu backend), whole and streamed, completions and chat.
The expectations handed to the Node side: stories260K's golden greedy ids (two independent fp32
passes) and their text decoded here from llama2.c's vocabulary, not by tpbench's tokenizer.

Exits 77 (ctest's skip) with the reason when node is missing or older than 20 (openai 6.x
supports Node.js 20 or later), or when tests/serve/npm/node_modules/openai is not installed
(scripts/setup.sh runs `npm ci` there).

usage: npm_client_test.py --serve tpbench_serve --source REPO --mpiexec "mpirun ..."
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_http_test as serve  # noqa: E402  (its Server and make_model)

SKIP = 77
BYTE_PIECE = re.compile(r"^<0x([0-9A-F]{2})>$")


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


def node_or_skip(npm_dir):
    node = shutil.which("node")
    if not node:
        skip("node is not installed (scripts/setup.sh installs Debian's nodejs and npm)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    m = re.match(r"v(\d+)\.", version)
    if not m or int(m.group(1)) < 20:
        skip("node %s is older than 20; the openai npm package 6.x supports Node.js 20 or later"
             % (version or "(no version)"))
    if not os.path.isfile(os.path.join(npm_dir, "node_modules", "openai", "package.json")):
        skip("%s/node_modules/openai is missing: run `npm ci --prefix %s` (scripts/setup.sh does)"
             % (npm_dir, npm_dir))
    return node


class Llama2cDecoder:
    """Decodes ids with stories260K's llama2.c vocabulary (pieces keep their spaces; <0xXX> pieces
    are bytes), as SentencePiece does: the text right after BOS loses its leading space."""

    def __init__(self, tokenizer_bin, source):
        sys.path.insert(0, os.path.join(source, "scripts"))
        from llama2c_tokenizer_model import read_pieces
        self.pieces = [text for text, _ in read_pieces(tokenizer_bin)]

    def piece_bytes(self, token):
        m = BYTE_PIECE.match(self.pieces[token])
        return bytes([int(m.group(1), 16)]) if m else self.pieces[token].encode()

    def completion_text(self, prompt_ids, ids):
        text = b"".join(self.piece_bytes(t) for t in ids).decode()
        return text[1:] if prompt_ids == [1] and text.startswith(" ") else text


def expectations(golden, decoder):
    completions = []
    for prompt_len, max_tokens in [(1, 40), (2, 17), (30, 25), (100, 60)]:
        prompt = [1] + golden[:prompt_len - 1]
        ids = golden[prompt_len - 1:prompt_len - 1 + max_tokens]
        completions.append({"prompt": prompt, "max_tokens": max_tokens, "ids": ids,
                            "text": decoder.completion_text(prompt, ids),
                            "prompt_tokens": prompt_len})
    # The empty text prompt is [BOS] alone: the answer is the golden story's start.
    completions.append({"prompt": "", "max_tokens": 20, "ids": golden[:20],
                        "text": decoder.completion_text([1], golden[:20]), "prompt_tokens": 1})
    chat = {"messages": [{"role": "system", "content": "Tell a story."},
                         {"role": "user", "content": [{"type": "text", "text": "Once "},
                                                      {"type": "text", "text": "upon"}]}],
            "templated": "system: Tell a story.\nuser: Once upon\nassistant: ",
            "max_tokens": 24}
    return {"completions": completions, "chat": chat}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", required=True, help="the tpbench_serve binary")
    ap.add_argument("--source", required=True, help="the repository root")
    ap.add_argument("--mpiexec", required=True)
    a = ap.parse_args()
    npm_dir = os.path.join(a.source, "tests", "serve", "npm")
    node = node_or_skip(npm_dir)

    data = os.path.join(a.source, "data", "models", "stories260K")
    with open(os.path.join(data, "stories260K-greedy-from-bos.txt")) as f:
        golden = [int(t) for t in f.read().split()]
    decoder = Llama2cDecoder(os.path.join(data, "stories260K-tok512.bin"), a.source)
    serve.ARGS = argparse.Namespace(source=a.source, mpiexec=a.mpiexec, exe=a.serve, np=1, tp=1)

    with tempfile.TemporaryDirectory(prefix="tpbench-npm-client-") as work:
        model = serve.make_model(work)
        expect = os.path.join(work, "expect.json")
        with open(expect, "w") as f:
            json.dump(expectations(golden, decoder), f)
        server = serve.Server(model, ["--backend", "cpu", "--served-model-name", "stories-npm"],
                              np=1)
        try:
            p = subprocess.run([node, os.path.join(npm_dir, "openai_client_test.mjs"),
                                "--base-url", server.url("/v1"), "--model", server.name,
                                "--expect", expect],
                               capture_output=True, text=True, timeout=240)
        finally:
            try:
                code = server.terminate()
            except subprocess.TimeoutExpired:
                server.kill()
                code = "none (killed: no exit 120 s after SIGTERM)"
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    if code != 0:
        print("FAIL: tpbench_serve exit %s after SIGTERM: %s" %
              (code, "".join(server.stderr_lines)[-2000:]))
        sys.exit(1)
    if p.returncode != 0:
        print("FAIL: node openai_client_test.mjs exited %d" % p.returncode)
        sys.exit(1)


if __name__ == "__main__":
    main()
