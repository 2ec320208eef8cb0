#include "cli.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>

#include "kube/client.h"

namespace herald::cli {

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

}  // namespace herald::cli
