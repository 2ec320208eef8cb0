// heraldctl: sends, renders and replays Herald notifications.
// Placeholder entry point while the component is being built (see the issue
// tracker); it answers --help and --version and refuses to pretend otherwise.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "version") == 0) {
      std::printf("heraldctl %s\n", HERALD_VERSION);
      return 0;
    }
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: heraldctl [--help] [--version]\nheraldctl sends, renders and replays Herald notifications.\n");
      return 0;
    }
  }
  std::fprintf(stderr, "heraldctl: not implemented yet\n");
  return 2;
}
