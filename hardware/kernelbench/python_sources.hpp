#pragma once

// The Python files of the kernelbench backend, built into kforge: the build
// embeds them (embed_python.cmake) so that they can stay real files with their
// own compile check, lint and unit tests (tests/hardware/kernelbench/).

#include <string_view>

namespace kforge::hardware {

/// The trusted harness, hardware/kernelbench/harness.py, byte for byte.
[[nodiscard]] std::string_view harness_py();

/// The gate's parser, hardware/kernelbench/gate.py, byte for byte.
[[nodiscard]] std::string_view gate_py();

/// The ModelNew generator of elementwise problems,
/// hardware/kernelbench/templates/elementwise.py, with its @...@ markers.
[[nodiscard]] std::string_view elementwise_template_py();

}  // namespace kforge::hardware
