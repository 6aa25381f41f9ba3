#pragma once

namespace kforge::hardware {

/// The part of the generated harness's text that its C++ and CUDA variants share (helpers in its
/// anonymous namespace: kforge_converged, kforge_rng, kforge_keep_worst, kforge_send, kforge_fail).
/// Internal to harness_source.cpp.
[[nodiscard]] const char* harness_helpers_text();

}  // namespace kforge::hardware
