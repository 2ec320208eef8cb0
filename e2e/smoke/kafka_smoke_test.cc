// Kafka smoke test: the broker of the local stack is real and librdkafka's
// admin API, producer and consumer group all work against it.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>

#include "stack_env.h"

namespace {

using Clock = std::chrono::steady_clock;

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

KafkaPtr NewClient(rd_kafka_type_t type, const std::string& bootstrap,
                   std::initializer_list<std::pair<const char*, std::string>> props) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  EXPECT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err), RD_KAFKA_CONF_OK);
  for (const auto& [k, v] : props) {
    EXPECT_EQ(rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err), RD_KAFKA_CONF_OK) << k << ": " << err;
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  EXPECT_NE(rk, nullptr) << err;
  return KafkaPtr(rk);
}

std::string UniqueName(const std::string& prefix) {
  std::random_device rd;
  return prefix + std::to_string(rd()) + std::to_string(rd());
}

// Runs one admin request and returns the per-topic error, or the request error.
rd_kafka_resp_err_t CreateTopic(rd_kafka_t* rk, const std::string& topic, int partitions, std::string* errstr) {
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  rd_kafka_NewTopic_set_config(nt, "retention.ms", "3600000");
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR__TIMED_OUT;
  if (ev != nullptr) {
    result = rd_kafka_event_error(ev);
    if (result == RD_KAFKA_RESP_ERR_NO_ERROR) {
      size_t n = 0;
      const rd_kafka_topic_result_t** res =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
      if (n == 1) {
        result = rd_kafka_topic_result_error(res[0]);
        if (rd_kafka_topic_result_error_string(res[0])) *errstr = rd_kafka_topic_result_error_string(res[0]);
      }
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  return result;
}

void DeleteTopic(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(topic.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteTopics(rk, &dt, 1, nullptr, q);
  if (rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000)) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_DeleteTopic_destroy(dt);
}

TEST(KafkaSmoke, AdminCreatesTopicThenOneRecordRoundTrips) {
  const std::string bootstrap = herald::testing::StackEnv("HERALD_KAFKA_BOOTSTRAP");
  ASSERT_FALSE(bootstrap.empty());
  const std::string topic = UniqueName("herald.smoke.");

  auto admin = NewClient(RD_KAFKA_PRODUCER, bootstrap, {});
  std::string errstr;
  ASSERT_EQ(CreateTopic(admin.get(), topic, 3, &errstr), RD_KAFKA_RESP_ERR_NO_ERROR) << errstr;
  // Creating it again must report that it exists: the broker really stored it.
  EXPECT_EQ(CreateTopic(admin.get(), topic, 3, &errstr), RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS);

  // Produce one record and wait for the broker's acknowledgement.
  auto producer = NewClient(RD_KAFKA_PRODUCER, bootstrap, {{"acks", "all"}, {"enable.idempotence", "true"}});
  const std::string key = "00000000-0000-4000-8000-000000000001";
  const std::string value = R"({"hello":"herald"})";
  ASSERT_EQ(rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(rd_kafka_flush(producer.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);

  // Consume it back through a consumer group.
  auto consumer = NewClient(RD_KAFKA_CONSUMER, bootstrap,
                            {{"group.id", UniqueName("herald.smoke.group.")},
                             {"auto.offset.reset", "earliest"},
                             {"enable.auto.commit", "false"}});
  rd_kafka_poll_set_consumer(consumer.get());
  rd_kafka_topic_partition_list_t* subs = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(subs, topic.c_str(), RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(consumer.get(), subs), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(subs);

  std::string got_key, got_value;
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (got_value.empty() && Clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 500);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      got_key.assign(static_cast<const char*>(m->key), m->key_len);
      got_value.assign(static_cast<const char*>(m->payload), m->len);
      EXPECT_EQ(rd_kafka_commit_message(consumer.get(), m, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer.get());
  consumer.reset();
  producer.reset();
  EXPECT_EQ(got_key, key);
  EXPECT_EQ(got_value, value);

  DeleteTopic(admin.get(), topic);
}

}  // namespace
