"""Shared pieces of the kforge benchmarks that run whole campaigns (tools/bench/ablation,
tools/bench/llm-memory): the CPU suite, running and exporting a campaign, and the figures
computed from the export. Standard library only."""

import json
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TASK_DIR = ROOT / "configs" / "tasks" / "cpu"
FAMILY_ORDER = ["elementwise", "reduction", "transpose", "scan", "gemv", "softmax", "layernorm", "gemm",
                "conv2d"]


def task_files():
    """Task files with their family, from configs/tasks/cpu/*.toml."""
    out = []
    for f in sorted(TASK_DIR.glob("*.toml")):
        family = None
        for line in f.read_text().splitlines():
            if line.strip().startswith("family"):
                family = line.split("=", 1)[1].strip().strip('"')
                break
        out.append((f.stem, family, f))
    return out


def split_held_out(suite):
    """One task per family (the first by id) to learn on, and the rest, held out."""
    source, held_out, seen = [], [], set()
    for name, family, f in suite:
        (held_out if family in seen else source).append((name, family, f))
        seen.add(family)
    return source, held_out


def run_campaign(kforge, config, store, log, extra=()):
    """Runs one campaign to its end; returns its wall time in seconds."""
    t0 = time.time()
    with open(log, "w") as out:
        rc = subprocess.run([kforge, "run", str(config), "--store", str(store), "--no-progress", *extra],
                            stdout=out, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        sys.exit("kforge run failed (%d); see %s" % (rc, log))
    return time.time() - t0


def export(kforge, store):
    """The store's candidates by task, in evaluation order."""
    text = subprocess.run([kforge, "export", "--store", str(store)], check=True, capture_output=True,
                          text=True).stdout
    by_task = {}
    for line in text.splitlines():
        c = json.loads(line)
        by_task.setdefault(c["task_id"], []).append(c)
    for cands in by_task.values():
        cands.sort(key=lambda c: c["seq"])
    return by_task


def speedup(c):
    v = c.get("speedup_vs_ref", 0)
    return v if isinstance(v, (int, float)) and v > 0 else 0.0


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def sd(xs):
    return (sum((x - sum(xs) / len(xs)) ** 2 for x in xs) / max(1, len(xs) - 1)) ** 0.5 if xs else 0.0


def curve(by_task, tasks, evals):
    """Geomean over tasks of the best speedup within the first t evaluations (1.0 = the reference)."""
    out = []
    for t in range(1, evals + 1):
        bests = []
        for task in tasks:
            cands = by_task.get(task, [])[:t]
            bests.append(max([1.0] + [speedup(c) for c in cands if c["verdict"]["feasible"]]))
        out.append(geomean(bests))
    return out


def metrics(runs, tasks, evals, k):
    """Per-arm figures from its runs (one export per seed), over `tasks`."""
    feas_k, first, finals, never = [], [], [], 0
    curves = []
    for by_task in runs:
        for task in tasks:
            cands = by_task.get(task, [])
            head = cands[:k]
            feas_k.append(sum(1 for c in head if c["verdict"]["feasible"]) / k)
            idx = next((i for i, c in enumerate(cands) if c["verdict"]["feasible"]), None)
            if idx is None:
                never += 1
                first.append(evals + 1)
            else:
                first.append(idx + 1)
        cv = curve(by_task, tasks, evals)
        curves.append(cv)
        finals.append(cv[-1])
    mean_curve = [sum(c[i] for c in curves) / len(curves) for i in range(evals)]
    return {
        "feasible_k": sum(feas_k) / len(feas_k),
        "first_feasible": sum(first) / len(first),
        "never_feasible": never,
        "geomean": sum(finals) / len(finals),
        "geomean_sd": sd(finals),
        "geomeans": finals,
        "curve": mean_curve,
        "curves": curves,
    }


def to_target(cv, target):
    """Evaluations per task until the curve reaches `target`; None if it never does."""
    for i, g in enumerate(cv):
        if g >= target:
            return i + 1
    return None
