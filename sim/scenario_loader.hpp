// Reads a Scenario from YAML (format: scenarios/README.md) and checks it: unknown keys and
// unknown fault kinds are errors, as are steps and expectations naming an actor, letter,
// fault or user the scenario does not have. Every problem is reported with file, line and
// column, all at once; nothing throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario.hpp"
#include "sim/yaml_reader.hpp"

namespace mailflow::sim {

struct ScenarioLoadResult {
  std::optional<Scenario> scenario;  // set only when errors is empty
  std::vector<LoadError> errors;     // in document order (a world file's errors first)

  bool ok() const { return scenario.has_value() && errors.empty(); }
};

ScenarioLoadResult load_scenario_file(const std::string& path);

// One fault as a scenario's faults: list writes it (JSON is YAML too, so the control API
// reads its request bodies with this), with the same checks and messages.
struct FaultLoadResult {
  std::optional<FaultSpec> fault;  // set only when errors is empty
  std::vector<LoadError> errors;
};
FaultLoadResult load_fault_string(std::string_view yaml, std::string file_name = "<string>");
// `file_name` names the scenario in errors; a `world:` path is relative to its directory.
ScenarioLoadResult load_scenario_string(std::string_view yaml, std::string file_name = "<string>");

}  // namespace mailflow::sim
