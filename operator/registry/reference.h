#pragma once

#include <string>

#include "core/result.h"

namespace mlmodel::registry {

// A container image reference, normalised the way Docker and Kubernetes read one:
//   auto ref = parseImageReference("fraud:1.4.0");
//   // ref->registry == "docker.io", ref->repository == "library/fraud", ref->tag == "1.4.0"
//   ref->withDigest("sha256:0123...").str();  // "docker.io/library/fraud@sha256:0123..."
struct ImageReference {
  std::string registry;    // host[:port]: "docker.io", "127.0.0.1:5000", "[::1]:5000"
  std::string repository;  // path inside the registry: "library/fraud", "models/fraud"
  std::string tag;         // "latest" when neither a tag nor a digest was given
  std::string digest;      // "sha256:<64 hex>", or empty

  // registry/repository
  std::string name() const;
  // registry/repository[:tag][@digest]; parseImageReference(str()) gives this back.
  std::string str() const;
  // What addresses the manifest in the distribution API: the digest when there is one,
  // else the tag.
  std::string manifestReference() const;
  // The pinned form, registry/repository@digest. The tag is dropped: Kubernetes accepts
  // "repo:tag@digest" but ignores the tag, so keeping it would only suggest otherwise.
  ImageReference withDigest(const std::string& digest) const;

  bool operator==(const ImageReference&) const = default;
};

// Parses "[registry/]repository[:tag][@sha256:<hex>]". The first path component is the
// registry when it contains '.' or ':', is "localhost", or has an upper-case letter (as
// Docker decides); otherwise the registry is docker.io, where a one-component name gets
// the "library/" prefix. "index.docker.io" is read as "docker.io". Errors (reason
// "InvalidImageReference") say which part is wrong.
core::Result<ImageReference> parseImageReference(const std::string& text);

// True for "sha256:" followed by 64 lower-case hex digits.
bool isValidDigest(const std::string& digest);

}  // namespace mlmodel::registry
