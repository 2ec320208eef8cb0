#include "operator/kafka/batching_topic_admin.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>

namespace herald::kafka {
namespace {

const std::string& NameOf(const std::string& s) { return s; }
const std::string& NameOf(const TopicSpec& t) { return t.name; }
const std::string& NameOf(const PartitionIncrease& p) { return p.name; }
const std::string& NameOf(const TopicConfigs& t) { return t.name; }

// One kind of call. Callers queue their items; whoever finds no request in
// flight becomes the sender for everything queued (its own call included),
// and hands each caller its slice of the answer.
template <typename Item, typename Result>
class Lane {
 public:
  using Call = std::function<std::vector<Result>(const std::vector<Item>&)>;
  // Builds the answer for an item the inner admin left unanswered.
  using Missing = std::function<Result(const Item&)>;

  Lane(std::string_view operation, Call call, Missing missing, const BatchingOptions& options)
      : operation_(operation), call_(std::move(call)), missing_(std::move(missing)), options_(options) {}

  std::vector<Result> Submit(const std::vector<Item>& items) {
    if (items.empty()) return {};
    Pending mine{items, {}, false};
    std::unique_lock lock(mu_);
    queue_.push_back(&mine);
    queued_topics_ += items.size();
    if (options_.observer != nullptr) options_.observer->OnCall(operation_, items.size());
    cv_.notify_all();  // a lingering sender may now have enough
    while (!mine.done) {
      if (busy_) {
        cv_.wait(lock);
        continue;
      }
      busy_ = true;
      if (options_.window.count() > 0) {
        cv_.wait_for(lock, options_.window, [&] { return queued_topics_ >= options_.max_topics; });
      }
      std::vector<Pending*> batch = Take();
      lock.unlock();
      Send(batch);
      lock.lock();
      for (Pending* p : batch) p->done = true;
      busy_ = false;
      cv_.notify_all();
    }
    return std::move(mine.results);
  }

 private:
  struct Pending {
    const std::vector<Item>& items;
    std::vector<Result> results;
    bool done;
  };

  // Takes queued calls in arrival order while their topics fit and none is
  // already in the batch; the first call is always taken whole. Needs mu_.
  std::vector<Pending*> Take() {
    std::vector<Pending*> batch;
    std::set<std::string> names;
    size_t topics = 0;
    for (auto it = queue_.begin(); it != queue_.end();) {
      Pending* p = *it;
      bool fits = batch.empty() || topics + p->items.size() <= options_.max_topics;
      for (const Item& item : p->items) {
        if (!batch.empty() && names.contains(NameOf(item))) fits = false;
      }
      if (!fits) {
        ++it;
        continue;
      }
      for (const Item& item : p->items) names.insert(NameOf(item));
      topics += p->items.size();
      queued_topics_ -= p->items.size();
      batch.push_back(p);
      it = queue_.erase(it);
    }
    return batch;
  }

  void Send(const std::vector<Pending*>& batch) {
    std::vector<Item> all;
    for (const Pending* p : batch) all.insert(all.end(), p->items.begin(), p->items.end());
    if (options_.observer != nullptr) options_.observer->OnRequest(operation_, all.size(), batch.size());
    auto start = std::chrono::steady_clock::now();
    std::vector<Result> results = call_(all);
    if (options_.observer != nullptr)
      options_.observer->OnResponse(operation_, std::chrono::steady_clock::now() - start);
    size_t at = 0;
    for (Pending* p : batch) {
      p->results.reserve(p->items.size());
      for (const Item& item : p->items) {
        p->results.push_back(at < results.size() ? std::move(results[at]) : missing_(item));
        ++at;
      }
    }
  }

  const std::string_view operation_;
  const Call call_;
  const Missing missing_;
  const BatchingOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending*> queue_;
  size_t queued_topics_ = 0;
  bool busy_ = false;
};

KafkaError NoAnswer() { return KafkaError{"_INVALID_ARG", "the admin client returned no result for this topic"}; }

}  // namespace

struct BatchingTopicAdmin::Lanes {
  Lanes(TopicAdmin& in, const BatchingOptions& o)
      : describe(
            "DescribeTopics", [&in](const auto& v) { return in.DescribeTopics(v); },
            [](const std::string& n) {
              TopicDescription d;
              d.name = n;
              d.error = NoAnswer();
              return d;
            },
            o),
        create(
            "CreateTopics", [&in](const auto& v) { return in.CreateTopics(v); },
            [](const TopicSpec& t) {
              return CreateTopicResult{t.name, CreateStatus::kError, NoAnswer()};
            },
            o),
        partitions(
            "CreatePartitions", [&in](const auto& v) { return in.CreatePartitions(v); },
            [](const PartitionIncrease& p) {
              return TopicResult{p.name, NoAnswer()};
            },
            o),
        configs(
            "AlterConfigs", [&in](const auto& v) { return in.AlterConfigs(v); },
            [](const TopicConfigs& t) {
              return TopicResult{t.name, NoAnswer()};
            },
            o),
        deletes(
            "DeleteTopics", [&in](const auto& v) { return in.DeleteTopics(v); },
            [](const std::string& n) {
              return TopicResult{n, NoAnswer()};
            },
            o) {}

  Lane<std::string, TopicDescription> describe;
  Lane<TopicSpec, CreateTopicResult> create;
  Lane<PartitionIncrease, TopicResult> partitions;
  Lane<TopicConfigs, TopicResult> configs;
  Lane<std::string, TopicResult> deletes;
};

BatchingTopicAdmin::BatchingTopicAdmin(TopicAdmin& inner, BatchingOptions options)
    : inner_(inner), lanes_(std::make_unique<Lanes>(inner, options)) {}

BatchingTopicAdmin::BatchingTopicAdmin(TopicAdminPtr inner, BatchingOptions options)
    : owned_(std::move(inner)), inner_(*owned_), lanes_(std::make_unique<Lanes>(inner_, options)) {}

BatchingTopicAdmin::~BatchingTopicAdmin() = default;

std::vector<TopicDescription> BatchingTopicAdmin::DescribeTopics(const std::vector<std::string>& names) {
  return lanes_->describe.Submit(names);
}
std::vector<CreateTopicResult> BatchingTopicAdmin::CreateTopics(const std::vector<TopicSpec>& topics) {
  return lanes_->create.Submit(topics);
}
std::vector<TopicResult> BatchingTopicAdmin::CreatePartitions(const std::vector<PartitionIncrease>& increases) {
  return lanes_->partitions.Submit(increases);
}
std::vector<TopicResult> BatchingTopicAdmin::AlterConfigs(const std::vector<TopicConfigs>& topics) {
  return lanes_->configs.Submit(topics);
}
std::vector<TopicResult> BatchingTopicAdmin::DeleteTopics(const std::vector<std::string>& names) {
  return lanes_->deletes.Submit(names);
}
Status BatchingTopicAdmin::Ping() { return inner_.Ping(); }

}  // namespace herald::kafka
