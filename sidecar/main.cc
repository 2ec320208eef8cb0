// herald-sidecar: dispatches a channel's notifications from Kafka.
// Placeholder entry point while the component is being built (see the issue
// tracker); it answers --help and --version and refuses to pretend otherwise.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "version") == 0) {
      std::printf("herald-sidecar %s\n", HERALD_VERSION);
      return 0;
    }
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: herald-sidecar [--help] [--version]\nherald-sidecar dispatches a channel's notifications from Kafka.\n");
      return 0;
    }
  }
  std::fprintf(stderr, "herald-sidecar: not implemented yet\n");
  return 2;
}
