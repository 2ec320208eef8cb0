// heraldctl dlq list | replay: inspect and re-deliver dead letters.
#include <algorithm>
#include <cstdio>

#include "cli.h"
#include "herald/envelope.h"

namespace herald::cli {

namespace {
constexpr const char* kHelp = R"(usage: heraldctl dlq list   (--channel NS/NAME | --topic TOPIC) [filters] [-o json]
       heraldctl dlq replay (--channel NS/NAME | --topic TOPIC) [filters] [--dry-run]

list prints the dead letters of a channel with their reason; replay produces
the selected ones again to the channel's topic (same key, value and
traceparent), so the workers deliver them once more. Replay does not remove
anything from the dead-letter topic (Kafka topics are append-only; retention
ages them out).

filters:
  --class CLASS        invalid | permanent | exhausted
  --global-id UUID     repeatable
  --contains TEXT      herald-error contains TEXT
flags:
  --topic TOPIC        the channel's main topic (its dead-letter topic is TOPIC.dlq)
  --bootstrap SERVERS  default $HERALD_KAFKA_BOOTSTRAP
  --kubeconfig PATH    default $KUBECONFIG
  -o json              one JSON object per dead letter (list)
  --dry-run            show what replay would send, send nothing
exit codes: 0 done, 1 broker or cluster failure, 2 bad flags
)";

std::string Header(const KafkaRecord& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}
}  // namespace

int Dlq(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h")
    return std::fputs(kHelp, stdout), argv.empty() ? kExitUsage : kExitOk;
  const std::string verb = argv[0];
  if (verb != "list" && verb != "replay") {
    return std::fprintf(stderr, "heraldctl dlq: unknown command %s (list | replay)\n", verb.c_str()), kExitUsage;
  }
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  for (auto& a : rest) {
    if (a == "-o") a = "--output";
  }
  auto args = ParseArgs(
      rest, {"--channel", "--topic", "--class", "--global-id", "--contains", "--bootstrap", "--kubeconfig", "--output"},
      {"--help", "--dry-run"});
  if (!args) return std::fprintf(stderr, "heraldctl dlq: %s\n", args.error().c_str()), kExitUsage;
  if (args->Has("--help")) return std::fputs(kHelp, stdout), kExitOk;
  auto topics = ResolveTopics(*args);
  if (!topics) return std::fprintf(stderr, "heraldctl dlq: %s\n", topics.error().c_str()), kExitFailure;
  auto bootstrap = Bootstrap(*args);
  if (!bootstrap) return std::fprintf(stderr, "heraldctl dlq: %s\n", bootstrap.error().c_str()), kExitUsage;
  auto records = ReadTopic(*bootstrap, topics->dead_letter_topic);
  if (!records) return std::fprintf(stderr, "heraldctl dlq: %s\n", records.error().c_str()), kExitFailure;

  std::vector<std::string> ids = args->Has("--global-id") ? args->flags.at("--global-id") : std::vector<std::string>{};
  std::vector<KafkaRecord> chosen;
  for (const auto& r : *records) {
    if (args->Has("--class") && Header(r, "herald-error-class") != args->Get("--class")) continue;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), r.key) == ids.end()) continue;
    if (args->Has("--contains") && Header(r, "herald-error").find(args->Get("--contains")) == std::string::npos)
      continue;
    chosen.push_back(r);
  }

  if (verb == "list") {
    bool as_json = args->Get("--output") == "json";
    if (!as_json) std::printf("%-38s %-10s %-9s %-25s %s\n", "GLOBALID", "CLASS", "ATTEMPTS", "FAILED-AT", "ERROR");
    for (const auto& r : chosen) {
      if (as_json) {
        nlohmann::json h = nlohmann::json::object();
        for (const auto& [k, v] : r.headers) h[k] = v;
        nlohmann::json line = {
            {"key", r.key}, {"partition", r.partition}, {"offset", r.offset}, {"headers", h}, {"value", r.value}};
        std::printf("%s\n", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      } else {
        std::printf("%-38s %-10s %-9s %-25s %s\n", r.key.c_str(), Header(r, "herald-error-class").c_str(),
                    Header(r, "herald-attempts").c_str(), Header(r, "herald-failed-at").c_str(),
                    Header(r, "herald-error").c_str());
      }
    }
    if (!as_json)
      std::fprintf(stderr, "%zu of %zu dead letters in %s\n", chosen.size(), records->size(),
                   topics->dead_letter_topic.c_str());
    return kExitOk;
  }

  // replay: the original key and value; traceparent continues the trace.
  std::vector<KafkaRecord> out;
  for (const auto& r : chosen) {
    KafkaRecord again{r.key, r.value, {}, 0, 0};
    if (auto tp = Header(r, "traceparent"); !tp.empty()) again.headers.emplace_back("traceparent", tp);
    again.headers.emplace_back("herald-replayed-from", Header(r, "herald-origin"));
    out.push_back(std::move(again));
  }
  if (args->Has("--dry-run")) {
    for (const auto& r : out) std::printf("would replay %s to %s\n", r.key.c_str(), topics->topic.c_str());
    std::fprintf(stderr, "dry run: %zu dead letters would be replayed\n", out.size());
    return kExitOk;
  }
  if (!out.empty()) {
    auto st = ProduceAll(*bootstrap, topics->topic, out);
    if (!st.ok()) return std::fprintf(stderr, "heraldctl dlq replay: %s\n", st.error().c_str()), kExitFailure;
  }
  std::fprintf(stderr, "replayed %zu dead letters to %s\n", out.size(), topics->topic.c_str());
  return kExitOk;
}

}  // namespace herald::cli
