#pragma once
// Shared pieces of heraldctl's subcommands: flag parsing, where the Kafka
// cluster and a channel's topics are, and small librdkafka helpers.
#include <map>
#include <string>
#include <vector>

#include "herald/result.h"
#include "kafka_io/records.h"

namespace herald::cli {

// Exit codes a script can rely on.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation failed (broker, cluster)
inline constexpr int kExitUsage = 2;    // bad flags or input

// "--name value" / "--name=value" flags plus positional arguments.
struct Args {
  std::map<std::string, std::vector<std::string>> flags;  // repeated flags keep every value
  std::vector<std::string> positional;
  bool Has(const std::string& f) const { return flags.count(f) > 0; }
  std::string Get(const std::string& f, const std::string& def = "") const {
    auto it = flags.find(f);
    return it == flags.end() || it->second.empty() ? def : it->second.back();
  }
};
// `boolean` lists flags that take no value. Returns the args, or an error
// naming the unknown or incomplete flag.
[[nodiscard]] Result<Args> ParseArgs(const std::vector<std::string>& argv, const std::vector<std::string>& known,
                                     const std::vector<std::string>& boolean);

struct Topics {
  std::string topic, dead_letter_topic;
};
// The channel's topics: from its status in the cluster (--channel ns/name,
// using --kubeconfig or $KUBECONFIG), or --topic given directly.
[[nodiscard]] Result<Topics> ResolveTopics(const Args& args);
// --bootstrap, else $HERALD_KAFKA_BOOTSTRAP.
[[nodiscard]] Result<std::string> Bootstrap(const Args& args);

using kafka_io::KafkaRecord;
using kafka_io::ProduceAll;
using kafka_io::ReadTopic;

int Send(const std::vector<std::string>& argv);
int Render(const std::vector<std::string>& argv);
int Dlq(const std::vector<std::string>& argv);

}  // namespace herald::cli
