"""Unit tests of the pure parts of the KernelBench harness (hardware/kernelbench/harness.py)
and of the elementwise ModelNew template. Run by ctest; parts that need torch skip with the
reason where torch is not installed."""
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get(
    "KFORGE_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
HARNESS = os.path.join(SOURCE_DIR, "hardware", "kernelbench", "harness.py")
TEMPLATE = os.path.join(SOURCE_DIR, "hardware", "kernelbench", "templates", "elementwise.py")
HEADER = struct.Struct("<8s16sIIQ")


def load_harness():
    spec = importlib.util.spec_from_file_location("kf_harness", HARNESS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def decode(channel, nonce):
    """The records of a channel as (type, index, payload), checking magic and nonce."""
    records = []
    at = 0
    while at < len(channel):
        magic, got_nonce, rtype, index, size = HEADER.unpack_from(channel, at)
        if magic != b"KFRECORD" or got_nonce != nonce:
            raise ValueError("bad record header at byte %d" % at)
        at += HEADER.size
        records.append((rtype, index, channel[at:at + size]))
        at += size
    return records


def has_torch():
    return importlib.util.find_spec("torch") is not None


class EncoderTest(unittest.TestCase):
    def test_result_is_one_json_record_then_an_end_record_counting_it(self):
        harness = load_harness()
        nonce = bytes(range(1, 17))
        result = {"mode": "candidate", "correct": True, "times_ms": [1.5, 2.0]}
        records = decode(harness._kf_encode(nonce, result), nonce)
        self.assertEqual(len(records), 2)
        self.assertEqual(records[0][:2], (10, 0))
        self.assertEqual(json.loads(records[0][2].decode("utf-8")), result)
        self.assertEqual(records[1][:2], (5, 0))
        self.assertEqual(struct.unpack("<Qq", records[1][2]), (1, -1))

    def test_a_record_header_is_forty_bytes(self):
        harness = load_harness()
        record = harness._kf_record(b"n" * 16, 10, 0, b"xyz")
        self.assertEqual(len(record), 40 + 3)
        self.assertEqual(record[:8], b"KFRECORD")

    def test_text_that_is_not_ascii_survives_the_encoding(self):
        harness = load_harness()
        nonce = b"\xff" * 16
        result = {"error": "RuntimeError: \u00e9\u4e2d \"quoted\" )KFPY\""}
        records = decode(harness._kf_encode(nonce, result), nonce)
        self.assertEqual(json.loads(records[0][2].decode("utf-8")), result)


class TemplateTest(unittest.TestCase):
    def test_the_rendered_elementwise_template_is_valid_python(self):
        with open(TEMPLATE, encoding="utf-8") as f:
            text = f.read()
        for marker, value in {"@KIND@": "relu", "@EXPR@": "fmaxf(v, 0.0f)", "@INIT_ARGS@": ", alpha",
                              "@INIT_BODY@": "        self.alpha = alpha\n", "@P0@": "self.alpha",
                              "@P1@": "0.0"}.items():
            self.assertIn(marker, text)
            text = text.replace(marker, value)
        knobs = "BLOCK = 256\nVEC = 4\nITEMS = 2\nFAST_MATH = 0\n"
        compile(knobs + text, "elementwise.py", "exec")


class ProtocolTest(unittest.TestCase):
    def run_harness(self, mode, candidate):
        with tempfile.TemporaryDirectory() as d:
            nonce = os.urandom(16)
            with open(os.path.join(d, "nonce"), "wb") as f:
                f.write(nonce)
            open(os.path.join(d, "channel"), "wb").close()
            fd = os.open(os.path.join(d, "channel"), os.O_RDONLY)
            with open(os.path.join(d, "problem.py"), "w") as f:
                f.write("class Model:\n    pass\n")
            with open(os.path.join(d, "candidate.py"), "w") as f:
                f.write(candidate)
            proc = subprocess.run([sys.executable, "-I", "-B", HARNESS, mode, json.dumps({"seed": 1})], cwd=d,
                                  capture_output=True, timeout=60)
            left = sorted(os.listdir(d))
            channel = os.read(fd, 1 << 20)
            os.close(fd)
        return proc, left, decode(channel, nonce)

    def test_the_harness_removes_nonce_and_channel_and_reports_on_the_channel(self):
        proc, left, records = self.run_harness("build", "class ModelNew:\n    pass\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("nonce", left)
        self.assertNotIn("channel", left)
        self.assertEqual([r[0] for r in records], [10, 5])
        result = json.loads(records[0][2].decode("utf-8"))
        self.assertEqual(result["mode"], "build")
        if not has_torch():
            self.assertIn("ModuleNotFoundError", result["error"])

    def test_a_candidate_that_exits_still_leaves_a_result(self):
        if not has_torch():
            self.skipTest("torch is not installed: the build mode cannot import a candidate")
        proc, _, records = self.run_harness("build", "raise SystemExit(3)\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        result = json.loads(records[0][2].decode("utf-8"))
        self.assertIn("SystemExit", result["error"])


if __name__ == "__main__":
    unittest.main()
