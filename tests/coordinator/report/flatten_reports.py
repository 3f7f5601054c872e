#!/usr/bin/python3
"""Parses a report with Python's own csv / json modules and flattens it to KEY=VALUE lines.

  csv PATH    -> "ROW.COLUMN=text" per cell (row 0 is the header: "0.INDEX=name"), "rows=N"
  json PATH   -> "a.b.0.c=<json of the leaf>" per leaf
  jsonl PATH  -> "LINE.a.b=<json of the leaf>" per leaf, "lines=N"
"""
import csv
import json
import sys


def flatten(prefix, value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(f"{prefix}.{k}" if prefix else k, v, out)
    elif isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        for i, v in enumerate(value):
            flatten(f"{prefix}.{i}", v, out)
    else:
        out.append(f"{prefix}={json.dumps(value)}")


def main():
    mode, path, dest = sys.argv[1], sys.argv[2], sys.argv[3]
    out = []
    if mode == "csv":
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        out.append(f"rows={len(rows)}")
        header = rows[0]
        for i, name in enumerate(header):
            out.append(f"0.{i}={name}")
        for r, row in enumerate(rows[1:], start=1):
            assert len(row) == len(header), f"row {r} has {len(row)} fields, header {len(header)}"
            for name, text in zip(header, row):
                out.append(f"{r}.{name}={text}")
    elif mode == "json":
        with open(path) as f:
            flatten("", json.load(f), out)
    elif mode == "jsonl":
        with open(path) as f:
            lines = f.read().split("\n")
        assert lines[-1] == "", "file must end with a newline"
        lines = lines[:-1]
        out.append(f"lines={len(lines)}")
        for i, line in enumerate(lines):
            flatten(str(i), json.loads(line), out)
    with open(dest, "w") as f:
        f.write("\n".join(out) + "\n")


main()
