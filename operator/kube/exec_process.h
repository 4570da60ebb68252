#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/result.h"

namespace mlmodel::kube {

// A child process to run to completion. argv goes straight to posix_spawn: no shell
// parses it, so arguments from a kubeconfig cannot inject commands.
struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH unless it contains '/'
  std::vector<std::string> env;   // the child's whole environment, "NAME=value"
  std::chrono::milliseconds timeout{std::chrono::minutes(1)};
};

struct ProcessResult {
  int exitCode = 0;  // 128 + signal number when a signal ended it, like a shell reports
  bool timedOut = false;
  std::string out;  // stdout, up to kMaxOutput bytes
  std::string err;  // stderr, up to kMaxOutput bytes
};

inline constexpr size_t kMaxProcessOutput = 4 << 20;

// Runs the process with stdin from /dev/null, capturing stdout and stderr, and waits for
// it. On timeout its whole process group is killed. The error is only for a process that
// could not be started (for example, no such command); a non-zero exit is a result.
core::Result<ProcessResult> runProcess(const ProcessSpec& spec);

// The last `maxBytes` of `text`, starting at a line boundary when one is near, trimmed.
std::string tailOf(const std::string& text, size_t maxBytes = 1024);

}  // namespace mlmodel::kube
