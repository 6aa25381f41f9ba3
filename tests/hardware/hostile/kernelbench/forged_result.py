#!/usr/bin/python3
# Stands in for the KernelBench harness's interpreter (kernelbench_config::python)
# and forges its result: kforge runs `<this> -I -B harness.py <mode> <settings>`
# in the run directory, where problem.py (the task's reference source) is, in
# the tests, a JSON object naming the text to report for each mode. The text is
# framed with the run's nonce, so only its content is hostile.
import json
import os
import struct
import sys

mode = sys.argv[4]
with open("nonce", "rb") as f:
    nonce = f.read()
with open("problem.py", "r", encoding="utf-8") as f:
    replies = json.load(f)
payload = replies[mode].encode("utf-8")
end = struct.pack("<Qq", 1, -1)
records = struct.pack("<8s16sIIQ", b"KFRECORD", nonce, 10, 0, len(payload)) + payload
records += struct.pack("<8s16sIIQ", b"KFRECORD", nonce, 5, 0, len(end)) + end
fd = os.open("channel", os.O_WRONLY | os.O_APPEND)
os.write(fd, records)
os.close(fd)
