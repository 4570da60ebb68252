#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/encoding.h"
#include "core/result.h"

// Small helpers shared by the config loaders. Internal to kube/; not a public API.
namespace mlmodel::kube::detail {

// The whole file. The error reads "<path>: <strerror>".
core::Result<std::string> readFile(const std::string& path);
bool fileExists(const std::string& path);

using core::base64Decode;  // core/encoding.h
using core::base64Encode;

// "2024-05-01T10:00:00Z", "2024-05-01T10:00:00.5+02:00".
core::Result<core::WallTime> parseRfc3339(std::string_view s);

// host:port, with IPv6 literals bracketed like Go's net.JoinHostPort.
std::string joinHostPort(const std::string& host, const std::string& port);

std::string trimSpace(std::string_view s);
std::string dirName(const std::string& path);
// `path` relative to `baseDir` unless it is absolute or empty.
std::string resolvePath(const std::string& path, const std::string& baseDir);

// Catch a wrong or corrupt PEM at load time, where the error can still name its origin,
// rather than as an opaque TLS failure on the first request.
core::Status checkPemCertificates(const std::string& pem);
core::Status checkPemKeyPair(const std::string& certPem, const std::string& keyPem);

}  // namespace mlmodel::kube::detail
