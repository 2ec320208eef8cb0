#include "cli.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>

#include "kube/client.h"

namespace herald::cli {
namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

Result<KafkaPtr> NewClient(rd_kafka_type_t type, const std::string& bootstrap,
                           const std::map<std::string, std::string>& props) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::map<std::string, std::string> all = props;
  all["bootstrap.servers"] = bootstrap;
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Error{"kafka property " + k + ": " + err};
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) return Error{std::string("kafka: ") + err};
  return KafkaPtr(rk);
}

}  // namespace

Result<Args> ParseArgs(const std::vector<std::string>& argv, const std::vector<std::string>& known,
                       const std::vector<std::string>& boolean) {
  Args out;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a, value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    bool is_bool = std::find(boolean.begin(), boolean.end(), name) != boolean.end();
    if (!is_bool && std::find(known.begin(), known.end(), name) == known.end()) {
      return Error{"unknown flag " + name + " (see --help)"};
    }
    if (is_bool) {
      out.flags[name].push_back(has_value ? value : "true");
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argv.size()) return Error{name + " needs a value"};
      value = argv[++i];
    }
    out.flags[name].push_back(value);
  }
  return out;
}

Result<std::string> Bootstrap(const Args& args) {
  std::string b = args.Get("--bootstrap");
  if (b.empty()) {
    const char* env = std::getenv("HERALD_KAFKA_BOOTSTRAP");
    if (env) b = env;
  }
  if (b.empty()) return Error{"no Kafka: pass --bootstrap or set HERALD_KAFKA_BOOTSTRAP"};
  return b;
}

Result<Topics> ResolveTopics(const Args& args) {
  if (args.Has("--topic")) {
    Topics t{args.Get("--topic"), args.Get("--topic") + ".dlq"};
    return t;
  }
  std::string channel = args.Get("--channel");
  if (channel.empty()) return Error{"name the channel (--channel NAMESPACE/NAME) or the topic (--topic TOPIC)"};
  auto slash = channel.find('/');
  if (slash == std::string::npos) return Error{"--channel: \"" + channel + "\" is not NAMESPACE/NAME"};
  auto cfg = kube::ResolveClusterConfig(args.Get("--kubeconfig"));
  if (!cfg) return Error{cfg.error()};
  auto client = kube::NewRestClient(*cfg);
  if (!client) return Error{client.error()};
  kube::Resource channels{"herald.dev", "v1alpha1", "notificationchannels", true};
  auto r = (*client)->Send("GET", kube::ResourcePath(channels, channel.substr(0, slash), channel.substr(slash + 1)));
  if (!r) return Error{r.error()};
  if (r->status == 404) return Error{"channel " + channel + " not found"};
  if (!r->ok())
    return Error{"reading channel " + channel + ": HTTP " + std::to_string(r->status) + ": " + r->message()};
  const auto& status = r->body.value("status", nlohmann::json::object());
  Topics t{status.value("topic", ""), status.value("deadLetterTopic", "")};
  if (t.topic.empty())
    return Error{"channel " + channel + " has no topic in its status yet (is the operator running?)"};
  return t;
}

Status ProduceAll(const std::string& bootstrap, const std::string& topic, const std::vector<KafkaRecord>& records) {
  auto rk = NewClient(RD_KAFKA_PRODUCER, bootstrap, {{"acks", "all"}, {"enable.idempotence", "true"}});
  if (!rk) return Error{rk.error()};
  struct Outcome {
    int failed = 0;
    std::string error;
  } outcome;
  for (const auto& r : records) {
    rd_kafka_headers_t* h = rd_kafka_headers_new(r.headers.size());
    for (const auto& [k, v] : r.headers) rd_kafka_header_add(h, k.data(), k.size(), v.data(), v.size());
    rd_kafka_resp_err_t e;
    do {
      e = rd_kafka_producev(rk->get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()), RD_KAFKA_V_HEADERS(h),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&outcome), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(rk->get(), 100);
    } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_headers_destroy(h);
      return Error{"producing to " + topic + ": " + rd_kafka_err2str(e)};
    }
  }
  // Delivery reports arrive through rd_kafka_poll; flush waits for all of them.
  rd_kafka_resp_err_t fe = rd_kafka_flush(rk->get(), 30000);
  if (fe != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Error{"waiting for the broker's acknowledgement: " + std::string(rd_kafka_err2str(fe))};
  return OkStatus();
}

Result<std::vector<KafkaRecord>> ReadTopic(const std::string& bootstrap, const std::string& topic) {
  auto rk = NewClient(RD_KAFKA_CONSUMER, bootstrap,
                      {{"group.id", "heraldctl-" + std::to_string(std::random_device{}())},
                       {"enable.auto.commit", "false"},
                       {"enable.partition.eof", "true"}});
  if (!rk) return Error{rk.error()};
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk->get(), topic.c_str(), nullptr);
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk->get(), 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return Error{"reading " + topic + ": " + rd_kafka_err2str(e)};
  if (md->topic_cnt != 1 || md->topics[0].err) {
    rd_kafka_metadata_destroy(md);
    return Error{"topic " + topic + " does not exist"};
  }
  int partitions = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
  int open = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(rk->get(), topic.c_str(), p, &lo, &hi, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        hi > lo) {
      rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = lo;
      ++open;
    }
  }
  rd_kafka_assign(rk->get(), parts);
  rd_kafka_topic_partition_list_destroy(parts);
  std::vector<KafkaRecord> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (open > 0 && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk->get(), 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      --open;
    } else if (!m->err) {
      KafkaRecord r;
      if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
      r.partition = m->partition;
      r.offset = m->offset;
      rd_kafka_headers_t* h = nullptr;
      if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR && h) {
        size_t i = 0;
        const char* name;
        const void* val;
        size_t size;
        while (rd_kafka_header_get_all(h, i++, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          r.headers.emplace_back(name, val ? std::string(static_cast<const char*>(val), size) : "");
        }
      }
      out.push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk->get());
  if (open > 0) return Error{"timed out reading " + topic};
  return out;
}

}  // namespace herald::cli
