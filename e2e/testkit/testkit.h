#pragma once
// Helpers for tests that run against the real local stack: Kafka topics and
// records (librdkafka), child processes (the binaries under test, the webhook
// sink), and small HTTP calls (libcurl). Test code only.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace herald::testkit {

std::string UniqueSuffix();

// A 127.0.0.1 TCP port that was free a moment ago (the kernel picked it).
int FreePort();

// Polls `pred` until it returns true or `timeout` passes; returns its last value.
bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(50));

// --- Kafka
struct Record {
  std::string key, value;
  std::map<std::string, std::string> headers;
  int32_t partition = 0;
  int64_t offset = 0;
};
// Creates (or finds existing) topics; returns "" or the error.
std::string CreateTopics(const std::string& bootstrap, const std::vector<std::string>& topics, int partitions);
void DeleteTopics(const std::string& bootstrap, const std::vector<std::string>& topics);
// Produces and waits for every acknowledgement; returns "" or the error.
std::string Produce(const std::string& bootstrap, const std::string& topic, const std::vector<Record>& records);
// Reads every record currently in the topic (from the beginning to the high watermarks).
std::vector<Record> ReadAll(const std::string& bootstrap, const std::string& topic,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));
// Sum over partitions of (high watermark - committed offset of `group`); -1 on error.
int64_t GroupLag(const std::string& bootstrap, const std::string& group, const std::string& topic);

// --- Processes
struct Process {
  pid_t pid = -1;
  std::string log_path;
  // Sends `sig`; then waits up to `timeout` for exit; returns the exit status
  // (WEXITSTATUS), 128+signal if killed, or -1 on timeout.
  int Stop(int sig, std::chrono::milliseconds timeout);
  bool Running() const;
  std::string Log() const;
};
// Starts argv[0] with args; stdout+stderr go to log_path. Environment is inherited plus `env`.
Process Spawn(const std::vector<std::string>& argv, const std::string& log_path,
              const std::map<std::string, std::string>& env = {});

// --- HTTP
// Returns the status (0: no answer) and the body.
long HttpGet(const std::string& url, std::string* body);
long HttpPost(const std::string& url, const std::string& json_body, std::string* body);

// The webhook sink fixture (e2e/fixtures/webhook_sink.py) as a child process.
struct Sink {
  Process process;
  int port = 0;
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
  nlohmann::json Control(const std::string& method, const std::string& path, const nlohmann::json& body = {}) const;
  // Every recorded request to `path_glob` (all pages).
  std::vector<nlohmann::json> Requests(const std::string& path_glob) const;
};
// Starts the sink on a free port; empty port on failure.
Sink StartSink(const std::string& script, const std::string& work_dir);

}  // namespace herald::testkit
