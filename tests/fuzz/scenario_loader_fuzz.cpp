// Fuzz target: the YAML scenario loader (with the default world; a `world:` path the fuzzer
// invents is read from disk like any other and must fail cleanly). Any bytes give a
// scenario or a list of errors; never a crash, an exception or a hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sim/scenario_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = mailflow::sim::load_scenario_string(text, "fuzz.yaml");
  if (result.ok() == !result.errors.empty()) std::abort();
  for (const auto& error : result.errors) {
    if (error.file.empty() || error.message.empty()) std::abort();
  }
  return 0;
}
