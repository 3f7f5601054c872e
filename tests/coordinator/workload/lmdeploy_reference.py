"""Reference answers for tests/coordinator/workload, computed the way LMDeploy's benchmark/profile_throughput.py
computes them (CPython's random + json; stdlib only).

  shuffle SEED N                      -> the list range(N) after random.seed(SEED); random.shuffle
  select DATASET LENS SEED N [FIXED]  -> {"chosen": [[record, prompt_len, output_len], ...],
                                         "examined": n}: sample_sharegpt_requests' choice, given
                                         per-record token lengths
  random DATASET SEED N IN OUT RATIO  -> {"records": [...], "input_lens": [...], "output_lens": [...]}
  texts DATASET                       -> [[record, turns, prompt, completion], ...] for >= 2 turns
"""
import json
import random
import sys


def conversations(path):
    with open(path, encoding="utf-8") as f:
        dataset = json.load(f)
    return [(i, d["conversations"]) for i, d in enumerate(dataset)]


def shuffle(seed, n):
    items = list(range(n))
    random.seed(seed)
    random.shuffle(items)
    return items


def select(dataset_path, lens_path, seed, num_requests, fixed_output_len=None):
    with open(lens_path) as f:
        lens = json.load(f)  # {"record": {"prompt": n, "completion": n}}
    # sample_sharegpt_requests: >= 2 turns, shuffle, walk, filter, stop at num_requests.
    dataset = [i for i, conv in conversations(dataset_path) if len(conv) >= 2]
    random.seed(seed)
    random.shuffle(dataset)
    chosen = []
    examined = 0
    for record in dataset:
        if len(chosen) == num_requests:
            break
        examined += 1
        prompt_len = lens[str(record)]["prompt"]
        output_len = lens[str(record)]["completion"] if fixed_output_len is None else fixed_output_len
        if prompt_len < 4 or output_len < 4:
            continue
        if prompt_len > 1024 or (prompt_len + output_len > 2048 and fixed_output_len is None):
            continue
        chosen.append([record, prompt_len, output_len])
    return {"chosen": chosen, "examined": examined}


def random_mode(dataset_path, seed, num_prompts, input_len, output_len, range_ratio):
    # sample_random_requests' ShareGPT branch; lengths from the same seeded stream after the
    # shuffle (tpbench's documented choice: LMDeploy uses numpy's unseeded global generator).
    dataset = [i for i, conv in conversations(dataset_path)
               if len(conv) >= 2 and len(conv[0]["value"]) > 0]
    random.seed(seed)
    random.shuffle(dataset)
    lo_in = max(int(input_len * range_ratio), 1)
    lo_out = max(int(output_len * range_ratio), 1)
    input_lens = [random.randint(lo_in, input_len) for _ in range(num_prompts)]
    output_lens = [random.randint(lo_out, output_len) for _ in range(num_prompts)]
    records = [dataset[i % len(dataset)] for i in range(num_prompts)]
    return {"records": records, "input_lens": input_lens, "output_lens": output_lens}


def texts(dataset_path):
    return [[i, len(conv), conv[0]["value"], conv[1]["value"]]
            for i, conv in conversations(dataset_path) if len(conv) >= 2]


def main(argv):
    cmd = argv[1]
    if cmd == "shuffle":
        result = shuffle(int(argv[2]), int(argv[3]))
    elif cmd == "select":
        fixed = int(argv[6]) if len(argv) > 6 else None
        result = select(argv[2], argv[3], int(argv[4]), int(argv[5]), fixed)
    elif cmd == "random":
        result = random_mode(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), int(argv[6]),
                             float(argv[7]))
    elif cmd == "texts":
        result = texts(argv[2])
    else:
        raise SystemExit(f"unknown command {cmd}")
    # ensure_ascii: the C++ side reads this back with simdjson, lone surrogates included.
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
