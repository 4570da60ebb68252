#pragma once

namespace mlmodel::cli {

// The git commit the plugin was built from ("" outside a checkout); defined by a source
// file that cli/git_commit.cmake writes at build time.
extern const char* const kGitCommit;

}  // namespace mlmodel::cli
