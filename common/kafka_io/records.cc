#include "kafka_io/records.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <random>

namespace herald::kafka_io {
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

Status ProduceAll(const std::string& bootstrap, const std::string& topic, const std::vector<KafkaRecord>& records,
                  const std::map<std::string, std::string>& properties) {
  std::map<std::string, std::string> props = {{"acks", "all"}, {"enable.idempotence", "true"}};
  for (const auto& [k, v] : properties) props[k] = v;
  auto rk = NewClient(RD_KAFKA_PRODUCER, bootstrap, props);
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

}  // namespace herald::kafka_io
