#include "testkit/testkit.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "kafka_io/records.h"

namespace herald::testkit {
namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

KafkaPtr Client(rd_kafka_type_t type, const std::string& bootstrap, const std::map<std::string, std::string>& props) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  for (const auto& [k, v] : props) rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err);
  return KafkaPtr(rd_kafka_new(type, conf, err, sizeof err));
}

size_t Append(char* d, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append(d, s * n);
  return s * n;
}

long Http(const std::string& method, const std::string& url, const std::string* body, std::string* out) {
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_slist* h = nullptr;
  if (body) {
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  long code = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return code;
}

}  // namespace

std::string UniqueSuffix() {
  std::random_device rd;
  return std::to_string(rd() % 100000000);
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout, std::chrono::milliseconds every) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

std::string CreateTopics(const std::string& bootstrap, const std::vector<std::string>& topics, int partitions) {
  auto rk = Client(RD_KAFKA_PRODUCER, bootstrap, {});
  char err[512];
  std::vector<rd_kafka_NewTopic_t*> nts;
  for (const auto& t : topics) nts.push_back(rd_kafka_NewTopic_new(t.c_str(), partitions, 1, err, sizeof err));
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_CreateTopics(rk.get(), nts.data(), nts.size(), nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  std::string result = ev ? "" : "CreateTopics timed out";
  if (ev) {
    size_t n = 0;
    const rd_kafka_topic_result_t** res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      auto e = rd_kafka_topic_result_error(res[i]);
      if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) result = rd_kafka_err2str(e);
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy_array(nts.data(), nts.size());
  return result;
}

void DeleteTopics(const std::string& bootstrap, const std::vector<std::string>& topics) {
  auto rk = Client(RD_KAFKA_PRODUCER, bootstrap, {});
  std::vector<rd_kafka_DeleteTopic_t*> dts;
  for (const auto& t : topics) dts.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_DeleteTopics(rk.get(), dts.data(), dts.size(), nullptr, q);
  if (rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000)) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_DeleteTopic_destroy_array(dts.data(), dts.size());
}

std::string Produce(const std::string& bootstrap, const std::string& topic, const std::vector<Record>& records) {
  std::vector<kafka_io::KafkaRecord> out;
  out.reserve(records.size());
  for (const auto& r : records) {
    out.push_back({r.key, r.value, {r.headers.begin(), r.headers.end()}, 0, 0});
  }
  auto st = kafka_io::ProduceAll(bootstrap, topic, out, {{"enable.idempotence", "false"}, {"linger.ms", "5"}});
  return st.ok() ? "" : st.error();
}

std::vector<Record> ReadAll(const std::string& bootstrap, const std::string& topic, std::chrono::milliseconds) {
  std::vector<Record> out;
  auto records = kafka_io::ReadTopic(bootstrap, topic);
  if (!records) return out;
  for (auto& r : *records) {
    out.push_back({std::move(r.key), std::move(r.value), {r.headers.begin(), r.headers.end()}, r.partition, r.offset});
  }
  return out;
}

int64_t GroupLag(const std::string& bootstrap, const std::string& group, const std::string& topic) {
  auto rk = Client(RD_KAFKA_CONSUMER, bootstrap, {{"group.id", group}, {"enable.auto.commit", "false"}});
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr);
  auto e = rd_kafka_metadata(rk.get(), 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1) {
    if (md) rd_kafka_metadata_destroy(md);
    return -1;
  }
  int partitions = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(parts, topic.c_str(), p);
  int64_t lag = 0;
  if (rd_kafka_committed(rk.get(), parts, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) lag = -1;
  for (int i = 0; lag >= 0 && i < parts->cnt; ++i) {
    int64_t lo = 0, hi = 0;
    rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), parts->elems[i].partition, &lo, &hi, 10000);
    int64_t committed = parts->elems[i].offset < 0 ? lo : parts->elems[i].offset;
    lag += hi - committed;
  }
  rd_kafka_topic_partition_list_destroy(parts);
  return lag;
}

Process Spawn(const std::vector<std::string>& argv, const std::string& log_path,
              const std::map<std::string, std::string>& env) {
  Process p;
  p.log_path = log_path;
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  p.pid = pid;
  return p;
}

bool Process::Running() const { return pid > 0 && kill(pid, 0) == 0 && waitpid(pid, nullptr, WNOHANG) == 0; }

int Process::Stop(int sig, std::chrono::milliseconds timeout) {
  if (pid <= 0) return -1;
  kill(pid, sig);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      pid = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  pid = -1;
  return -1;
}

std::string Process::Log() const {
  std::ifstream in(log_path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long HttpGet(const std::string& url, std::string* body) { return Http("GET", url, nullptr, body); }
long HttpPost(const std::string& url, const std::string& json_body, std::string* body) {
  return Http("POST", url, &json_body, body);
}

nlohmann::json Sink::Control(const std::string& method, const std::string& path, const nlohmann::json& body) const {
  std::string out;
  std::string b = body.is_null() ? "{}" : body.dump();
  if (method == "GET") {
    HttpGet(Url("/_control/" + path), &out);
  } else {
    HttpPost(Url("/_control/" + path), b, &out);
  }
  return nlohmann::json::parse(out, nullptr, false);
}

std::vector<nlohmann::json> Sink::Requests(const std::string& path_glob) const {
  std::vector<nlohmann::json> all;
  int64_t since = 0;
  while (true) {
    std::string out;
    HttpGet(Url("/_control/requests?path=" + path_glob + "&since=" + std::to_string(since) + "&limit=5000"), &out);
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (!j.is_object() || !j.contains("requests")) break;
    for (auto& r : j["requests"]) all.push_back(r);
    if (!j.value("more", false)) break;
    since = j.value("next", since);
  }
  return all;
}

Sink StartSink(const std::string& script, const std::string& work_dir) {
  Sink s;
  std::string port_file = work_dir + "/sink.port";
  unlink(port_file.c_str());
  s.process = Spawn({"python3", script, "--port", "0", "--port-file", port_file}, work_dir + "/sink.log");
  Eventually(
      [&] {
        std::ifstream in(port_file);
        int p = 0;
        if (in >> p && p > 0) s.port = p;
        return s.port > 0;
      },
      std::chrono::seconds(30));
  return s;
}

}  // namespace herald::testkit
