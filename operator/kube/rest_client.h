#pragma once

#include <cpprest/json.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json_parse.h"
#include "core/result.h"
#include "http/transport.h"
#include "kube/api_warnings.h"
#include "kube/credentials.h"
#include "kube/resource.h"

namespace mlmodel::kube {

using Json = web::json::value;

struct ListOptions {
  std::string labelSelector;
  std::string fieldSelector;
  int limit = 500;  // page size; pages are followed until the list is whole
  // When set, each item is handed over as its page arrives instead of being collected,
  // so a large list never holds every object at once (an informer caches them compactly).
  // An expired continue token then ends the list with 410 rather than restarting it,
  // since the receiver has already seen part of an older snapshot.
  std::function<void(Json&&)> onItem;
  // Optional: fields of each page left out ("items.*.metadata.managedFields").
  const core::JsonPrune* prune = nullptr;
};

struct ObjectList {
  std::vector<Json> items;
  std::string resourceVersion;  // the list's; start a watch from it
};

struct DeleteOptions {
  std::optional<std::string> uid;              // precondition
  std::optional<std::string> resourceVersion;  // precondition
  std::string propagationPolicy;               // Foreground, Background, Orphan; "" = default
};

enum class PatchType { Merge, Json, StrategicMerge };

// What a write does with the object the API server sends back. A caller that only needs
// to know the write worked discards it: decoding a Deployment costs more than sending it.
// Discarded, the result is null.
enum class Reply { Decode, Discard };

struct ApplyOptions {
  std::string fieldManager;
  bool force = false;
  Reply reply = Reply::Decode;
};

struct WatchOptions {
  std::string resourceVersion;  // opaque; from a list or the last event seen
  std::string labelSelector;
  std::string fieldSelector;
  bool allowBookmarks = true;
  int timeoutSeconds = 300;  // the server ends the watch after this; the caller reconnects
  // Optional: fields of each event left out ("object.metadata.managedFields"). Must
  // outlive the stream.
  const core::JsonPrune* prune = nullptr;
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  Json object;
};

// One open watch. next() blocks until an event arrives; nullopt when the server ended the
// watch cleanly (timeoutSeconds), an Error when the connection broke.
class WatchStream {
 public:
  explicit WatchStream(std::unique_ptr<http::LineStream> lines,
                       const core::JsonPrune* prune = nullptr)
      : lines_(std::move(lines)), prune_(prune) {}
  core::Result<std::optional<WatchEvent>> next();
  void cancel() { lines_->cancel(); }

 private:
  std::unique_ptr<http::LineStream> lines_;
  const core::JsonPrune* prune_;
};

// Observes every request, for rest_client_requests_total{code,method,host}.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void observe(const std::string& method, int code, core::Duration latency) = 0;
};

// The largest reply accepted from the API server: a list page of 500 objects (ListOptions)
// at ~60 KiB each, with room to spare; a single object is at most ~3 MiB (etcd's limit).
inline constexpr std::size_t kMaxReplyBytes = 32 * http::kMiB;
// The longest watch event line: one object at the API server's 3 MiB request limit,
// as JSON inside the event, with margin.
inline constexpr std::size_t kMaxWatchLineBytes = 16 * http::kMiB;

struct ClientOptions {
  std::string userAgent = "mlmodel-operator";
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  int maxAttempts = 5;                        // for retryable failures
  const core::Clock* clock = nullptr;         // default: SystemClock
  std::function<void(core::Duration)> sleep;  // default: sleep the thread
  std::shared_ptr<RequestObserver> observer;  // optional
  // Optional. Asked before every attempt of a request that is not a GET; an Error fails
  // the request with it, unsent and not retried. The fence of a leader: a process that no
  // longer holds its lease (or is shutting down) writes nothing, even from a reconcile that
  // was in flight when the lease ran out.
  std::function<core::Status()> writeGate;
  // Optional. Cancelled, every request in flight aborts at once and no new one is sent or
  // retried: a process that lost its lease stops talking to the API server.
  const core::CancelToken* cancel = nullptr;
};

// The REST verbs against one API server. Thread-safe.
//   429 waits for Retry-After and retries (any verb: the server did not act on it);
//   5xx and transport failures retry with backoff for idempotent requests only (get,
//   list, watch setup, server-side apply, delete); a 401 invalidates the credentials and
//   retries once. Every error names the request and carries the server's Status message.
class Client {
 public:
  Client(std::unique_ptr<http::Transport> transport, std::shared_ptr<CredentialSource> credentials,
         ClientOptions options = {});

  core::Result<Json> get(const ResourceType& type, const std::string& ns, const std::string& name,
                         const std::string& subresource = "");
  core::Result<ObjectList> list(const ResourceType& type, const std::string& ns,
                                const ListOptions& options = {});
  core::Result<Json> create(const ResourceType& type, const std::string& ns, const Json& object,
                            Reply reply = Reply::Decode);
  // POST to a subresource of one object, e.g. serviceaccounts/<name>/token (TokenRequest).
  core::Result<Json> createSubresource(const ResourceType& type, const std::string& ns,
                                       const std::string& name, const std::string& subresource,
                                       const Json& object);
  // PUT of the whole object (or of its subresource); metadata.resourceVersion makes it a
  // compare-and-swap that fails with 409 Conflict when the object changed.
  core::Result<Json> update(const ResourceType& type, const std::string& ns, const Json& object,
                            const std::string& subresource = "");
  core::Status remove(const ResourceType& type, const std::string& ns, const std::string& name,
                      const DeleteOptions& options = {});
  core::Result<Json> patch(const ResourceType& type, const std::string& ns, const std::string& name,
                           PatchType patchType, const Json& patch,
                           const std::string& subresource = "", Reply reply = Reply::Decode);
  // Server-side apply: `object` holds only the fields this manager owns.
  core::Result<Json> apply(const ResourceType& type, const std::string& ns, const std::string& name,
                           const Json& object, const ApplyOptions& options,
                           const std::string& subresource = "");
  core::Result<std::unique_ptr<WatchStream>> watch(const ResourceType& type, const std::string& ns,
                                                   const WatchOptions& options);

 private:
  core::Result<http::Response> call(http::Request request, bool idempotent);
  core::Status authorize(http::Request& request);
  void logWarnings(const std::map<std::string, std::string>& headers, const std::string& what);

  std::unique_ptr<http::Transport> transport_;
  std::shared_ptr<CredentialSource> credentials_;
  ClientOptions options_;
  WarningLog warnings_;
};

}  // namespace mlmodel::kube
