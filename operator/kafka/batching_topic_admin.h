#pragma once
// A TopicAdmin in front of another that merges calls arriving together from
// concurrent reconcile workers into one admin request per kind, so applying
// many channels at once costs a handful of CreateTopics / DescribeTopics
// requests instead of a few per channel. Each caller gets exactly the results
// for its own topics, in its own order, as if it had called alone.
//
// How a batch forms (group commit): the first call of a kind when none of
// that kind is in flight waits up to `window` for others to join (or until
// `max_topics` are queued), then sends them all as one request. Calls made
// while a request is in flight queue up and leave together as the next one,
// so under load batches grow by themselves, and an idle operator pays at most
// `window` per call. A topic named by two queued calls goes in separate
// requests (Kafka refuses a name listed twice in one request).
#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "operator/kafka/topic_admin.h"

namespace herald::kafka {

// Told about calls and the requests they became (for metrics). Called from
// the calling threads; must be thread-safe and quick.
class AdminObserver {
 public:
  virtual ~AdminObserver() = default;
  // A caller asked `operation` ("DescribeTopics", "CreateTopics", ...) for `topics` topics.
  virtual void OnCall(std::string_view operation, size_t topics) = 0;
  // One request went to the inner admin for `topics` topics on behalf of `calls` calls.
  virtual void OnRequest(std::string_view operation, size_t topics, size_t calls) = 0;
  // That request was answered after `took`.
  virtual void OnResponse(std::string_view /*operation*/, std::chrono::duration<double> /*took*/) {}
};

struct BatchingOptions {
  std::chrono::milliseconds window{20};
  size_t max_topics = 1000;
  AdminObserver* observer = nullptr;  // not owned; may be null
};

class BatchingTopicAdmin final : public TopicAdmin {
 public:
  // `inner` must outlive this object and answer one result per item, in order.
  explicit BatchingTopicAdmin(TopicAdmin& inner, BatchingOptions options = {});
  // The same, owning `inner`.
  explicit BatchingTopicAdmin(TopicAdminPtr inner, BatchingOptions options = {});
  ~BatchingTopicAdmin() override;

  std::vector<TopicDescription> DescribeTopics(const std::vector<std::string>& names) override;
  std::vector<CreateTopicResult> CreateTopics(const std::vector<TopicSpec>& topics) override;
  std::vector<TopicResult> CreatePartitions(const std::vector<PartitionIncrease>& increases) override;
  std::vector<TopicResult> AlterConfigs(const std::vector<TopicConfigs>& topics) override;
  std::vector<TopicResult> DeleteTopics(const std::vector<std::string>& names) override;
  Status Ping() override;  // passed through, never batched

 private:
  struct Lanes;
  TopicAdminPtr owned_;
  TopicAdmin& inner_;
  std::unique_ptr<Lanes> lanes_;
};

}  // namespace herald::kafka
