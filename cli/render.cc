// heraldctl render: the dry run of a Template for one channel kind.
#include "herald/render.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli.h"
#include "config/yaml_json.h"
#include "herald/envelope.h"
#include "kube/client.h"

namespace herald::cli {

namespace {
constexpr const char* kHelp =
    R"(usage: heraldctl render (--file TEMPLATE.yaml | --template NS/NAME) --kind KIND [--data ENVELOPE.json]

Renders a Template for a channel kind with its spec.sample, or with the
envelope in --data, and prints what would be sent: the email subject, text
and HTML, or the JSON body for Slack, Teams or a webhook.

flags:
  --file PATH         a Template manifest (YAML or JSON; the first Template in the file)
  --template NS/NAME  a Template in the cluster (--kubeconfig, default $KUBECONFIG)
  --kind KIND         email | slack | teams | webhook
  --data PATH         an envelope JSON file instead of spec.sample
exit codes: 0 rendered, 1 cluster unreachable, 2 bad flags, template or data (the error says where)
)";

Result<nlohmann::json> LoadTemplate(const Args& args) {
  if (args.Has("--file")) {
    try {
      for (const auto& doc : YAML::LoadAllFromFile(args.Get("--file"))) {
        auto j = config::YamlToJson(doc);
        if (j.is_object() && j.value("kind", "") == "Template") return j;
      }
    } catch (const YAML::Exception& e) {
      return Error{args.Get("--file") + ": " + e.what()};
    }
    return Error{args.Get("--file") + ": no Template in the file"};
  }
  std::string ref = args.Get("--template");
  auto slash = ref.find('/');
  if (slash == std::string::npos) return Error{"give --file PATH or --template NAMESPACE/NAME"};
  auto cfg = kube::ResolveClusterConfig(args.Get("--kubeconfig"));
  if (!cfg) return Error{cfg.error()};
  auto client = kube::NewRestClient(*cfg);
  if (!client) return Error{client.error()};
  kube::Resource templates{"herald.dev", "v1alpha1", "templates", true};
  auto r = (*client)->Send("GET", kube::ResourcePath(templates, ref.substr(0, slash), ref.substr(slash + 1)));
  if (!r) return Error{r.error()};
  if (!r->ok()) return Error{"template " + ref + ": HTTP " + std::to_string(r->status) + ": " + r->message()};
  return r->body;
}
}  // namespace

int Render(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, {"--file", "--template", "--kind", "--data", "--kubeconfig"}, {"--help"});
  if (!args) return std::fprintf(stderr, "heraldctl render: %s\n", args.error().c_str()), kExitUsage;
  if (args->Has("--help")) return std::fputs(kHelp, stdout), kExitOk;
  auto kind = ParseChannelKind(args->Get("--kind"));
  if (!kind)
    return std::fprintf(stderr, "heraldctl render: --kind must be email, slack, teams or webhook\n"), kExitUsage;
  auto tmpl = LoadTemplate(*args);
  if (!tmpl) {
    return std::fprintf(stderr, "heraldctl render: %s\n", tmpl.error().c_str()),
           args->Has("--template") ? kExitFailure : kExitUsage;
  }
  auto spec = ParseTemplateSpec(tmpl->value("spec", nlohmann::json::object()));
  if (!spec) return std::fprintf(stderr, "heraldctl render: %s\n", spec.error().c_str()), kExitUsage;
  Result<Envelope> env = Error{"spec.sample: missing (or pass --data)"};
  if (args->Has("--data")) {
    std::ifstream in(args->Get("--data"));
    std::stringstream ss;
    ss << in.rdbuf();
    env = ParseEnvelope(ss.str());
  } else if (spec->sample) {
    env = ValidateEnvelope(*spec->sample);
  }
  if (!env) return std::fprintf(stderr, "heraldctl render: %s\n", env.error().c_str()), kExitUsage;
  auto out = herald::Render(*spec, *kind, *env);
  if (!out) return std::fprintf(stderr, "heraldctl render: %s\n", out.error().c_str()), kExitUsage;
  if (*kind == ChannelKind::kEmail) {
    std::printf("Subject: %s\n\n--- text\n%s\n--- html\n%s\n", out->email.subject.c_str(), out->email.text.c_str(),
                out->email.html.c_str());
  } else {
    auto pretty = nlohmann::json::parse(out->body, nullptr, false);
    std::printf("%s\n", pretty.is_discarded() ? out->body.c_str() : pretty.dump(2).c_str());
  }
  return kExitOk;
}

}  // namespace herald::cli
