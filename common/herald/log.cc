#include "herald/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

#include "herald/timefmt.h"

namespace herald::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void SetLevel(Level level) { g_level.store(level); }

bool Enabled(Level level) { return level >= g_level.load(std::memory_order_relaxed); }

bool ParseLevel(std::string_view text, Level* out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == LevelName(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

std::string Format(Level level, std::string_view msg, const nlohmann::json& fields) {
  nlohmann::ordered_json line;
  line["ts"] = FormatRfc3339(std::chrono::system_clock::now(), 3);
  line["level"] = LevelName(level);
  line["msg"] = msg;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (it.key() != "ts" && it.key() != "level" && it.key() != "msg") line[it.key()] = it.value();
    }
  }
  // Replace invalid UTF-8 from message data instead of throwing mid-log.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Write(Level level, std::string_view msg, const nlohmann::json& fields) {
  if (!Enabled(level)) return;
  std::string text = Format(level, msg, fields);
  text.push_back('\n');
  // A single write(2) keeps concurrent lines whole (stderr is unbuffered).
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, text.data(), text.size());
}

}  // namespace herald::log
