#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mlmodel::plugin {

// A command of `kubectl mlmodel` to run, its arguments checked.
struct Invocation {
  std::string command;  // a command's path: "status", "set image", "version", ...
  std::string name, image;
  std::string ns, kubeconfig, context;  // "" when not given
  int revision = 0;                     // rollback --to-revision; diff's first revision
  int revisionTo = 0;                   // diff's second revision
  bool wait = false;                    // set image --wait
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  std::string output;  // version -o: "", "json" or "yaml"
};

// Exit codes, as kubectl's: 0 done (and help), 1 failed, usage errors included. 2 is left to
// `wait` alone, for the timeout, so a pipeline can tell "wait longer" from everything else.
inline constexpr int kExitUsage = 1;

// What the command line asks for: a command to run, or text to print and an exit code
// (help on stdout with 0; a usage error on stderr, with the usage, and kExitUsage).
struct CommandLine {
  std::optional<Invocation> invocation;
  std::string out, err;
  int exitCode = 0;
};

// `args` are the arguments after the program's name, as kubectl hands them to the plugin.
// Flags go anywhere (`-n ns`, `-n=ns`, `--namespace ns`, `--namespace=ns`); `--` ends them.
CommandLine parseCommandLine(const std::vector<std::string>& args);

}  // namespace mlmodel::plugin
