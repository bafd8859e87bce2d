#!/usr/bin/env python3
"""Fails when the committed generated codecs differ from what the generator emits now.

    check_generated.py <kafka messages dir> <committed dir> <scratch dir>
"""

import filecmp
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
messages, committed, scratch = sys.argv[1:4]
os.makedirs(scratch, exist_ok=True)
for name in os.listdir(scratch):
    os.remove(os.path.join(scratch, name))
subprocess.run([sys.executable, os.path.join(here, "kafka_codegen.py"), messages, scratch], check=True)
fresh, old = set(os.listdir(scratch)), set(os.listdir(committed))
stale = sorted(f for f in fresh & old if not filecmp.cmp(os.path.join(scratch, f), os.path.join(committed, f), shallow=False))
problems = [f"stale: {f}" for f in stale] + [f"missing: {f}" for f in sorted(fresh - old)] + [
    f"not generated any more: {f}" for f in sorted(old - fresh)]
if problems:
    print("\n".join(problems))
    print("regenerate: tools/kafka-codegen/kafka_codegen.py <messages dir> protocols/kafka/src/generated")
    sys.exit(1)
print(f"{len(fresh)} generated files are current")
