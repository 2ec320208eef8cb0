#pragma once
// Producing and reading whole batches of Kafka records (librdkafka), for
// heraldctl and for tests: produce-and-wait-for-every-ack, and read a topic
// from its start to its current end.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "herald/result.h"

namespace herald::kafka_io {

struct KafkaRecord {
  std::string key, value;
  std::vector<std::pair<std::string, std::string>> headers;
  int32_t partition = 0;
  int64_t offset = 0;
};
// Produces and waits for the broker's acknowledgement of every record.
[[nodiscard]] Status ProduceAll(const std::string& bootstrap, const std::string& topic,
                                const std::vector<KafkaRecord>& records,
                                const std::map<std::string, std::string>& properties = {});
// Reads every record of `topic` from the start to the current end.
[[nodiscard]] Result<std::vector<KafkaRecord>> ReadTopic(const std::string& bootstrap, const std::string& topic);

}  // namespace herald::kafka_io
