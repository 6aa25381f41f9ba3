#!/usr/bin/env python3
"""The KernelBench agreement suite: real model-written kernels through KernelBench's own
eval_kernel_against_ref and through `kforge verify`, side by side.

The candidates are not part of the repository. `select` reads them from public sources fetched
beside it and writes them, with a manifest, to a directory you name:

  tools/gpu/agreement.py select --kernelbench KB --leaderboard LB --cuda-l1 L1 --out CANDS \
      [--problems 19,20,...] [--per-problem 3]

  KB  a KernelBench checkout (github.com/ScalingIntelligence/KernelBench; its level1 problems are
      the references of both evaluators)
  LB  a checkout of github.com/anneouyang/KernelBenchLeaderboard (docs/assets/data.json names the
      solution file of each model for each problem)
  L1  a checkout of a CUDA-L1 mirror such as github.com/sekstini/CUDA-L1
      (unpacked/<gpu>/<level>/<problem>/custom_code.py)

`run` evaluates every candidate of the manifest on a GPU host and writes results.json and
table.md to OUT:

  tools/gpu/agreement.py run --kernelbench KB --candidates CANDS --kforge BIN --out OUT [--jobs N]

Builds run in parallel (N workers); every step that touches the GPU (KernelBench's correctness
trials and timing, kforge's reference and candidate runs) holds one lock, so timings never
overlap. kforge's interpreter is a wrapper that takes that lock for the harness's `reference`
and `candidate` modes. KernelBench's evaluator imports modules that only its LLM scripts need
(dotenv, openai, litellm, ...): where one is missing, a stub stands in (it is never called).

`replay` lays a candidates directory out for the mock LLM's --replay (DIR/<kforge task id>/<id>.py),
so that a campaign's simulated model answers each problem with its real kernels (tools/gpu/level1):

  tools/gpu/agreement.py replay --candidates CANDS --out REPLAY

`--problems all` selects every problem of level 1.

`table` rewrites table.md from a results.json:

  tools/gpu/agreement.py table RESULTS.json
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time

LOCK = "/kbgpu/gpu.lock"
DEFAULT_PROBLEMS = [19, 20, 21, 22, 25, 26, 27, 28, 29, 30, 31, 32, 88]


def problem_files(kb, level):
    d = os.path.join(kb, "KernelBench", "level%d" % level)
    out = {}
    for name in os.listdir(d):
        m = re.match(r"(\d+)_.*\.py$", name)
        if m:
            out[int(m.group(1))] = os.path.join(d, name)
    return out


def select(args):
    refs = problem_files(args.kernelbench, 1)
    if args.problems == "all":
        problems = sorted(refs)
    else:
        problems = [int(p) for p in args.problems.split(",")] if args.problems else DEFAULT_PROBLEMS
    os.makedirs(args.out, exist_ok=True)
    manifest = []
    with open(os.path.join(args.leaderboard, "docs", "assets", "data.json")) as f:
        board = json.load(f)
    for key, entries in board.items():
        m = re.match(r"Level 1: (\d+)_", key)
        if not m or int(m.group(1)) not in problems:
            continue
        pid = int(m.group(1))
        for e in entries[: args.per_problem]:
            src = os.path.join(args.leaderboard, "docs", "assets", "solutions", e["file"] + ".py")
            if not os.path.isfile(src):
                continue
            cid = "lb_l1_%d_%s" % (pid, re.sub(r"[^A-Za-z0-9]+", "-", e["display_name"]))
            shutil.copy(src, os.path.join(args.out, cid + ".py"))
            manifest.append({"id": cid, "source": "KernelBenchLeaderboard " + e["file"],
                             "model": e["display_name"], "level": 1, "problem": pid,
                             "reference": os.path.relpath(refs[pid], args.kernelbench)})
    for gpu in args.cuda_l1_gpus.split(","):
        for pid in problems:
            src = os.path.join(args.cuda_l1, "unpacked", gpu, "1", str(pid), "custom_code.py")
            if not os.path.isfile(src):
                continue
            cid = "cudal1_%s_l1_%d" % (gpu, pid)
            shutil.copy(src, os.path.join(args.out, cid + ".py"))
            manifest.append({"id": cid, "source": "CUDA-L1 unpacked/%s/1/%d" % (gpu, pid),
                             "model": "CUDA-L1", "level": 1, "problem": pid,
                             "reference": os.path.relpath(refs[pid], args.kernelbench)})
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("%d candidates in %s" % (len(manifest), args.out))


# The evaluation of one candidate by KernelBench, run in a process of its own.
KB_EVAL = r'''
import fcntl, json, os, sys, types
kb, ref_path, cand_path, build_dir, stubs = sys.argv[1:6]
sys.path.insert(0, os.path.join(kb, "src"))
sys.path.append(stubs)
ref = open(ref_path).read()
cand = open(cand_path).read()
from kernelbench import eval as kbe
out = {}
ok, log, err = kbe.build_compile_cache(cand, False, build_dir)
out["precompiled"] = bool(ok)
import torch
torch.cuda.init()
lock = os.open(sys.argv[6], os.O_RDONLY)
fcntl.flock(lock, fcntl.LOCK_EX)
# Inputs drawn on the GPU, as kforge's harness draws them (level 1's 6 GiB inputs take seconds on
# the host); both evaluators see the same reference and shapes.
torch.set_default_device("cuda:0")
try:
    r = kbe.eval_kernel_against_ref(ref, cand, seed_num=42, num_correct_trials=5, num_perf_trials=100,
                                    measure_performance=True, build_dir=build_dir, device=torch.device("cuda:0"),
                                    check_for_excessive_speedup=True)
    if r is None:
        out["error"] = "eval returned None (lock file or missing file during the build)"
    else:
        out.update(compiled=r.compiled, correct=r.correctness, runtime_ms=r.runtime,
                   ref_runtime_ms=r.ref_runtime,
                   metadata={k: str(v)[:400] for k, v in r.metadata.items()})
except Exception as e:
    out["error"] = "%s: %s" % (type(e).__name__, str(e)[:400])
print("KBRESULT " + json.dumps(out))
'''

STUBS = {
    "dotenv.py": "def load_dotenv(*a, **k):\n    return False\n",
    "openai.py": "class OpenAI:\n    def __init__(self, *a, **k):\n        raise RuntimeError('stub')\n",
    "litellm.py": "def completion(*a, **k):\n    raise RuntimeError('stub')\n",
    "requests.py": "def get(*a, **k):\n    raise RuntimeError('stub: no network')\n",
    "tqdm.py": "def tqdm(x=None, *a, **k):\n    return x\n",
    "pydantic.py": (
        "import copy\n"
        "class BaseModel:\n"
        "    def __init__(self, **kw):\n"
        "        for klass in reversed(type(self).__mro__):\n"
        "            for name in getattr(klass, '__annotations__', {}):\n"
        "                if hasattr(klass, name):\n"
        "                    setattr(self, name, copy.deepcopy(getattr(klass, name)))\n"
        "        for k, v in kw.items():\n"
        "            setattr(self, k, v)\n"
        "    def model_dump(self):\n"
        "        return dict(self.__dict__)\n"
    ),
}

# kforge's interpreter on the GPU host: torch is imported and CUDA initialised before the GPU lock
# is taken, so that only the harness's own work (reference or candidate, timing included) is
# serialised; the harness then runs as __main__ in this process with the arguments kforge gave.
WRAPPER = '''#!{real} -IB
import fcntl, os, runpy, sys
args = sys.argv[1:]
while args and args[0].startswith("-"):
    args.pop(0)
if len(args) > 1 and args[1] in ("reference", "candidate"):
    import torch
    try:
        torch.cuda.init()
    except Exception:
        pass
    fd = os.open({lock!r}, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
sys.argv = args
runpy.run_path(args[0], run_name="__main__")
'''


def constants(src):
    """Module-level `name = number` assignments."""
    return {m.group(1): m.group(2) for m in re.finditer(r"(?m)^([A-Za-z_]\w*)\s*=\s*([0-9][0-9_*+ ]*)\s*$", src)}


def evaluate(c, args, work, prior=None):
    if time.time() > args.deadline:
        return None
    ref = os.path.join(args.kernelbench, c["reference"])
    cand = os.path.join(args.candidates, c["id"] + ".py")
    if prior is not None:
        row = dict(prior)
        kforge_verdict(row, args, work, ref, cand)
        return row
    row = dict(c)
    ref_consts = constants(open(ref).read())
    cand_consts = constants(open(cand).read())
    row["shadows"] = sorted(k for k in ref_consts if k in cand_consts and cand_consts[k] != ref_consts[k])
    t0 = time.time()
    env = dict(os.environ, MAX_JOBS="2", PYTHONUNBUFFERED="1")
    build = os.path.join(work, "kb-build", c["id"])
    try:
        p = subprocess.run([sys.executable, "-c", KB_EVAL, args.kernelbench, ref, cand, build,
                            os.path.join(work, "stubs"), LOCK], capture_output=True, text=True,
                           timeout=args.timeout, env=env)
        line = [ln for ln in p.stdout.splitlines() if ln.startswith("KBRESULT ")]
        row["kb"] = json.loads(line[-1][9:]) if line else {"error": "no result: exit %d: %s" % (
            p.returncode, (p.stderr or p.stdout)[-600:])}
    except subprocess.TimeoutExpired:
        row["kb"] = {"error": "timed out after %d s" % args.timeout}
    row["kb_s"] = round(time.time() - t0, 1)
    return kforge_verdict(row, args, work, ref, cand)


def kforge_verdict(row, args, work, ref, cand):
    t0 = time.time()
    try:
        p = subprocess.run([args.kforge, "verify", cand, "--task", ref, "--config",
                            os.path.join(work, "verify.toml"), "--json"], capture_output=True, text=True,
                           timeout=args.timeout, env=dict(os.environ, TMPDIR=os.path.join(work, "tmp")))
        try:
            row["kf"] = json.loads(p.stdout)
        except ValueError:
            row["kf"] = {"exit_code": p.returncode, "error": (p.stderr or p.stdout)[-600:]}
    except subprocess.TimeoutExpired:
        row["kf"] = {"error": "timed out after %d s" % args.timeout}
    row["kf_s"] = round(time.time() - t0, 1)
    print("%-28s kb=%s kf=%s (%.0f s + %.0f s)" % (row["id"], verdict_kb(row), verdict_kf(row), row["kb_s"],
                                                 row["kf_s"]), flush=True)
    return row


def run(args):
    with open(os.path.join(args.candidates, "manifest.json")) as f:
        manifest = json.load(f)
    if args.limit:
        manifest = manifest[: args.limit]
    work = os.path.abspath(args.work)
    os.makedirs(os.path.join(work, "stubs"), exist_ok=True)
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    for name, text in STUBS.items():
        mod = name[:-3]
        if subprocess.run([sys.executable, "-c", "import " + mod], capture_output=True).returncode != 0:
            with open(os.path.join(work, "stubs", name), "w") as f:
                f.write(text)
    os.makedirs(os.path.dirname(LOCK), exist_ok=True)
    os.chmod(os.path.dirname(LOCK), 0o755)
    open(LOCK, "a").close()
    os.chmod(LOCK, 0o666)
    wrapper = os.path.join(os.path.dirname(LOCK), "python")
    with open(wrapper, "w") as f:
        f.write(WRAPPER.format(real=sys.executable, lock=LOCK))
    os.chmod(wrapper, 0o755)
    # kforge's harness finds ninja (load_inline's builder) in the interpreter's folder.
    ninja = shutil.which("ninja") or os.path.join(os.path.dirname(sys.executable), "ninja")
    link = os.path.join(os.path.dirname(LOCK), "ninja")
    if os.path.exists(ninja) and not os.path.lexists(link):
        os.symlink(ninja, link)
    with open(os.path.join(work, "verify.toml"), "w") as f:
        f.write('[campaign]\nname = "agreement"\ntasks = ["%s"]\n\n[verifier]\ndevice = "cuda"\n'
                'flag_speedup = 10\n\n[kernelbench]\npython = "%s"\ntrials = 5\nwarmup = 3\nruns = 100\n'
                'seed = 42\nkeep_on_gpu_mib = %d\n\n[store]\npath = "%s"\n' % (
                    os.path.join(args.kernelbench, manifest[0]["reference"]), wrapper, args.keep_on_gpu_mib,
                    os.path.join(work, "store")))
    t0 = time.time()
    args.deadline = t0 + args.budget_s
    rows = []
    done = set()
    for prior in args.prior:
        with open(prior) as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    if row["id"] not in done:
                        done.add(row["id"])
                        rows.append(row)
    os.makedirs(args.out, exist_ok=True)
    redo = {r["id"]: r for r in rows if args.redo_kforge and verdict_kf(r) not in ("correct", "gate", "wrong", "bypass")}
    rows = [r for r in rows if r["id"] not in redo]
    todo = [c for c in manifest if c["id"] not in done or c["id"] in redo]
    with open(os.path.join(args.out, "rows.jsonl"), "w") as out:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(evaluate, c, args, work, redo.get(c["id"])) for c in todo]
            for fut in concurrent.futures.as_completed(futures):
                row = fut.result()
                if row is not None:
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    rows.append(row)
    wall = time.time() - t0
    print("%d candidates evaluated in this run, %d asked for" % (len(rows) - (len(done) - len(redo)), len(todo)))
    order = {c["id"]: i for i, c in enumerate(manifest)}
    rows.sort(key=lambda r: order.get(r["id"], len(order)))
    result = {"wall_s": round(wall, 1), "jobs": args.jobs, "rows": rows}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(table(result))
    print("wall %.0f s for %d candidates" % (wall, len(rows)))


def verdict_kb(r):
    kb = r.get("kb", {})
    if "error" in kb:
        return "error"
    if not kb.get("compiled"):
        return "no-build"
    return "correct" if kb.get("correct") else "wrong"


def verdict_kf(r):
    kf = r.get("kf", {})
    code = kf.get("exit_code")
    return {0: "correct", 3: "gate", 4: "no-build", 5: "wrong", 6: "crash", 7: "bypass"}.get(code, "error(%s)" % code)


def kf_speedup(r):
    kf = r.get("kf", {})
    ref = kf.get("reference", {}).get("mean_ns", 0)
    cand = kf.get("timing", {}).get("mean_ns", 0)
    return ref / cand if ref and cand else None


def kb_speedup(r):
    kb = r.get("kb", {})
    if kb.get("correct") and kb.get("runtime_ms", -1) > 0 and kb.get("ref_runtime_ms", -1) > 0:
        return kb["ref_runtime_ms"] / kb["runtime_ms"]
    return None


def table(result):
    rows = result["rows"]
    lines = ["| candidate | source | KernelBench | kforge | KB speedup (mean) | kforge speedup (mean) | ratio | note |",
             "|---|---|---|---|---|---|---|---|"]
    agree = 0
    ratios = []
    for r in rows:
        a, b = verdict_kb(r), verdict_kf(r)
        same = (a == "correct") == (b == "correct")
        agree += same
        s1, s2 = kb_speedup(r), kf_speedup(r)
        ratio = s2 / s1 if s1 and s2 else None
        if ratio and not r["shadows"]:
            ratios.append(ratio)
        note = []
        if r["shadows"]:
            note.append("candidate redefines " + ", ".join(r["shadows"]))
        if b != "correct":
            gates = [g for g in r.get("kf", {}).get("gates", []) if not g["passed"]]
            if gates:
                note.append("kforge %s: %s" % (gates[0]["gate"], gates[0]["detail"].split("\n")[0][:160]))
            elif r.get("kf", {}).get("error"):
                note.append("kforge: " + r["kf"]["error"].strip().split("\n")[-1][:160])
        if a != "correct":
            kb = r.get("kb", {})
            why = kb.get("error") or "; ".join("%s: %s" % (k, v[:120]) for k, v in kb.get("metadata", {}).items()
                                             if "error" in k or "issue" in k)
            if why:
                note.append("KernelBench: " + why.replace("\n", " ")[:160])
        fmt = lambda v: "%.3f" % v if v else "-"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["id"], r["source"], a, b, fmt(s1), fmt(s2), fmt(ratio),
            ("**disagree** " if not same else "") + "; ".join(note).replace("|", "/")))
    ratios.sort()
    head = ["%d candidates, %d verdicts agree (correct or not), wall %.0f s with %d jobs." % (
        len(rows), agree, result["wall_s"], result["jobs"])]
    if ratios:
        head.append("Speedup ratio kforge/KernelBench on same shapes (both correct): median %.3f, range %.3f-%.3f "
                    "over %d kernels." % (ratios[len(ratios) // 2], ratios[0], ratios[-1], len(ratios)))
    return "\n".join(head) + "\n\n" + "\n".join(lines) + "\n"


def task_id(reference):
    """kforge's id of a KernelBench problem file (hardware/kernelbench/problem.cpp)."""
    parts = reference.replace("\\", "/").split("/")
    m = re.match(r"level(\d)", parts[-2]) if len(parts) > 1 else None
    stem = re.sub(r"[^a-z0-9]", "_", os.path.splitext(parts[-1])[0].lower()).rstrip("_")
    return "kb%s_%s" % (m.group(1) if m else "0", stem)


def replay(args):
    with open(os.path.join(args.candidates, "manifest.json")) as f:
        manifest = json.load(f)
    tasks = {}
    for c in manifest:
        tid = task_id(c["reference"])
        os.makedirs(os.path.join(args.out, tid), exist_ok=True)
        # Leaderboard kernels first: the mock replays a task's files in name order.
        rank = "0" if c["id"].startswith("lb_") else "1"
        shutil.copy(os.path.join(args.candidates, c["id"] + ".py"),
                    os.path.join(args.out, tid, "%s_%s.py" % (rank, c["id"])))
        tasks[tid] = tasks.get(tid, 0) + 1
    print("%d kernels for %d tasks in %s" % (sum(tasks.values()), len(tasks), args.out))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("select")
    s.add_argument("--kernelbench", required=True)
    s.add_argument("--leaderboard", required=True)
    s.add_argument("--cuda-l1", required=True)
    s.add_argument("--cuda-l1-gpus", default="h100_xsm")
    s.add_argument("--problems", default="")
    s.add_argument("--per-problem", type=int, default=3)
    s.add_argument("--out", required=True)
    r = sub.add_parser("run")
    r.add_argument("--kernelbench", required=True)
    r.add_argument("--candidates", required=True)
    r.add_argument("--kforge", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--work", default="/tmp/kbgpu-agreement")
    r.add_argument("--jobs", type=int, default=12)
    r.add_argument("--timeout", type=int, default=420)
    r.add_argument("--limit", type=int, default=0)
    r.add_argument("--budget-s", type=int, default=100000, help="start no candidate after this many seconds")
    r.add_argument("--prior", action="append", default=[], help="rows.jsonl of an earlier run: kept, not redone")
    r.add_argument("--redo-kforge", action="store_true",
                   help="of the prior rows, verify again with kforge those it could not build or run")
    r.add_argument("--keep-on-gpu-mib", type=int, default=65536,
                   help="kforge's [kernelbench] keep_on_gpu_mib (level 1's outputs are 6 GiB each)")
    p = sub.add_parser("replay")
    p.add_argument("--candidates", required=True)
    p.add_argument("--out", required=True)
    t = sub.add_parser("table")
    t.add_argument("results")
    args = ap.parse_args()
    if args.cmd == "select":
        select(args)
    elif args.cmd == "run":
        args.kernelbench = os.path.abspath(args.kernelbench)
        args.candidates = os.path.abspath(args.candidates)
        args.kforge = os.path.abspath(args.kforge)
        run(args)
    elif args.cmd == "replay":
        replay(args)
    else:
        with open(args.results) as f:
            result = json.load(f)
        with open(os.path.join(os.path.dirname(args.results), "table.md"), "w") as f:
            f.write(table(result))


if __name__ == "__main__":
    main()
