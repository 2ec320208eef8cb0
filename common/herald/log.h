#pragma once
// Structured logs: one JSON object per line on stderr with "ts", "level",
// "msg" and any context fields ("globalId", "channel", "resource", ...).
// Thread-safe; a line is written with one write() so lines never interleave.
#include <nlohmann/json.hpp>
#include <string_view>

namespace herald::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines below `level` are dropped. Default: kInfo.
void SetLevel(Level level);
// Returns whether lines at `level` are written: lets a hot path skip
// building the fields of a line that would be dropped.
[[nodiscard]] bool Enabled(Level level);
// Parses "debug" | "info" | "warn" | "error"; returns false otherwise.
[[nodiscard]] bool ParseLevel(std::string_view text, Level* out);

// Renders one log line (without the trailing newline); exposed for tests.
[[nodiscard]] std::string Format(Level level, std::string_view msg, const nlohmann::json& fields);

void Write(Level level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
inline void Debug(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kDebug, msg, f);
}
inline void Info(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kInfo, msg, f);
}
inline void Warn(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kWarn, msg, f);
}
inline void Error(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kError, msg, f);
}

}  // namespace herald::log
