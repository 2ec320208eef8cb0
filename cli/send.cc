// heraldctl send: build a v1 envelope and produce it to a channel's topic.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "herald/envelope.h"

namespace herald::cli {

namespace {
constexpr const char* kHelp = R"(usage: heraldctl send (--channel NS/NAME | --topic TOPIC) [flags]

Builds a v1 envelope (fresh globalId and createdAt unless given), produces it
to the channel's topic, waits for the broker's acknowledgement and prints the
globalId. With --file, the file's JSON object is sent as is (after validation).

flags:
  --channel NS/NAME     look the topic up in the cluster (status.topic)
  --topic TOPIC         or name it
  --from SENDER         required without --file
  --content JSON        the content object, with "version" (required without --file)
  --type TYPE           optional
  --created-by WHO      optional
  --to-user ID          repeatable
  --email ADDRESS       repeatable: recipients.email
  --global-id UUID      instead of a fresh one
  --file PATH           a whole envelope ("-": standard input)
  --bootstrap SERVERS   default $HERALD_KAFKA_BOOTSTRAP
  --kubeconfig PATH     default $KUBECONFIG
exit codes: 0 sent, 1 not sent (broker, cluster), 2 bad flags or envelope
)";
}  // namespace

int Send(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv,
                        {"--channel", "--topic", "--from", "--content", "--type", "--created-by", "--to-user",
                         "--email", "--global-id", "--file", "--bootstrap", "--kubeconfig"},
                        {"--help"});
  if (!args) return std::fprintf(stderr, "heraldctl send: %s\n", args.error().c_str()), kExitUsage;
  if (args->Has("--help")) return std::fputs(kHelp, stdout), kExitOk;

  Result<Envelope> env = Error{""};
  if (args->Has("--file")) {
    std::string path = args->Get("--file");
    std::stringstream ss;
    if (path == "-") {
      ss << std::cin.rdbuf();
    } else {
      std::ifstream in(path);
      if (!in) return std::fprintf(stderr, "heraldctl send: cannot read %s\n", path.c_str()), kExitUsage;
      ss << in.rdbuf();
    }
    env = ParseEnvelope(ss.str());
  } else {
    EnvelopeDraft d;
    d.from = args->Get("--from");
    if (d.from.empty()) return std::fprintf(stderr, "heraldctl send: --from is required\n"), kExitUsage;
    d.content = nlohmann::json::parse(args->Get("--content"), nullptr, false);
    if (d.content.is_discarded() || !d.content.is_object()) {
      return std::fprintf(stderr, "heraldctl send: --content must be a JSON object with \"version\"\n"), kExitUsage;
    }
    d.type = args->Get("--type");
    d.created_by = args->Get("--created-by");
    d.global_id = args->Get("--global-id");
    if (args->Has("--to-user")) d.to_user_ids = args->flags.at("--to-user");
    if (args->Has("--email")) d.email_recipients = args->flags.at("--email");
    env = NewEnvelope(d, std::chrono::system_clock::now());
  }
  if (!env) return std::fprintf(stderr, "heraldctl send: invalid envelope: %s\n", env.error().c_str()), kExitUsage;

  auto topics = ResolveTopics(*args);
  if (!topics) return std::fprintf(stderr, "heraldctl send: %s\n", topics.error().c_str()), kExitFailure;
  auto bootstrap = Bootstrap(*args);
  if (!bootstrap) return std::fprintf(stderr, "heraldctl send: %s\n", bootstrap.error().c_str()), kExitUsage;
  auto st = ProduceAll(*bootstrap, topics->topic, {{env->global_id, env->raw, {}, 0, 0}});
  if (!st.ok()) return std::fprintf(stderr, "heraldctl send: %s\n", st.error().c_str()), kExitFailure;
  std::printf("%s\n", env->global_id.c_str());
  return kExitOk;
}

}  // namespace herald::cli
