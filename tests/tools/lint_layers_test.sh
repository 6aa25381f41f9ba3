#!/usr/bin/env bash
# tools/lint-layers must refuse an include that points up a layer and a loop between folders,
# and accept a tree whose includes point down. Usage: lint_layers_test.sh SOURCE_DIR
set -euo pipefail
lint="$1/tools/lint-layers"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p runtime/base runtime/campaign runtime/daemon memory hardware/sandbox hardware/gates actors/task

echo '#pragma once' >runtime/base/error.hpp
echo '#include "runtime/base/error.hpp"' >memory/store.hpp
echo '#include "memory/store.hpp"' >actors/task/task_actor.hpp
echo '#include "runtime/base/error.hpp"' >hardware/sandbox/subprocess.hpp
echo '#include "hardware/sandbox/subprocess.hpp"' >hardware/gates/hack_check.hpp
if ! python3 "$lint" runtime/base/error.hpp memory/store.hpp actors/task/task_actor.hpp \
     hardware/sandbox/subprocess.hpp hardware/gates/hack_check.hpp; then
  echo "FAIL: a tree whose includes point down was refused"; exit 1
fi

echo '#include "actors/task/task_actor.hpp"' >memory/bad.hpp
if python3 "$lint" memory/bad.hpp 2>out.txt; then
  echo "FAIL: memory including actors was accepted"; exit 1
fi
grep -q "memory may not include actors" out.txt

echo '#include "hardware/sandbox/subprocess.hpp"' >memory/peer.hpp
if python3 "$lint" memory/peer.hpp 2>out.txt; then
  echo "FAIL: memory including its peer hardware was accepted"; exit 1
fi

echo '#include "hardware/gates/hack_check.hpp"' >hardware/sandbox/loop.hpp
if python3 "$lint" hardware/gates/hack_check.hpp hardware/sandbox/loop.hpp 2>out.txt; then
  echo "FAIL: a loop between hardware/gates and hardware/sandbox was accepted"; exit 1
fi
grep -q "include loop between folders hardware/gates, hardware/sandbox" out.txt
echo '#include "actors/task/task_actor.hpp"' >runtime/campaign/launch.hpp
echo '#include "runtime/campaign/launch.hpp"' >runtime/daemon/daemon.hpp
if ! python3 "$lint" runtime/campaign/launch.hpp runtime/daemon/daemon.hpp; then
  echo "FAIL: the daemon including the campaign room was refused"; exit 1
fi
echo '#include "runtime/daemon/daemon.hpp"' >runtime/campaign/up.hpp
if python3 "$lint" runtime/campaign/up.hpp 2>out.txt; then
  echo "FAIL: the campaign room including the daemon was accepted"; exit 1
fi
grep -q "runtime/campaign may not include runtime/daemon" out.txt
echo "lint-layers: 6 passed, 0 failed"
