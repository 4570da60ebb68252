#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "registry/reference.h"

namespace mlmodel::registry {

// The registries (and, optionally, repository prefixes in them) an administrator lets
// models pull from: "registry.example.com", "127.0.0.1:5000", "ghcr.io/acme/models". An
// image is allowed when its registry equals an entry's (case-insensitive; index.docker.io is
// docker.io) and its repository is the entry's path or below it by whole segments
// ("ghcr.io/acme" allows ghcr.io/acme/fraud, not ghcr.io/acme-evil/fraud). Images are
// compared as parseImageReference normalises them, so "fraud:1" is docker.io/library/fraud.
// An empty list allows every registry.
class AllowedRegistries {
 public:
  // An Error names the first entry that is not host[:port][/path].
  static core::Result<AllowedRegistries> parse(const std::vector<std::string>& entries);

  bool restricts() const { return !entries_.empty(); }
  bool allows(const ImageReference& image) const;
  std::string describe() const;  // the entries, comma-separated

 private:
  struct Entry {
    std::string registry;  // lower case
    std::string path;      // "" or "acme/models"
    std::string text;
  };
  std::vector<Entry> entries_;
};

}  // namespace mlmodel::registry
