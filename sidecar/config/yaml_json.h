#pragma once
// YAML → JSON with YAML 1.2 core-schema typing for plain scalars (so `11`
// stays a number and `"11"` stays a string), for handing YAML sections to
// code that speaks nlohmann::json (Template specs, samples).
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace herald::config {

[[nodiscard]] nlohmann::json YamlToJson(const YAML::Node& node);

}  // namespace herald::config
