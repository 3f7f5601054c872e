#!/usr/bin/env python3
"""Write a SentencePiece tokenizer.model from a llama2.c tokenizer file (tokenizer.bin format).

usage: llama2c_tokenizer_model.py IN.bin OUT.model

llama2.c's export keeps every SentencePiece piece with its score, in id order, as
(float32 score, int32 length, bytes) after an int32 max-length header; it writes "▁" as a space
and <s> / </s> as "\\n<s>\\n" / "\\n</s>\\n". This undoes both and writes the ModelProto a Llama 2
style BPE tokenizer has: <unk> 0, <s> 1, </s> 2, the 256 <0xXX> byte-fallback pieces, the
rest normal; identity normalisation with a dummy prefix and no whitespace squeezing.
Python standard library only (the protobuf wire format is written by hand).
"""
import re
import struct
import sys

BYTE_PIECE = re.compile(r"^<0x[0-9A-F]{2}>$")


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_bytes(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_float(number, value):
    return varint(number << 3 | 5) + struct.pack("<f", value)


def read_pieces(path):
    with open(path, "rb") as f:
        data = f.read()
    pos = 4  # max_token_length
    pieces = []
    while pos < len(data):
        score, length = struct.unpack_from("<fi", data, pos)
        pos += 8
        text = data[pos:pos + length].decode("utf-8")
        pos += length
        pieces.append((text, score))
    return pieces


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    pieces = read_pieces(sys.argv[1])
    model = bytearray()
    for i, (text, score) in enumerate(pieces):
        if i == 0:
            text, kind = "<unk>", 2
        elif i in (1, 2):
            text, kind = text.strip(), 3
        elif BYTE_PIECE.match(text):
            kind = 6
        else:
            text, kind = text.replace(" ", "\u2581"), 1
        piece = field_bytes(1, text.encode("utf-8")) + field_float(2, score) + field_varint(3, kind)
        model += field_bytes(1, piece)
    trainer = field_varint(3, 2) + field_varint(4, len(pieces)) + field_varint(35, 1)
    model += field_bytes(2, trainer)
    normalizer = field_bytes(1, b"identity") + field_varint(3, 1) + field_varint(4, 0)
    model += field_bytes(3, normalizer)
    with open(sys.argv[2], "wb") as f:
        f.write(model)


if __name__ == "__main__":
    main()
