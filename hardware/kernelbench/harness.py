# The trusted KernelBench harness. kforge builds this file in (embedded at
# build time) and writes it to work_dir/kernelbench/harness-<hash>.py.
# Runs in kforge's sandbox, in a directory holding `nonce`, `channel`,
# `problem.py` and (build, candidate) `candidate.py`. Before any candidate code
# runs it reads and removes all of them (the channel stays open by descriptor),
# so the candidate finds neither the nonce nor the channel by name. The result
# is one JSON record framed like the native harness's records, then an end
# record (hardware/channel/result_channel.hpp describes the framing).
import json
import os
import random
import struct
import sys
import time
import traceback

# The host clock and a random source of the harness's own, bound before anything else is
# imported: the candidate can import neither module and finds neither name.
_kf_host_ns = time.perf_counter_ns
_kf_rng = random.Random(int.from_bytes(os.urandom(8), "little"))


_KF_RESULT_RECORD = 10  # record_type::json_result
_KF_END_RECORD = 5  # record_type::end


def _kf_record(nonce, record_type, index, payload):
    """One framed record: magic, the 16-byte nonce, u32 type, u32 index, u64 size, payload."""
    return struct.pack("<8s16sIIQ", b"KFRECORD", nonce, record_type, index, len(payload)) + payload


def _kf_encode(nonce, result):
    """The whole channel for `result`: its JSON record, then the end record counting one record."""
    payload = json.dumps(result).encode("utf-8")
    end = struct.pack("<Qq", 1, -1)
    return _kf_record(nonce, _KF_RESULT_RECORD, 0, payload) + _kf_record(nonce, _KF_END_RECORD, 0, end)


def _kf_write_all(fd, data):
    view = memoryview(data)
    while len(view) > 0:
        n = os.write(fd, view)
        view = view[n:]


def _kf_main():
    mode = sys.argv[1]
    settings = json.loads(sys.argv[2])
    with open("nonce", "rb") as f:
        nonce = f.read()
    os.unlink("nonce")
    channel = os.open("channel", os.O_WRONLY | os.O_APPEND)
    os.unlink("channel")
    with open("problem.py", "r", encoding="utf-8") as f:
        problem_src = f.read()
    candidate_src = None
    if os.path.exists("candidate.py"):
        with open("candidate.py", "r", encoding="utf-8") as f:
            candidate_src = f.read()
    result = {"mode": mode}
    try:
        _kf_run(mode, settings, problem_src, candidate_src, result)
    except BaseException as e:  # SystemExit and KeyboardInterrupt from candidate code too
        result["error"] = (type(e).__name__ + ": " + str(e))[:4000]
        result["traceback"] = traceback.format_exc()[-6000:]
    _kf_write_all(channel, _kf_encode(nonce, result))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _kf_run(mode, s, problem_src, candidate_src, result):
    import torch
    import torch.utils.cpp_extension as cpp_extension

    # Bound before any candidate code runs: a candidate that patches torch's Python classes
    # (torch.cuda.Event.elapsed_time, Tensor.clone) changes none of these.
    allclose = torch.allclose
    equal = torch.equal
    t_abs = torch.abs
    t_max = torch.max
    vector_norm = torch.linalg.vector_norm
    clone = torch.Tensor.clone
    synchronize = torch.cuda.synchronize
    current_stream = torch.cuda.current_stream
    Event = torch.cuda.Event
    ev_record = torch._C._CudaEventBase.record
    ev_elapsed = torch._C._CudaEventBase.elapsed_time
    is_tensor = torch.is_tensor
    host_ns = _kf_host_ns
    rng = _kf_rng

    if mode == "build":
        # The compile stage: load_inline builds into TORCH_EXTENSIONS_DIR; no GPU is visible.
        ctx = {"__file__": os.path.abspath("candidate.py"), "__name__": "candidate"}
        exec(compile(candidate_src, "candidate.py", "exec"), ctx)
        if "ModelNew" not in ctx:
            raise RuntimeError("the candidate defines no ModelNew")
        result["built"] = True
        return

    dev = torch.device("cuda:0")
    torch.cuda.set_device(dev)
    result["device_name"] = torch.cuda.get_device_name(dev)
    seed = int(s["seed"])
    trials = int(s["trials"])
    n_sets = max(2, int(s.get("input_sets", 0)) or trials)
    max_rel_l2 = float(s.get("max_rel_l2", 1e-2))
    min_spread = float(s.get("min_spread_ratio", 1e-3))

    def set_seed(x):
        torch.manual_seed(x)
        torch.cuda.manual_seed(x)

    def on_device(x):
        return x.to(dev) if is_tensor(x) else x

    ctx = {}
    exec(compile(problem_src, "problem.py", "exec"), ctx)
    Model = ctx["Model"]
    get_inputs = ctx["get_inputs"]
    get_init_inputs = ctx["get_init_inputs"]

    def make_inputs(x):
        # Fresh inputs from the seed, generated on the GPU (torch's default device for the call).
        set_seed(x)
        with torch.device(dev):
            return [on_device(v) for v in get_inputs()]

    set_seed(seed)
    with torch.device(dev):
        init_inputs = [on_device(v) for v in get_init_inputs()]

    # The input sets: one per trial seed (the same in both modes); timed calls draw from the
    # first n_sets in random order, each call on fresh copies.
    torch.manual_seed(seed)
    set_seeds = [torch.randint(0, 2**32 - 1, (1,)).item() for _ in range(max(trials, n_sets))]

    flush = torch.empty((int(s["flush_mib"]) * 1024 * 1024 // 8,), dtype=torch.int64, device=dev)

    def overhead_ns():
        # The host clock's view of an empty timed section: what it adds to every timed call.
        seen = []
        for _ in range(20):
            synchronize(device=dev)
            start = Event(enable_timing=True)
            stop = Event(enable_timing=True)
            h0 = host_ns()
            ev_record(start, current_stream())
            ev_record(stop, current_stream())
            synchronize(device=dev)
            seen.append(host_ns() - h0)
        seen.sort()
        return seen[len(seen) * 9 // 10]

    def time_model(model, sets, check=None):
        # KernelBench's CUDA-event timing: warm-ups, then timed runs each after a full
        # synchronize and an L2 flush, events on the current stream, a full synchronize after.
        # Every call gets fresh copies (new storage) of an input set drawn at random; the
        # previous call's copies live until the next are made, so no two calls share an address.
        # The host clock brackets each call: events that claim much less than it saw are forged.
        held = None
        with torch.no_grad():
            for _ in range(int(s["warmup"])):
                model(*[clone(v) if is_tensor(v) else v for v in sets(0)])
                synchronize(device=dev)
            base = overhead_ns()
            runs = int(s["runs"])
            checked_at = rng.randrange(runs)
            times, host = [], []
            for r in range(runs):
                k = rng.randrange(n_sets)
                fresh = [clone(v) if is_tensor(v) else v for v in sets(k)]
                held = fresh
                synchronize(device=dev)
                start = Event(enable_timing=True)
                stop = Event(enable_timing=True)
                flush.fill_(42)
                synchronize(device=dev)
                h0 = host_ns()
                ev_record(start, current_stream())
                out = model(*fresh)
                ev_record(stop, current_stream())
                synchronize(device=dev)
                host.append(host_ns() - h0)
                times.append(float(ev_elapsed(start, stop)))
                if check is not None and r == checked_at:
                    check(r, k, clone(out) if is_tensor(out) else out)
                del out
            del held
        claimed = sorted(times)[len(times) // 2] * 1e6
        seen = sorted(host)[len(host) // 2]
        result["host_median_ns"] = seen
        result["host_overhead_ns"] = base
        # Allow half of what the host saw beyond its own overhead, less 20 us of jitter.
        if claimed < 0.5 * (seen - base) - 20000:
            raise RuntimeError("forged timing: the CUDA events claim a median of %.4f ms per call, but "
                               "the host clock saw %.4f ms (%.4f ms of it overhead)"
                               % (claimed / 1e6, seen / 1e6, base / 1e6))
        return times

    with torch.no_grad():
        set_seed(seed)
        model = Model(*init_inputs).to(dev)

    def input_source(count):
        # The input sets on the GPU when they fit beside the outputs, else regenerated per call.
        first = make_inputs(set_seeds[0])
        size = sum(v.numel() * v.element_size() for v in first if is_tensor(v))
        if size * count <= int(s["keep_on_gpu_mib"]) * 1024 * 1024:
            held = [first] + [make_inputs(x) for x in set_seeds[1:count]]
            return lambda k: held[k]
        return lambda k: make_inputs(set_seeds[k])

    if mode == "reference":
        inputs = make_inputs(seed)
        with torch.no_grad():
            out = model(*inputs)
        synchronize(device=dev)
        result["output_shape"] = list(out.shape) if is_tensor(out) else None
        result["output_dtype"] = str(out.dtype) if is_tensor(out) else type(out).__name__
        del out, inputs
        result["times_ms"] = time_model(model, input_source(n_sets))
        result["ok"] = True
        return

    # mode == "candidate": the reference outputs of every input set first, before the candidate is imported.
    refs = []
    total = 0
    with torch.no_grad():
        for ts in set_seeds:
            out = model(*make_inputs(ts))
            synchronize(device=dev)
            if not is_tensor(out):
                raise RuntimeError("the reference Model returns no tensor")
            refs.append(out.detach())
            total += out.numel() * out.element_size()
    if total > int(s["keep_on_gpu_mib"]) * 1024 * 1024:
        refs = [r.cpu() for r in refs]
    del model, out
    torch.cuda.empty_cache()

    # Calls into the candidate's load_inline extensions, counted: a ModelNew whose forward calls
    # none of them launched no kernel of its own (a bypass).
    ext_calls = [0]
    real_load_inline = cpp_extension.load_inline

    def counted_load_inline(*args, **kwargs):
        module = real_load_inline(*args, **kwargs)
        if module is None:
            return None

        class Extension:
            def __getattr__(self, name):
                value = getattr(module, name)
                if not callable(value):
                    return value

                def call(*a, **k):
                    out = value(*a, **k)
                    ext_calls[0] += 1
                    return out
                return call
        return Extension()

    cpp_extension.load_inline = counted_load_inline
    ctx = {"__file__": os.path.abspath("candidate.py"), "__name__": "candidate"}
    try:
        exec(compile(candidate_src, "candidate.py", "exec"), ctx)
        ModelNew = ctx["ModelNew"]
        with torch.no_grad():
            set_seed(seed)
            new = ModelNew(*init_inputs).to(dev)
        synchronize(device=dev)
    except BaseException as e:
        result["correct"] = False
        result["detail"] = "the candidate does not load: " + (type(e).__name__ + ": " + str(e))[:3000]
        return

    def judge(what, out, ref):
        """Why `out` is not a correct output for `ref`, or None."""
        if tuple(out.shape) != tuple(ref.shape):
            return "%s: output shape mismatch: expected %s, got %s" % (what, list(ref.shape), list(out.shape))
        if out.dtype != ref.dtype:
            return "%s: output dtype %s, expected %s" % (what, out.dtype, ref.dtype)
        tol = 1e-2 if ref.dtype in (torch.float16, torch.bfloat16) else 1e-4
        of, rf = out.float(), ref.float()
        diff = t_abs(of - rf)
        md = float(t_max(diff).item()) if diff.numel() > 0 else 0.0
        state["max_abs"] = md if (md != md or md > state["max_abs"]) else state["max_abs"]
        if not allclose(out, ref, atol=tol, rtol=tol):
            return "%s: output mismatch beyond atol = rtol = %g: max abs difference %.6g" % (what, tol, md)
        if rf.numel() > 1:
            rn = float(vector_norm(rf).item())
            en = float(vector_norm(diff).item())
            if rn > 0 and en / rn > max_rel_l2:
                return ("%s: relative L2 error %.4g above %g (every difference is under atol, but so are the "
                        "reference's values: the output is off in magnitude)" % (what, en / rn, max_rel_l2))
            rs, os_ = float(rf.std().item()), float(of.std().item())
            if rs > 0 and os_ < min_spread * rs:
                return ("%s: the output is near-constant (standard deviation %.3g against the reference's %.3g)"
                        % (what, os_, rs))
        return None

    state = {"max_abs": 0.0}
    passed = 0
    problems = []
    prints = {}
    with torch.no_grad():
        for t in range(trials):
            inputs = make_inputs(set_seeds[t])
            ref = refs[t].to(dev)
            try:
                stream = current_stream()
                ext_calls[0] = 0
                out = new(*inputs)
                # What the current stream sees once it is done: work left running on
                # another stream shows as a difference from the fully synchronized output.
                stream.synchronize()
                if not is_tensor(out):
                    problems.append("trial %d: ModelNew returns %s, not a tensor" % (t, type(out).__name__))
                    break
                seen = clone(out)
                stream.synchronize()
                synchronize(device=dev)
            except BaseException as e:
                problems.append("trial %d: runtime error: %s" % (t, (type(e).__name__ + ": " + str(e))[:2000]))
                break
            if ext_calls[0] == 0 and "bypass" not in result:
                result["bypass"] = ("trial %d: ModelNew ran no function of a load_inline extension: it launched "
                                    "no kernel of its own" % t)
            if tuple(out.shape) == tuple(ref.shape) and not equal(seen, out):
                problems.append("trial %d: the output changed after the current stream had finished: "
                                "work on another stream (side stream) is not synchronized with it" % t)
                break
            why = judge("trial %d" % t, out, ref)
            if why is not None:
                problems.append(why)
                break
            # The same output for inputs whose references differ: a cache, not a kernel.
            mark = (float(out.float().sum().item()), float(ref.float().sum().item()),
                    clone(out.reshape(-1)[:4096]))
            same = [o for o, m in prints.items() if m[0] == mark[0] and m[1] != mark[1] and equal(m[2], mark[2])]
            if same:
                problems.append("trial %d: the same output as trial %d, whose inputs differ" % (t, same[0]))
                break
            prints[t] = mark
            passed += 1
            del out, seen
    md = state["max_abs"]
    result["trials_passed"] = passed
    result["trials"] = trials
    result["max_abs_error"] = md if md == md else None
    result["correct"] = passed == trials and not problems
    result["detail"] = "; ".join(problems) if problems else "%d/%d trials match" % (passed, trials)
    if not result["correct"]:
        return

    def check(r, k, out):
        if not is_tensor(out):
            problems.append("timed call %d: ModelNew returns %s, not a tensor" % (r, type(out).__name__))
            return
        why = judge("timed call %d (input set %d)" % (r, k), out, refs[k].to(dev))
        if why is not None:
            problems.append(why)

    times = time_model(new, input_source(n_sets), check)
    if problems:
        result["correct"] = False
        result["detail"] = "; ".join(problems)
        return
    result["detail"] += "; a random timed call checked"
    result["times_ms"] = times


if __name__ == "__main__":
    _kf_main()
