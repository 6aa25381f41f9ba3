#pragma once

// The kernelbench wing's entry header: KernelBench problems as tasks
// (problem.hpp, operator.hpp), the Python gate (gates/python_gate.hpp), the
// trusted harness and its result (harness.hpp) and the device that runs it
// (kernelbench_device.hpp).

#include "hardware/kernelbench/harness.hpp"
#include "hardware/kernelbench/kernelbench_device.hpp"
#include "hardware/kernelbench/operator.hpp"
#include "hardware/kernelbench/problem.hpp"
#include "hardware/kernelbench/python_gate_run.hpp"
