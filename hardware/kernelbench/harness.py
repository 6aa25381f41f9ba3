# The trusted KernelBench harness. kforge builds this file in (embedded at
# build time) and writes it to work_dir/kernelbench/harness-<hash>.py.
# Runs in kforge's sandbox, in a directory holding `nonce`, `channel`,
# `problem.py` and (build, candidate) `candidate.py`. Before any candidate code
# runs it reads and removes all of them (the channel stays open by descriptor),
# so the candidate finds neither the nonce nor the channel by name. The result
# is one JSON record framed like the native harness's records, then an end
# record (hardware/channel/result_channel.hpp describes the framing).
import json
import math
import os
import struct
import sys
import traceback


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

    # Bound before any candidate code runs.
    allclose = torch.allclose
    equal = torch.equal
    t_abs = torch.abs
    t_max = torch.max
    synchronize = torch.cuda.synchronize
    current_stream = torch.cuda.current_stream
    Event = torch.cuda.Event
    is_tensor = torch.is_tensor

    if mode == "build":
        # The compile stage: load_inline builds into TORCH_EXTENSIONS_DIR; no GPU is visible.
        ctx = {}
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

    flush = torch.empty((int(s["flush_mib"]) * 1024 * 1024 // 8,), dtype=torch.int64, device=dev)

    def time_model(model, inputs):
        # KernelBench's CUDA-event timing: warm-ups, then timed runs each after a full
        # synchronize and an L2 flush, events on the current stream, a full synchronize after.
        with torch.no_grad():
            for _ in range(int(s["warmup"])):
                model(*inputs)
                synchronize(device=dev)
            times = []
            for _ in range(int(s["runs"])):
                synchronize(device=dev)
                start = Event(enable_timing=True)
                stop = Event(enable_timing=True)
                flush.fill_(42)
                start.record()
                model(*inputs)
                stop.record()
                synchronize(device=dev)
                times.append(start.elapsed_time(stop))
        return times

    with torch.no_grad():
        set_seed(seed)
        model = Model(*init_inputs).to(dev)

    if mode == "reference":
        inputs = make_inputs(seed)
        with torch.no_grad():
            out = model(*inputs)
        synchronize(device=dev)
        result["output_shape"] = list(out.shape) if is_tensor(out) else None
        result["output_dtype"] = str(out.dtype) if is_tensor(out) else type(out).__name__
        del out
        result["times_ms"] = time_model(model, inputs)
        result["ok"] = True
        return

    # mode == "candidate": the reference outputs of every trial first, before the candidate is imported.
    torch.manual_seed(seed)
    trial_seeds = [torch.randint(0, 2**32 - 1, (1,)).item() for _ in range(trials)]
    refs = []
    total = 0
    with torch.no_grad():
        for ts in trial_seeds:
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

    ctx = {}
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

    passed = 0
    max_abs = 0.0
    problems = []
    with torch.no_grad():
        for t, ts in enumerate(trial_seeds):
            inputs = make_inputs(ts)
            ref = refs[t].to(dev)
            try:
                stream = current_stream()
                out = new(*inputs)
                # What the current stream sees once it is done: work left running on
                # another stream shows as a difference from the fully synchronized output.
                stream.synchronize()
                if not is_tensor(out):
                    problems.append("trial %d: ModelNew returns %s, not a tensor" % (t, type(out).__name__))
                    break
                seen = out.clone()
                stream.synchronize()
                synchronize(device=dev)
            except BaseException as e:
                problems.append("trial %d: runtime error: %s" % (t, (type(e).__name__ + ": " + str(e))[:2000]))
                break
            if tuple(out.shape) != tuple(ref.shape):
                problems.append("trial %d: output shape mismatch: expected %s, got %s"
                                % (t, list(ref.shape), list(out.shape)))
                break
            if out.dtype != ref.dtype:
                problems.append("trial %d: output dtype %s, expected %s" % (t, out.dtype, ref.dtype))
                break
            if not equal(seen, out):
                problems.append("trial %d: the output changed after the current stream had finished: "
                                "work on another stream (side stream) is not synchronized with it" % t)
                break
            tol = 1e-2 if ref.dtype in (torch.float16, torch.bfloat16) else 1e-4
            diff = t_abs(out.float() - ref.float())
            md = float(t_max(diff).item()) if diff.numel() > 0 else 0.0
            if math.isnan(md) or not (md == md):
                md = float("nan")
            max_abs = md if (md != md or md > max_abs) else max_abs
            if allclose(out, ref, atol=tol, rtol=tol):
                passed += 1
            else:
                problems.append("trial %d: output mismatch beyond atol = rtol = %g: max abs difference %.6g"
                                % (t, tol, md))
            del out, seen, diff
    result["trials_passed"] = passed
    result["trials"] = trials
    result["max_abs_error"] = max_abs if max_abs == max_abs else None
    result["correct"] = passed == trials and not problems
    result["detail"] = "; ".join(problems) if problems else "%d/%d trials match" % (passed, trials)
    if not result["correct"]:
        return
    result["times_ms"] = time_model(new, make_inputs(seed))


if __name__ == "__main__":
    _kf_main()
