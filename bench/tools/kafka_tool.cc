// herald-bench-kafka: the Kafka side of the benchmarks, as one small tool so a
// run never pays a JVM start or a process per message.
//
//   create-topics --bootstrap B --partitions P TOPIC...
//   delete-topics --bootstrap B TOPIC...
//   fill  --bootstrap B --topic T --count N --run HEX8 [--pad BYTES]
//         N envelopes as fast as the broker takes them (keys = globalIds).
//   pace  --bootstrap B --topic T --rate R --seconds S --run HEX8 --out FILE
//         R envelopes a second on an absolute schedule; FILE gets one
//         "globalId producedNs ackedNs" line per message (CLOCK_REALTIME, ns).
//   wait-drained --bootstrap B --group G --topic T --timeout SECONDS
//         polls the group's committed offsets until they reach the high
//         watermarks; prints {"drainedNs":...} (CLOCK_REALTIME) or exits 1.
//   lag   --bootstrap B --group G --topic T      prints the lag.
#include <librdkafka/rdkafka.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "herald-bench-kafka: %s\n", msg.c_str());
  std::exit(1);
}

int64_t WallNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

KafkaPtr Client(rd_kafka_type_t type, const std::string& bootstrap, std::map<std::string, std::string> props,
                void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  props["bootstrap.servers"] = bootstrap;
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) Die(k + ": " + err);
  }
  if (dr) rd_kafka_conf_set_dr_msg_cb(conf, dr);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) Die(err);
  return KafkaPtr(rk);
}

struct Args {
  std::map<std::string, std::string> opts;
  std::vector<std::string> positional;
  std::string Need(const std::string& k) const {
    auto it = opts.find(k);
    if (it == opts.end()) Die("--" + k + " is required");
    return it->second;
  }
  std::string Get(const std::string& k, const std::string& def) const {
    auto it = opts.find(k);
    return it == opts.end() ? def : it->second;
  }
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      if (i + 1 >= argc) Die(s + " needs a value");
      a.opts[s.substr(2)] = argv[++i];
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

std::string GlobalId(const std::string& run, long i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-0000-4000-8000-%012ld", run.c_str(), i);
  return buf;
}

// The same small envelope as the end-to-end tests, optionally padded so body
// size can be varied.
std::string Envelope(const std::string& id, size_t pad) {
  std::string v = R"({"globalId":")" + id +
                  R"(","from":"bench","type":"quota.exceeded","createdAt":"2026-11-22T10:15:00Z",)"
                  R"("content":{"version":"1.0","project":"checkout","used":10500,"limit":10000)";
  if (pad) v += R"(,"note":")" + std::string(pad, 'x') + "\"";
  v += "}}";
  return v;
}

void Produce(rd_kafka_t* rk, const std::string& topic, const std::string& key, const std::string& value, void* opaque) {
  while (true) {
    auto e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
                               RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) Die("produce: " + std::string(rd_kafka_err2str(e)));
    rd_kafka_poll(rk, 10);
  }
}

int g_failed = 0;
void CountFailures(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err) ++g_failed;
}

int Fill(const Args& a) {
  const std::string topic = a.Need("topic"), run = a.Need("run");
  const long count = std::stol(a.Need("count"));
  const size_t pad = std::stoul(a.Get("pad", "0"));
  auto rk = Client(RD_KAFKA_PRODUCER, a.Need("bootstrap"),
                   {{"acks", "all"},
                    {"linger.ms", "20"},
                    {"batch.size", "1000000"},
                    {"compression.type", "none"},
                    {"queue.buffering.max.messages", "500000"}},
                   &CountFailures);
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < count; ++i) {
    std::string id = GlobalId(run, i);
    Produce(rk.get(), topic, id, Envelope(id, pad), nullptr);
    rd_kafka_poll(rk.get(), 0);
  }
  if (rd_kafka_flush(rk.get(), 120000) != RD_KAFKA_RESP_ERR_NO_ERROR) Die("flush timed out");
  if (g_failed) Die(std::to_string(g_failed) + " records were not acknowledged");
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"produced\":%ld,\"seconds\":%.3f,\"valueBytes\":%zu}\n", count, s,
              Envelope(GlobalId(run, 0), pad).size());
  return 0;
}

struct Sent {
  std::string id;
  int64_t produced_ns = 0, acked_ns = 0;
};
void RecordAck(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* s = static_cast<Sent*>(m->_private);
  if (m->err) {
    ++g_failed;
    return;
  }
  s->acked_ns = WallNs();
}

int Pace(const Args& a) {
  const std::string topic = a.Need("topic"), run = a.Need("run"), out = a.Need("out");
  const double rate = std::stod(a.Need("rate"));
  const double seconds = std::stod(a.Need("seconds"));
  const long count = static_cast<long>(rate * seconds);
  // linger.ms=0: a latency-sensitive producer sends each record at once, so
  // what is measured is Herald plus one broker round trip, not batching.
  auto rk = Client(RD_KAFKA_PRODUCER, a.Need("bootstrap"), {{"acks", "all"}, {"linger.ms", "0"}}, &RecordAck);
  std::vector<Sent> sent(count);
  timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  const int64_t start_ns = int64_t{start.tv_sec} * 1000000000 + start.tv_nsec;
  long late = 0;
  for (long i = 0; i < count; ++i) {
    const int64_t due = start_ns + static_cast<int64_t>(i * 1e9 / rate);
    timespec ts{static_cast<time_t>(due / 1000000000), static_cast<long>(due % 1000000000)};
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (int64_t{now.tv_sec} * 1000000000 + now.tv_nsec > due + 5000000) ++late;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    sent[i].id = GlobalId(run, i);
    std::string v = Envelope(sent[i].id, 0);
    sent[i].produced_ns = WallNs();
    Produce(rk.get(), topic, sent[i].id, v, &sent[i]);
    rd_kafka_poll(rk.get(), 0);
  }
  if (rd_kafka_flush(rk.get(), 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) Die("flush timed out");
  if (g_failed) Die(std::to_string(g_failed) + " records were not acknowledged");
  FILE* f = std::fopen(out.c_str(), "w");
  if (!f) Die("cannot write " + out);
  for (const auto& s : sent)
    std::fprintf(f, "%s %lld %lld\n", s.id.c_str(), (long long)s.produced_ns, (long long)s.acked_ns);
  std::fclose(f);
  std::printf("{\"produced\":%ld,\"lateBy5ms\":%ld}\n", count, late);
  return 0;
}

// Sum over partitions of (high watermark - committed offset); -1 on error.
int64_t Lag(rd_kafka_t* rk, const std::string& topic, int partitions) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  int64_t lag = 0;
  if (rd_kafka_committed(rk, list, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) lag = -1;
  for (int p = 0; p < partitions && lag >= 0; ++p) {
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      lag = -1;
      break;
    }
    int64_t committed = list->elems[p].offset;
    lag += hi - (committed < 0 ? lo : committed);
  }
  rd_kafka_topic_partition_list_destroy(list);
  return lag;
}

int Partitions(rd_kafka_t* rk, const std::string& topic) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  auto e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) Die("metadata: " + std::string(rd_kafka_err2str(e)));
  int n = md->topic_cnt == 1 && !md->topics[0].err ? md->topics[0].partition_cnt : 0;
  rd_kafka_metadata_destroy(md);
  if (n == 0) Die("topic " + topic + " does not exist");
  return n;
}

int LagCmd(const Args& a, bool wait) {
  const std::string topic = a.Need("topic");
  // A consumer handle with the group's id reads its committed offsets without
  // joining the group (no subscribe), so it never disturbs the consumer.
  auto rk = Client(RD_KAFKA_CONSUMER, a.Need("bootstrap"), {{"group.id", a.Need("group")}});
  int parts = Partitions(rk.get(), topic);
  if (!wait) {
    std::printf("%lld\n", (long long)Lag(rk.get(), topic, parts));
    return 0;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::stol(a.Need("timeout")));
  int64_t lag = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    lag = Lag(rk.get(), topic, parts);
    if (lag == 0) {
      std::printf("{\"drainedNs\":%lld}\n", (long long)WallNs());
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling an external system
  }
  std::fprintf(stderr, "herald-bench-kafka: lag still %lld at the deadline\n", (long long)lag);
  return 1;
}

int Topics(const Args& a, bool create) {
  auto rk = Client(RD_KAFKA_PRODUCER, a.Need("bootstrap"), {});
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  char err[512];
  std::string failure;
  if (create) {
    int parts = std::stoi(a.Get("partitions", "6"));
    std::vector<rd_kafka_NewTopic_t*> nts;
    for (const auto& t : a.positional) nts.push_back(rd_kafka_NewTopic_new(t.c_str(), parts, 1, err, sizeof err));
    rd_kafka_CreateTopics(rk.get(), nts.data(), nts.size(), nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
    if (!ev) failure = "CreateTopics timed out";
    if (ev) {
      size_t n = 0;
      auto res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
      for (size_t i = 0; i < n; ++i) {
        auto e = rd_kafka_topic_result_error(res[i]);
        if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) failure = rd_kafka_err2str(e);
      }
      rd_kafka_event_destroy(ev);
    }
    rd_kafka_NewTopic_destroy_array(nts.data(), nts.size());
  } else {
    std::vector<rd_kafka_DeleteTopic_t*> dts;
    for (const auto& t : a.positional) dts.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
    rd_kafka_DeleteTopics(rk.get(), dts.data(), dts.size(), nullptr, q);
    if (rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000)) rd_kafka_event_destroy(ev);
    rd_kafka_DeleteTopic_destroy_array(dts.data(), dts.size());
  }
  rd_kafka_queue_destroy(q);
  if (!failure.empty()) Die(failure);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Die("usage: herald-bench-kafka create-topics|delete-topics|fill|pace|wait-drained|lag ...");
  std::string cmd = argv[1];
  Args a = Parse(argc, argv);
  if (cmd == "create-topics") return Topics(a, true);
  if (cmd == "delete-topics") return Topics(a, false);
  if (cmd == "fill") return Fill(a);
  if (cmd == "pace") return Pace(a);
  if (cmd == "wait-drained") return LagCmd(a, true);
  if (cmd == "lag") return LagCmd(a, false);
  Die("unknown command " + cmd);
}
