// heraldctl: send, render and replay Herald notifications.
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"

namespace {
constexpr const char* kUsage = R"(usage: heraldctl COMMAND [flags]

commands:
  send         build an envelope and produce it to a channel's topic
  render       render a Template for a channel kind (a dry run)
  dlq list     show a channel's dead letters
  dlq replay   send dead letters to the channel's topic again
  version      print the version

`heraldctl COMMAND --help` describes each command.
)";
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, stdout);
    return args.empty() ? herald::cli::kExitUsage : herald::cli::kExitOk;
  }
  std::string cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "version" || cmd == "--version") {
    std::printf("heraldctl %s\n", HERALD_VERSION);
    return herald::cli::kExitOk;
  }
  if (cmd == "send") return herald::cli::Send(rest);
  if (cmd == "render") return herald::cli::Render(rest);
  if (cmd == "dlq") return herald::cli::Dlq(rest);
  std::fprintf(stderr, "heraldctl: unknown command %s (see --help)\n", cmd.c_str());
  return herald::cli::kExitUsage;
}
