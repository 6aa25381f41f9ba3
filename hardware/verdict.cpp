#include "hardware/verdict.hpp"

#include <array>

namespace kforge::hardware {

verdict failed_verdict(const std::string& gate, std::string detail, std::string device) {
  static const std::array<const char*, 4> order = {gate_hack, gate_compile, gate_correctness, gate_latency};
  verdict v;
  v.device = std::move(device);
  v.failed_gate = gate;
  bool known = false;
  for (const char* g : order) {
    if (gate == g) {
      known = true;
      break;
    }
    v.gates.push_back(gate_result{g, true, {}});
  }
  // "parse" (or any gate not in the list) comes before every verifier gate.
  if (!known)
    v.gates.clear();
  v.gates.push_back(gate_result{gate, false, std::move(detail)});
  // Feasible means hack, compile and correctness passed: only a latency failure keeps it.
  v.feasible = gate == gate_latency;
  return v;
}

}  // namespace kforge::hardware
