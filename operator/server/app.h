#pragma once

#include "server/options.h"

namespace mlmodel::server {

// Runs the operator until SIGTERM or SIGINT (or a lost leadership): caches, the
// reconciler's workers, Events, /metrics, /healthz and /readyz, and leader election when
// asked. Returns the process exit code.
int runOperator(const Options& options);

}  // namespace mlmodel::server
