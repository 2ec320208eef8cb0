#include "operator/kafka/rdkafka_topic_admin.h"

#include <librdkafka/rdkafka.h>

#include <unordered_map>
#include <utility>

#include "herald/log.h"

namespace herald::kafka {
namespace {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    if (p != nullptr) Fn(p);
  }
};
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, Deleter<rd_kafka_queue_destroy>>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, Deleter<rd_kafka_event_destroy>>;
using OptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, Deleter<rd_kafka_AdminOptions_destroy>>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, Deleter<rd_kafka_conf_destroy>>;
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, Deleter<rd_kafka_NewTopic_destroy>>;
using NewPartitionsPtr = std::unique_ptr<rd_kafka_NewPartitions_t, Deleter<rd_kafka_NewPartitions_destroy>>;
using DeleteTopicPtr = std::unique_ptr<rd_kafka_DeleteTopic_t, Deleter<rd_kafka_DeleteTopic_destroy>>;
using ConfigResourcePtr = std::unique_ptr<rd_kafka_ConfigResource_t, Deleter<rd_kafka_ConfigResource_destroy>>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, Deleter<rd_kafka_metadata_destroy>>;

// librdkafka emits the result event itself when request_timeout passes; this
// extra wait only guards against an event that never comes.
constexpr std::chrono::seconds kAwaitGrace{5};

KafkaError MakeError(rd_kafka_resp_err_t err, const char* message = nullptr) {
  return KafkaError{rd_kafka_err2name(err), message != nullptr && *message != '\0' ? message : rd_kafka_err2str(err)};
}

// librdkafka logs from its own threads; herald::log is thread-safe.
void LogToHerald(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  const nlohmann::json fields = {{"component", "kafka-admin"}, {"client", rd_kafka_name(rk)}, {"facility", facility}};
  if (level <= 3) {  // syslog levels: emerg, alert, crit, err
    log::Error(message, fields);
  } else if (level == 4) {
    log::Warn(message, fields);
  } else if (level <= 6) {
    log::Info(message, fields);
  } else {
    log::Debug(message, fields);
  }
}

// Per-item bookkeeping shared by the batch calls: the error of each input
// item (set early for items that never reach the broker) and, for the items
// that are sent, their input position by name. Kafka answers per topic
// name, and librdkafka refuses a whole request that names a topic twice, so
// repeats are answered here and left out of the request.
class Batch {
 public:
  explicit Batch(const std::vector<std::string>& names)
      : names_(names), errors_(names.size()), answered_(names.size()) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (!index_.emplace(names[i], i).second) {
        errors_[i] = KafkaError{std::string(kErrInvalidArg), "topic " + names[i] + " is listed twice in one request"};
        answered_[i] = true;
      }
    }
  }

  // Input positions to send, in input order.
  [[nodiscard]] std::vector<size_t> Pending() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < names_.size(); ++i) {
      if (!answered_[i]) out.push_back(i);
    }
    return out;
  }
  // Answers item `i` without sending it (e.g. librdkafka refused its arguments).
  void Refuse(size_t i, KafkaError e) {
    errors_[i] = std::move(e);
    answered_[i] = true;
  }
  // Records the broker's answer for `name`; ignores names not asked about.
  void Answer(const std::string& name, std::optional<KafkaError> e) {
    const auto it = index_.find(name);
    if (it == index_.end() || answered_[it->second]) return;
    errors_[it->second] = std::move(e);
    answered_[it->second] = true;
  }
  // Gives every unanswered item `e` (a failed request, or no answer for it).
  void FailPending(const KafkaError& e) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (!answered_[i]) Refuse(i, e);
    }
  }
  [[nodiscard]] std::vector<TopicResult> Results() {
    FailPending(KafkaError{"_FAIL", "the broker's answer did not mention this topic"});
    std::vector<TopicResult> out(names_.size());
    for (size_t i = 0; i < names_.size(); ++i) out[i] = TopicResult{names_[i], errors_[i]};
    return out;
  }

 private:
  const std::vector<std::string>& names_;
  std::vector<std::optional<KafkaError>> errors_;
  std::vector<bool> answered_;
  std::unordered_map<std::string, size_t> index_;
};

// Answers each topic of a CreateTopics, CreatePartitions or DeleteTopics
// result with its error (nullopt for none).
void AnswerTopicResults(Batch& batch, const rd_kafka_topic_result_t** results, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    std::optional<KafkaError> e;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) e = MakeError(err, rd_kafka_topic_result_error_string(results[i]));
    batch.Answer(rd_kafka_topic_result_name(results[i]), std::move(e));
  }
}

std::vector<std::string> NamesOf(const auto& items) {
  std::vector<std::string> names;
  names.reserve(items.size());
  for (const auto& item : items) names.push_back(item.name);
  return names;
}

}  // namespace

// ---------------------------------------------------------------------------
// Construction

Result<std::unique_ptr<RdKafkaTopicAdmin>> RdKafkaTopicAdmin::Create(const std::string& bootstrap_servers,
                                                                     const KafkaProperties& properties,
                                                                     RdKafkaAdminOptions options) {
  ConfPtr conf(rd_kafka_conf_new());
  char errstr[512];
  const auto set = [&](const std::string& key, const std::string& value) -> Status {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      return Error{"kafka property " + key + ": " + errstr};
    }
    return OkStatus();
  };
  // Defaults a properties file may override. Brokers close idle connections
  // (connections.max.idle.ms) and an admin client is idle most of the time:
  // without log.connection.close=false each of those closes is logged.
  for (const auto& [key, value] :
       KafkaProperties{{"client.id", "herald-operator"}, {"log.connection.close", "false"}}) {
    if (auto s = set(key, value); !s) return Error{s.error()};
  }
  for (const auto& [key, value] : properties) {
    if (auto s = set(key, value); !s) return Error{s.error()};
  }
  std::string bootstrap = bootstrap_servers;
  if (bootstrap.empty()) {
    const auto it = properties.find("bootstrap.servers");
    if (it != properties.end()) bootstrap = it->second;
  }
  if (bootstrap.empty()) {
    return Error{"kafka: no bootstrap servers: give the bootstrap flag or bootstrap.servers in the properties"};
  }
  if (auto s = set("bootstrap.servers", bootstrap); !s) return Error{s.error()};
  rd_kafka_conf_set_log_cb(conf.get(), LogToHerald);

  // A producer handle is librdkafka's usual admin client; it produces nothing.
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) return Error{std::string("kafka: cannot create the admin client: ") + errstr};
  (void)conf.release();  // rd_kafka_new owns it now
  log::Info("kafka admin client created", {{"bootstrap", bootstrap}, {"client", rd_kafka_name(rk)}});
  return std::unique_ptr<RdKafkaTopicAdmin>(new RdKafkaTopicAdmin(rk, bootstrap, options));
}

RdKafkaTopicAdmin::RdKafkaTopicAdmin(rd_kafka_t* rk, std::string bootstrap, RdKafkaAdminOptions options)
    : rk_(rk), bootstrap_(std::move(bootstrap)), options_(options) {}

RdKafkaTopicAdmin::~RdKafkaTopicAdmin() { rd_kafka_destroy(rk_); }

// ---------------------------------------------------------------------------
// Plumbing shared by the admin calls

namespace {

// Options for one admin call. The broker-side operation timeout (how long
// the controller waits for a topic change to propagate before answering) is
// half the request timeout, so that its answer, even a "still propagating"
// one, arrives before the client gives up on the request.
OptionsPtr NewOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds request_timeout,
                      bool has_operation_timeout) {
  OptionsPtr opts(rd_kafka_AdminOptions_new(rk, op));
  char errstr[256];
  if (rd_kafka_AdminOptions_set_request_timeout(opts.get(), static_cast<int>(request_timeout.count()), errstr,
                                                sizeof errstr) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log::Warn("kafka admin: request timeout refused, using librdkafka's default", {{"error", errstr}});
  }
  if (has_operation_timeout &&
      rd_kafka_AdminOptions_set_operation_timeout(opts.get(), static_cast<int>(request_timeout.count() / 2), errstr,
                                                  sizeof errstr) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log::Warn("kafka admin: operation timeout refused, using librdkafka's default", {{"error", errstr}});
  }
  return opts;
}

// Waits for the single result event of a request sent to `queue`. Returns
// the event, or the error every item of the request gets: the request's own
// error (e.g. _TRANSPORT, _TIMED_OUT) or _TIMED_OUT when no event came.
std::pair<EventPtr, std::optional<KafkaError>> Await(rd_kafka_queue_t* queue, rd_kafka_event_type_t type,
                                                     std::chrono::milliseconds request_timeout) {
  const auto wait = request_timeout + std::chrono::duration_cast<std::chrono::milliseconds>(kAwaitGrace);
  EventPtr ev(rd_kafka_queue_poll(queue, static_cast<int>(wait.count())));
  if (!ev) {
    return {nullptr, KafkaError{std::string(kErrTimedOut),
                                "no answer from Kafka within " + std::to_string(wait.count()) + " ms"}};
  }
  if (rd_kafka_event_type(ev.get()) != type) {
    return {nullptr, KafkaError{"_FAIL", std::string("unexpected admin result: ") + rd_kafka_event_name(ev.get())}};
  }
  if (const rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return {nullptr, MakeError(err, rd_kafka_event_error_string(ev.get()))};
  }
  return {std::move(ev), std::nullopt};
}

void LogFailures(std::string_view call, const std::vector<TopicResult>& results) {
  for (const auto& r : results) {
    if (r.error)
      log::Warn("kafka " + std::string(call) + " failed",
                {{"topic", r.name}, {"code", r.error->code}, {"error", r.error->message}});
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Describe

std::vector<TopicDescription> RdKafkaTopicAdmin::DescribeTopics(const std::vector<std::string>& names) {
  std::vector<TopicDescription> out(names.size());
  std::unordered_map<std::string, std::vector<size_t>> positions;  // a name may be asked twice
  for (size_t i = 0; i < names.size(); ++i) {
    out[i].name = names[i];
    positions[names[i]].push_back(i);
  }
  if (names.empty()) return out;
  const auto fail_all = [&](const KafkaError& e, bool only_existing) {
    for (auto& d : out) {
      if (!only_existing || d.exists) d.error = e;
    }
  };

  // Metadata for all topics is one request whatever the number of names;
  // librdkafka 2.0.2 can only ask for all topics or a single one.
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t merr =
      rd_kafka_metadata(rk_, 1, nullptr, &raw, static_cast<int>(options_.request_timeout.count()));
  if (merr != RD_KAFKA_RESP_ERR_NO_ERROR) {
    KafkaError e = MakeError(merr);
    e.message = "metadata from " + bootstrap_ + ": " + e.message;
    fail_all(e, false);
    log::Warn("kafka describe failed", {{"code", e.code}, {"error", e.message}});
    return out;
  }
  MetadataPtr md(raw);
  for (int t = 0; t < md->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& mt = md->topics[t];
    const auto it = positions.find(mt.topic);
    if (it == positions.end() || mt.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) continue;
    for (size_t i : it->second) {
      TopicDescription& d = out[i];
      d.exists = true;
      d.partitions = mt.partition_cnt;
      for (int p = 0; p < mt.partition_cnt; ++p) {
        if (mt.partitions[p].id == 0) d.replication_factor = mt.partitions[p].replica_cnt;
      }
      // E.g. LEADER_NOT_AVAILABLE right after creation: the topic is there,
      // its partition list may not be complete yet.
      if (mt.err != RD_KAFKA_RESP_ERR_NO_ERROR) d.error = MakeError(mt.err);
    }
  }

  // Configs of the topics that exist, in one DescribeConfigs.
  std::vector<ConfigResourcePtr> owned;
  std::vector<rd_kafka_ConfigResource_t*> resources;
  for (const auto& [name, idx] : positions) {
    if (!out[idx.front()].exists) continue;
    owned.emplace_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
    resources.push_back(owned.back().get());
  }
  if (resources.empty()) return out;
  QueuePtr queue(rd_kafka_queue_new(rk_));
  OptionsPtr opts = NewOptions(rk_, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, options_.request_timeout, false);
  rd_kafka_DescribeConfigs(rk_, resources.data(), resources.size(), opts.get(), queue.get());
  auto [ev, err] = Await(queue.get(), RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, options_.request_timeout);
  if (err) {
    err->message = "describe configs: " + err->message;
    fail_all(*err, true);
    log::Warn("kafka describe configs failed", {{"code", err->code}, {"error", err->message}});
    return out;
  }
  size_t count = 0;
  const rd_kafka_ConfigResource_t** results =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev.get()), &count);
  for (size_t r = 0; r < count; ++r) {
    const auto it = positions.find(rd_kafka_ConfigResource_name(results[r]));
    if (it == positions.end()) continue;
    const rd_kafka_resp_err_t cerr = rd_kafka_ConfigResource_error(results[r]);
    std::map<std::string, std::string> dynamic, effective;
    size_t n = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(results[r], &n);
    for (size_t e = 0; e < n; ++e) {
      const char* value = rd_kafka_ConfigEntry_value(entries[e]);
      if (value == nullptr) continue;  // sensitive, or no value at all
      const std::string key = rd_kafka_ConfigEntry_name(entries[e]);
      effective[key] = value;
      if (rd_kafka_ConfigEntry_source(entries[e]) == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG) dynamic[key] = value;
    }
    for (size_t i : it->second) {
      TopicDescription& d = out[i];
      if (cerr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        // Deleted between the two requests: report what is true now.
        TopicDescription gone;
        gone.name = d.name;
        d = std::move(gone);
      } else if (cerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        d.error = MakeError(cerr, rd_kafka_ConfigResource_error_string(results[r]));
      } else {
        d.configs = dynamic;
        d.effective_configs = effective;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Create

std::vector<CreateTopicResult> RdKafkaTopicAdmin::CreateTopics(const std::vector<TopicSpec>& topics) {
  const std::vector<std::string> names = NamesOf(topics);
  Batch batch(names);
  std::vector<NewTopicPtr> owned;
  std::vector<rd_kafka_NewTopic_t*> request;
  char errstr[512];
  for (size_t i : batch.Pending()) {
    const TopicSpec& t = topics[i];
    NewTopicPtr nt(rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor, errstr, sizeof errstr));
    if (!nt) {
      batch.Refuse(i, KafkaError{std::string(kErrInvalidArg), errstr});
      continue;
    }
    bool ok = true;
    for (const auto& [key, value] : t.configs) {
      if (const auto err = rd_kafka_NewTopic_set_config(nt.get(), key.c_str(), value.c_str()); err) {
        batch.Refuse(i, MakeError(err, ("config " + key + ": " + rd_kafka_err2str(err)).c_str()));
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    request.push_back(nt.get());
    owned.push_back(std::move(nt));
  }

  if (!request.empty()) {
    QueuePtr queue(rd_kafka_queue_new(rk_));
    OptionsPtr opts = NewOptions(rk_, RD_KAFKA_ADMIN_OP_CREATETOPICS, options_.request_timeout, true);
    rd_kafka_CreateTopics(rk_, request.data(), request.size(), opts.get(), queue.get());
    auto [ev, err] = Await(queue.get(), RD_KAFKA_EVENT_CREATETOPICS_RESULT, options_.request_timeout);
    if (err) {
      batch.FailPending(*err);
    } else {
      size_t count = 0;
      const rd_kafka_topic_result_t** results =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &count);
      AnswerTopicResults(batch, results, count);
    }
  }

  std::vector<TopicResult> results = batch.Results();
  std::vector<CreateTopicResult> out(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    out[i].name = results[i].name;
    if (results[i].ok()) {
      out[i].status = CreateStatus::kCreated;
      log::Info("kafka topic created", {{"topic", out[i].name},
                                        {"partitions", topics[i].partitions},
                                        {"replicationFactor", topics[i].replication_factor}});
    } else if (results[i].error->code == "TOPIC_ALREADY_EXISTS") {
      out[i].status = CreateStatus::kAlreadyExists;
    } else {
      out[i].status = CreateStatus::kError;
      out[i].error = results[i].error;
      log::Warn("kafka create topic failed",
                {{"topic", out[i].name}, {"code", out[i].error->code}, {"error", out[i].error->message}});
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Partitions

std::vector<TopicResult> RdKafkaTopicAdmin::CreatePartitions(const std::vector<PartitionIncrease>& increases) {
  const std::vector<std::string> names = NamesOf(increases);
  Batch batch(names);
  std::vector<NewPartitionsPtr> owned;
  std::vector<rd_kafka_NewPartitions_t*> request;
  char errstr[512];
  for (size_t i : batch.Pending()) {
    const PartitionIncrease& inc = increases[i];
    if (inc.total_partitions < 1) {
      // size_t in librdkafka's signature: a negative total would wrap around.
      batch.Refuse(i, KafkaError{std::string(kErrInvalidArg),
                                 "total partitions must be at least 1, got " + std::to_string(inc.total_partitions)});
      continue;
    }
    NewPartitionsPtr np(
        rd_kafka_NewPartitions_new(inc.name.c_str(), static_cast<size_t>(inc.total_partitions), errstr, sizeof errstr));
    if (!np) {
      batch.Refuse(i, KafkaError{std::string(kErrInvalidArg), errstr});
      continue;
    }
    request.push_back(np.get());
    owned.push_back(std::move(np));
  }
  if (!request.empty()) {
    QueuePtr queue(rd_kafka_queue_new(rk_));
    OptionsPtr opts = NewOptions(rk_, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, options_.request_timeout, true);
    rd_kafka_CreatePartitions(rk_, request.data(), request.size(), opts.get(), queue.get());
    auto [ev, err] = Await(queue.get(), RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, options_.request_timeout);
    if (err) {
      batch.FailPending(*err);
    } else {
      size_t count = 0;
      const rd_kafka_topic_result_t** results =
          rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev.get()), &count);
      AnswerTopicResults(batch, results, count);
    }
  }
  std::vector<TopicResult> out = batch.Results();
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].ok()) {
      log::Info("kafka partitions added", {{"topic", out[i].name}, {"partitions", increases[i].total_partitions}});
    }
  }
  LogFailures("create partitions", out);
  return out;
}

// ---------------------------------------------------------------------------
// Configs

std::vector<TopicResult> RdKafkaTopicAdmin::AlterConfigs(const std::vector<TopicConfigs>& topics) {
  const std::vector<std::string> names = NamesOf(topics);
  Batch batch(names);
  std::vector<ConfigResourcePtr> owned;
  std::vector<rd_kafka_ConfigResource_t*> request;
  for (size_t i : batch.Pending()) {
    ConfigResourcePtr res(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topics[i].name.c_str()));
    bool ok = res != nullptr;
    if (!ok) batch.Refuse(i, KafkaError{std::string(kErrInvalidArg), "invalid topic name"});
    for (const auto& [key, value] : topics[i].configs) {
      if (!ok) break;
      if (const auto err = rd_kafka_ConfigResource_set_config(res.get(), key.c_str(), value.c_str()); err) {
        batch.Refuse(i, MakeError(err, ("config " + key + ": " + rd_kafka_err2str(err)).c_str()));
        ok = false;
      }
    }
    if (!ok) continue;
    request.push_back(res.get());
    owned.push_back(std::move(res));
  }
  if (!request.empty()) {
    QueuePtr queue(rd_kafka_queue_new(rk_));
    OptionsPtr opts = NewOptions(rk_, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, options_.request_timeout, false);
    rd_kafka_AlterConfigs(rk_, request.data(), request.size(), opts.get(), queue.get());
    auto [ev, err] = Await(queue.get(), RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, options_.request_timeout);
    if (err) {
      batch.FailPending(*err);
    } else {
      size_t count = 0;
      const rd_kafka_ConfigResource_t** results =
          rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev.get()), &count);
      for (size_t r = 0; r < count; ++r) {
        const rd_kafka_resp_err_t cerr = rd_kafka_ConfigResource_error(results[r]);
        std::optional<KafkaError> e;
        if (cerr != RD_KAFKA_RESP_ERR_NO_ERROR) e = MakeError(cerr, rd_kafka_ConfigResource_error_string(results[r]));
        batch.Answer(rd_kafka_ConfigResource_name(results[r]), std::move(e));
      }
    }
  }
  std::vector<TopicResult> out = batch.Results();
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].ok())
      log::Info("kafka topic configs replaced", {{"topic", out[i].name}, {"configs", topics[i].configs}});
  }
  LogFailures("alter configs", out);
  return out;
}

// ---------------------------------------------------------------------------
// Delete

std::vector<TopicResult> RdKafkaTopicAdmin::DeleteTopics(const std::vector<std::string>& names) {
  Batch batch(names);
  std::vector<DeleteTopicPtr> owned;
  std::vector<rd_kafka_DeleteTopic_t*> request;
  for (size_t i : batch.Pending()) {
    owned.emplace_back(rd_kafka_DeleteTopic_new(names[i].c_str()));
    request.push_back(owned.back().get());
  }
  if (!request.empty()) {
    QueuePtr queue(rd_kafka_queue_new(rk_));
    OptionsPtr opts = NewOptions(rk_, RD_KAFKA_ADMIN_OP_DELETETOPICS, options_.request_timeout, true);
    rd_kafka_DeleteTopics(rk_, request.data(), request.size(), opts.get(), queue.get());
    auto [ev, err] = Await(queue.get(), RD_KAFKA_EVENT_DELETETOPICS_RESULT, options_.request_timeout);
    if (err) {
      batch.FailPending(*err);
    } else {
      size_t count = 0;
      const rd_kafka_topic_result_t** results =
          rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev.get()), &count);
      for (size_t r = 0; r < count; ++r) {
        const rd_kafka_resp_err_t derr = rd_kafka_topic_result_error(results[r]);
        const std::string name = rd_kafka_topic_result_name(results[r]);
        if (derr == RD_KAFKA_RESP_ERR_NO_ERROR) {
          log::Info("kafka topic deleted", {{"topic", name}});
          batch.Answer(name, std::nullopt);
        } else if (derr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
          batch.Answer(name, std::nullopt);  // already gone: what deleting wanted
        } else {
          batch.Answer(name, MakeError(derr, rd_kafka_topic_result_error_string(results[r])));
        }
      }
    }
  }
  std::vector<TopicResult> out = batch.Results();
  LogFailures("delete topic", out);
  return out;
}

// ---------------------------------------------------------------------------
// Ping

Status RdKafkaTopicAdmin::Ping() {
  // all_topics=0 with no topics known locally asks for brokers only: the
  // answer stays small however many topics the cluster has.
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk_, 0, nullptr, &raw, static_cast<int>(options_.ping_timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error{"kafka: no broker answered at " + bootstrap_ + ": " + rd_kafka_err2name(err) + ": " +
                 rd_kafka_err2str(err)};
  }
  MetadataPtr md(raw);
  if (md->broker_cnt == 0) return Error{"kafka: the cluster at " + bootstrap_ + " reports no brokers"};
  return OkStatus();
}

}  // namespace herald::kafka
