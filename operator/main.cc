// herald-operator: reconciles NotificationChannel and Template resources.
// Placeholder entry point while the component is being built (see the issue
// tracker); it answers --help and --version and refuses to pretend otherwise.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "version") == 0) {
      std::printf("herald-operator %s\n", HERALD_VERSION);
      return 0;
    }
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: herald-operator [--help] [--version]\nherald-operator reconciles NotificationChannel and Template resources.\n");
      return 0;
    }
  }
  std::fprintf(stderr, "herald-operator: not implemented yet\n");
  return 2;
}
