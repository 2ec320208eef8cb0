// The Kafka half of the operator-scale floor: creates (or deletes) every
// topic named on stdin in ONE admin request, the cheapest way the broker
// offers, so the benchmark can compare the operator against it.
//
// Usage: herald-bench-topic-batch create|delete --bootstrap HOST:PORT
//          [--partitions N] [--replication-factor N] [--config KEY=VALUE]... < names
// Prints one line: "<verb> <n> topics in <ms> ms (<errors> errors)"; exits 1
// when any topic failed (already-existing topics count as failures for
// create, so a stale run is noticed), 2 on bad usage.
#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "herald/log.h"
#include "operator/kafka/rdkafka_topic_admin.h"

namespace {

int Usage(const std::string& why) {
  std::cerr << "herald-bench-topic-batch: " << why
            << "\nusage: herald-bench-topic-batch create|delete --bootstrap HOST:PORT [--partitions N] "
               "[--replication-factor N] [--config KEY=VALUE]... < topic-names\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace herald::kafka;
  if (argc < 2) return Usage("missing verb");
  const std::string verb = argv[1];
  if (verb != "create" && verb != "delete") return Usage("unknown verb '" + verb + "'");
  std::string bootstrap;
  int partitions = 1, replication = 1;
  std::map<std::string, std::string> configs;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--bootstrap") {
      bootstrap = value;
    } else if (flag == "--partitions") {
      partitions = std::stoi(value);
    } else if (flag == "--replication-factor") {
      replication = std::stoi(value);
    } else if (flag == "--config") {
      const auto eq = value.find('=');
      if (eq == std::string::npos) return Usage("--config wants KEY=VALUE, got '" + value + "'");
      configs[value.substr(0, eq)] = value.substr(eq + 1);
    } else {
      return Usage("unknown flag " + flag);
    }
  }
  if (bootstrap.empty()) return Usage("--bootstrap is required");

  std::vector<std::string> names;
  for (std::string line; std::getline(std::cin, line);) {
    if (!line.empty()) names.push_back(line);
  }

  herald::log::SetLevel(herald::log::Level::kWarn);  // not a line per topic
  RdKafkaAdminOptions options;
  options.request_timeout = std::chrono::minutes(5);  // thousands of topics in one request
  auto admin = RdKafkaTopicAdmin::Create(bootstrap, {}, options);
  if (!admin) {
    std::cerr << "herald-bench-topic-batch: " << admin.error() << "\n";
    return 1;
  }

  int errors = 0;
  const auto start = std::chrono::steady_clock::now();
  if (verb == "create") {
    std::vector<TopicSpec> specs;
    for (const auto& n : names) specs.push_back({n, partitions, replication, configs});
    for (const auto& r : (*admin)->CreateTopics(specs)) {
      if (r.status == CreateStatus::kCreated) continue;
      if (errors++ < 5) std::cerr << r.name << ": " << r.status << (r.error ? " " + r.error->code : "") << "\n";
    }
  } else {
    for (const auto& r : (*admin)->DeleteTopics(names)) {
      if (!r.ok() && errors++ < 5) std::cerr << r.name << ": " << r.error->code << "\n";
    }
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  std::cout << verb << " " << names.size() << " topics in " << ms << " ms (" << errors << " errors)\n";
  return errors == 0 ? 0 : 1;
}
