"""Reads profile_throughput --json results tolerantly (python3 stdlib only).

Shared by scripts/scaling_study and scripts/compare. The result layout is written by
coordinator/report (RunInfo, Metrics, ReplicaSummary): top-level "config", "environment",
"metrics", "replicas", "complete". Keys are looked up along several likely paths and, failing
that, anywhere in the document, so small layout changes do not break the scripts.
Latencies are returned in seconds.
"""

import glob
import json
import os

DISTRIBUTIONS = ("ttft", "tpot", "itl", "e2e")
THROUGHPUTS = ("output_throughput", "input_throughput", "total_throughput", "request_throughput")


def _find_key(obj, key):
    """Breadth-first search for key anywhere in obj; returns the first value found."""
    queue = [obj]
    while queue:
        cur = queue.pop(0)
        if isinstance(cur, dict):
            if key in cur:
                return cur[key]
            queue.extend(cur.values())
        elif isinstance(cur, list):
            queue.extend(x for x in cur if isinstance(x, (dict, list)))
    return None


def _get_path(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


class Distribution:
    """A latency distribution in seconds: count, mean, std, min, max, percentiles {q: value}."""

    def __init__(self, count=0, mean=None, std=None, lo=None, hi=None, percentiles=None):
        self.count = count
        self.mean = mean
        self.std = std
        self.min = lo
        self.max = hi
        self.percentiles = percentiles or {}

    def stat(self, name):
        """'mean', 'std', 'min', 'max' or 'p50'-style percentile names."""
        if name.startswith("p"):
            return self.percentiles.get(float(name[1:]))
        return getattr(self, name, None)


def _number(x):
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, (int, float)):
        return float(x)
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _parse_distribution(d, points, default_unit="s"):
    if not isinstance(d, dict):
        return None
    scale = 1.0
    unit = str(d.get("unit", default_unit)).lower()
    if unit in ("ms", "millisecond", "milliseconds"):
        scale = 1e-3
    elif unit in ("us", "microsecond", "microseconds"):
        scale = 1e-6
    elif unit in ("ns", "nanosecond", "nanoseconds"):
        scale = 1e-9

    def val(*keys):
        for k in keys:
            if k in d and _number(d[k]) is not None:
                return _number(d[k]) * scale
            if k + "_ms" in d and _number(d[k + "_ms"]) is not None:
                return _number(d[k + "_ms"]) * 1e-3
            if k + "_s" in d and _number(d[k + "_s"]) is not None:
                return _number(d[k + "_s"])
        return None

    pct = {}
    raw = d.get("percentiles")
    if isinstance(raw, dict):
        for k, v in raw.items():
            q = _number(str(k).lstrip("pP"))
            if q is not None and _number(v) is not None:
                pct[q] = _number(v) * scale
    elif isinstance(raw, list):
        if raw and isinstance(raw[0], dict):  # [{"q": 50, "value": x}] or [{"p": 50, "v": x}]
            for item in raw:
                q = _number(item.get("q", item.get("p", item.get("percentile"))))
                v = _number(item.get("value", item.get("v")))
                if q is not None and v is not None:
                    pct[q] = v * scale
        elif raw and isinstance(raw[0], list):  # [[50, x], ...]
            for q, v in raw:
                pct[float(q)] = float(v) * scale
        else:
            own = d.get("percentile_points") or points or []
            for q, v in zip(own, raw):
                if _number(v) is not None:
                    pct[float(q)] = _number(v) * scale
    for k, v in d.items():  # "p50": x, "p99_ms": x
        if len(k) > 1 and k[0] in "pP" and _number(v) is not None:
            base = k[1:]
            mult = scale
            if base.endswith("_ms"):
                base, mult = base[:-3], 1e-3
            elif base.endswith("_s"):
                base, mult = base[:-2], 1.0
            q = _number(base)
            if q is not None:
                pct.setdefault(q, _number(v) * mult)
    count = _number(d.get("count", d.get("n")))
    return Distribution(int(count) if count is not None else 0, val("mean", "avg"),
                        val("std", "stdev", "stddev"), val("min"), val("max"), pct)


class Result:
    """One profile_throughput --json result."""

    def __init__(self, path, doc=None):
        self.path = path
        if doc is None:
            with open(path) as f:
                doc = json.load(f)
        if not isinstance(doc, dict):
            raise ValueError(f"{path}: not a JSON object")
        self.doc = doc
        self.config = doc.get("config") or doc.get("options") or {}
        self.environment = doc.get("environment") or doc.get("env") or {}
        self.metrics = doc.get("metrics") or {}
        reps = doc.get("replicas")
        if isinstance(reps, dict):
            reps = reps.get("items") or list(reps.values())
        self.replicas = [r for r in (reps or []) if isinstance(r, dict)]

    def get(self, *paths):
        """The first of paths ("metrics.completed", ...) present; then the last path's key
        anywhere in the document."""
        for p in paths:
            v = _get_path(self.doc, p)
            if v is not None:
                return v
        return _find_key(self.doc, paths[-1].split(".")[-1]) if paths else None

    def num(self, *paths):
        return _number(self.get(*paths))

    # --- run shape ---
    @property
    def world(self):
        w = self.num("environment.world_size", "environment.world", "world_size", "world")
        return int(w) if w else 1

    @property
    def tp(self):
        t = self.num("config.tp", "environment.tp", "tp")
        return int(t) if t else 1

    @property
    def dp(self):
        d = self.num("environment.dp", "environment.replicas", "dp")
        if d:
            return int(d)
        if self.replicas:
            return len(self.replicas)
        return max(1, self.world // self.tp)

    @property
    def concurrency(self):
        c = self.num("config.concurrency", "concurrency")
        return int(c) if c else 0

    @property
    def num_prompts(self):
        n = self.num("config.num_prompts", "num_prompts")
        return int(n) if n else 0

    @property
    def backend(self):
        return str(self.get("environment.backend", "config.backend", "backend") or "")

    @property
    def complete(self):
        c = self.get("complete", "environment.complete")
        return True if c is None else bool(c)

    def label(self):
        return str(self.get("config.label") or os.path.basename(os.path.dirname(self.path))
                   or os.path.basename(self.path))

    # --- metrics ---
    def throughput(self, name):
        return self.num("metrics." + name, name)

    def percentile_points(self):
        pts = self.get("metrics.percentile_points", "config.percentiles", "percentile_points")
        return [float(x) for x in pts] if isinstance(pts, list) else []

    def distribution(self, name):
        d = self.get("metrics." + name, "metrics.latency." + name, "metrics." + name + "_s")
        if not isinstance(d, dict):
            return None
        unit = self.get("metrics.latency_unit", "metrics.unit") or "s"
        dist = _parse_distribution(d, self.percentile_points(), unit)
        if dist is not None and dist.count == 0:
            dist.count = int(self.num("metrics.completed", "completed") or 0)
        return dist


def find_results(paths):
    """Expands result arguments: a .json file, or a directory searched for result.json files
    (any depth; *.json directly inside when there is no result.json)."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(glob.glob(os.path.join(p, "**", "result.json"), recursive=True))
            if not found:
                found = sorted(glob.glob(os.path.join(p, "*.json")))
            out.extend(found)
        else:
            out.append(p)
    return out
