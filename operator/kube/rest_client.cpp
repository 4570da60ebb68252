#include "kube/rest_client.h"

#include <thread>

#include "core/backoff.h"
#include "core/json_read.h"
#include "kube/api_error.h"

namespace mlmodel::kube {
namespace {

using core::Error;
using core::Result;

const char* patchContentType(PatchType t) {
  switch (t) {
    case PatchType::Merge:
      return "application/merge-patch+json";
    case PatchType::Json:
      return "application/json-patch+json";
    case PatchType::StrategicMerge:
      return "application/strategic-merge-patch+json";
  }
  return "application/merge-patch+json";
}

Result<Json> parseBody(const http::Response& r, const std::string& what,
                       const core::JsonPrune* prune = nullptr) {
  try {
    return core::parseJson(r.body, prune);
  } catch (const std::exception& e) {
    return Error{what + ": response is not JSON: " + e.what(), r.status};
  }
}

Result<Json> replyOf(const http::Response& r, const std::string& what, Reply reply) {
  if (reply == Reply::Discard) return Json::null();
  return parseBody(r, what);
}

// Query string builder: appends "?k=v" / "&k=v" with the value encoded.
class Query {
 public:
  explicit Query(std::string path) : s_(std::move(path)) {}
  Query& add(const std::string& key, const std::string& value) {
    if (value.empty()) return *this;
    s_ += (first_ ? '?' : '&') + key + "=" + urlEncode(value);
    first_ = false;
    return *this;
  }
  std::string str() const { return s_; }

 private:
  std::string s_;
  bool first_ = true;
};

std::optional<core::Duration> retryAfter(const http::Response& r) {
  auto h = r.header("retry-after");
  if (!h) return std::nullopt;
  try {
    return std::chrono::seconds(std::clamp(std::stoi(*h), 0, 60));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

http::Request request(std::string method, std::string target, std::string body = {}) {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  r.maxBodyBytes = kMaxReplyBytes;
  return r;
}

}  // namespace

Result<std::optional<WatchEvent>> WatchStream::next() {
  for (;;) {
    auto line = lines_->readLine();
    if (!line) return line.error();
    if (!line.value()) return std::optional<WatchEvent>();
    if (line.value()->empty()) continue;
    try {
      auto v = core::parseJson(*line.value(), prune_);
      WatchEvent ev{v.at("type").as_string(), Json()};
      ev.object = std::move(v.at("object"));  // a swap, not a deep copy
      return std::optional<WatchEvent>(std::move(ev));
    } catch (const std::exception& e) {
      return Error{std::string("watch: undecodable event: ") + e.what()};
    }
  }
}

Client::Client(std::unique_ptr<http::Transport> transport,
               std::shared_ptr<CredentialSource> credentials, ClientOptions options)
    : transport_(std::move(transport)),
      credentials_(std::move(credentials)),
      options_(std::move(options)) {
  if (!options_.clock) options_.clock = &core::SystemClock::instance();
  if (!options_.sleep) options_.sleep = [](core::Duration d) { std::this_thread::sleep_for(d); };
}

core::Status Client::authorize(http::Request& request) {
  request.headers["User-Agent"] = options_.userAgent;
  if (!request.headers.count("Accept")) request.headers["Accept"] = "application/json";
  if (!credentials_) return core::Ok{};
  auto token = credentials_->token();
  if (!token) return Error{"credentials: " + token.error().message};
  request.headers["Authorization"] = "Bearer " + token.value();
  return core::Ok{};
}

void Client::logWarnings(const std::map<std::string, std::string>& headers,
                         const std::string& what) {
  auto it = headers.find("warning");
  if (it == headers.end()) return;
  for (const auto& text : parseWarnings(it->second)) warnings_.log(what, text);
}

Result<http::Response> Client::call(http::Request request, bool idempotent) {
  core::Backoff backoff({.initial = std::chrono::milliseconds(200),
                         .max = std::chrono::seconds(5),
                         .factor = 2.0,
                         .jitter = 0.2});
  const std::string what = request.method + " " + request.target;
  bool reauthorized = false;
  request.cancel = options_.cancel;
  for (int attempt = 1;; ++attempt) {
    if (options_.cancel && options_.cancel->cancelled()) return core::Error{what + ": cancelled"};
    if (options_.writeGate && request.method != "GET") {
      if (auto s = options_.writeGate(); !s) return core::Error{what + ": " + s.error().message};
    }
    if (auto s = authorize(request); !s) return s.error();
    const auto start = options_.clock->steadyNow();
    auto r = transport_->send(request);
    const int code = r ? r.value().status : 0;
    if (options_.observer) {
      options_.observer->observe(request.method, code, options_.clock->steadyNow() - start);
    }
    const bool last = attempt >= options_.maxAttempts;
    if (!r) {
      if (!idempotent || last || (options_.cancel && options_.cancel->cancelled())) {
        return r.error();
      }
      options_.sleep(backoff.next());
      continue;
    }
    const auto& resp = r.value();
    logWarnings(resp.headers, what);
    if (resp.status / 100 == 2) return r;
    if (resp.status == 401 && credentials_ && !reauthorized) {
      credentials_->invalidate();  // a rotated token or an expired exec credential
      reauthorized = true;
      continue;
    }
    if (resp.status == 429 && !last) {
      options_.sleep(retryAfter(resp).value_or(backoff.next()));
      continue;
    }
    auto error = apiError(resp.status, resp.body, what);
    if (isServerError(error) && idempotent && !last) {
      options_.sleep(retryAfter(resp).value_or(backoff.next()));
      continue;
    }
    return error;
  }
}

Result<Json> Client::get(const ResourceType& type, const std::string& ns, const std::string& name,
                         const std::string& subresource) {
  auto req = request("GET", objectPath(type, ns, name, subresource));
  req.timeout = options_.timeout;
  auto r = call(req, true);
  if (!r) return r.error();
  return parseBody(r.value(), req.target);
}

Result<ObjectList> Client::list(const ResourceType& type, const std::string& ns,
                                const ListOptions& options) {
  // A continue token expires with etcd compaction (410 Expired); then the list starts over,
  // since pages from two different snapshots must not be mixed.
  for (int restart = 0;; ++restart) {
    ObjectList out;
    std::string cont;
    bool expired = false;
    do {
      auto req = request("GET", "");
      req.target = Query(collectionPath(type, ns))
                       .add("labelSelector", options.labelSelector)
                       .add("fieldSelector", options.fieldSelector)
                       .add("limit", options.limit > 0 ? std::to_string(options.limit) : "")
                       .add("continue", cont)
                       .str();
      req.timeout = options_.timeout;
      auto r = call(req, true);
      if (!r) {
        if (isGone(r.error()) && !cont.empty() && restart < 2 && !options.onItem) {
          expired = true;
          break;
        }
        return r.error();
      }
      auto body = parseBody(r.value(), req.target, options.prune);
      if (!body) return body.error();
      auto& v = body.value();
      if (v.has_array_field("items")) {
        for (auto& item : v.at("items").as_array()) {
          if (options.onItem) {
            options.onItem(std::move(item));
          } else {
            out.items.push_back(std::move(item));
          }
        }
      }
      const Json meta = v.has_object_field("metadata") ? v.at("metadata") : Json::object();
      out.resourceVersion =
          meta.has_string_field("resourceVersion") ? meta.at("resourceVersion").as_string() : "";
      cont = meta.has_string_field("continue") ? meta.at("continue").as_string() : "";
    } while (!cont.empty());
    if (!expired) return out;
  }
}

Result<Json> Client::create(const ResourceType& type, const std::string& ns, const Json& object,
                            Reply reply) {
  auto req = request("POST", collectionPath(type, ns), object.serialize());
  req.timeout = options_.timeout;
  auto r = call(req, false);
  if (!r) return r.error();
  return replyOf(r.value(), req.target, reply);
}

Result<Json> Client::createSubresource(const ResourceType& type, const std::string& ns,
                                       const std::string& name, const std::string& subresource,
                                       const Json& object) {
  auto req = request("POST", objectPath(type, ns, name, subresource), object.serialize());
  req.timeout = options_.timeout;
  auto r = call(req, false);
  if (!r) return r.error();
  return parseBody(r.value(), req.target);
}

Result<Json> Client::update(const ResourceType& type, const std::string& ns, const Json& object,
                            const std::string& subresource) {
  const auto name = core::jsonString(object, {"metadata", "name"});
  if (name.empty()) return Error{"update: the object has no metadata.name"};
  auto req = request("PUT", objectPath(type, ns, name, subresource), object.serialize());
  req.timeout = options_.timeout;
  auto r = call(req, false);
  if (!r) return r.error();
  return parseBody(r.value(), req.target);
}

core::Status Client::remove(const ResourceType& type, const std::string& ns,
                            const std::string& name, const DeleteOptions& options) {
  Json body = Json::object();
  body["apiVersion"] = Json::string("v1");
  body["kind"] = Json::string("DeleteOptions");
  if (options.uid || options.resourceVersion) {
    Json pre = Json::object();
    if (options.uid) pre["uid"] = Json::string(*options.uid);
    if (options.resourceVersion) pre["resourceVersion"] = Json::string(*options.resourceVersion);
    body["preconditions"] = pre;
  }
  if (!options.propagationPolicy.empty()) {
    body["propagationPolicy"] = Json::string(options.propagationPolicy);
  }
  auto req = request("DELETE", objectPath(type, ns, name), body.serialize());
  req.timeout = options_.timeout;
  auto r = call(req, true);
  if (!r) return r.error();
  return core::Ok{};
}

Result<Json> Client::patch(const ResourceType& type, const std::string& ns, const std::string& name,
                           PatchType patchType, const Json& patch, const std::string& subresource,
                           Reply reply) {
  auto req = request("PATCH", objectPath(type, ns, name, subresource), patch.serialize());
  req.headers["Content-Type"] = patchContentType(patchType);
  req.timeout = options_.timeout;
  auto r = call(req, false);
  if (!r) return r.error();
  return replyOf(r.value(), req.target, reply);
}

Result<Json> Client::apply(const ResourceType& type, const std::string& ns, const std::string& name,
                           const Json& object, const ApplyOptions& options,
                           const std::string& subresource) {
  if (options.fieldManager.empty()) return Error{"apply: a fieldManager is required"};
  // JSON is YAML, so the apply body can be the object as JSON.
  auto req = request("PATCH", "", object.serialize());
  req.headers["Content-Type"] = "application/apply-patch+yaml";
  req.target = Query(objectPath(type, ns, name, subresource))
                   .add("fieldManager", options.fieldManager)
                   .add("force", options.force ? "true" : "")
                   .str();
  req.timeout = options_.timeout;
  auto r = call(req, true);
  if (!r) return r.error();
  return replyOf(r.value(), req.target, options.reply);
}

Result<std::unique_ptr<WatchStream>> Client::watch(const ResourceType& type, const std::string& ns,
                                                   const WatchOptions& options) {
  auto req = request("GET", "");
  req.target = Query(collectionPath(type, ns))
                   .add("watch", "true")
                   .add("resourceVersion", options.resourceVersion)
                   .add("labelSelector", options.labelSelector)
                   .add("fieldSelector", options.fieldSelector)
                   .add("allowWatchBookmarks", options.allowBookmarks ? "true" : "")
                   .add("timeoutSeconds", std::to_string(options.timeoutSeconds))
                   .str();
  // The connection stays open for timeoutSeconds; it only counts as dead when nothing,
  // not even a bookmark, arrives for a while longer than that.
  req.timeout = std::chrono::seconds(options.timeoutSeconds + 30);
  req.maxBodyBytes = kMaxWatchLineBytes;  // per event
  for (int attempt = 1;; ++attempt) {
    if (auto s = authorize(req); !s) return s.error();
    auto r = transport_->stream(req);
    if (!r) return r.error();
    auto& resp = r.value();
    if (options_.observer) options_.observer->observe("WATCH", resp.status, {});
    logWarnings(resp.headers, "WATCH " + req.target);
    if (resp.status / 100 == 2) {
      return std::make_unique<WatchStream>(std::move(resp.lines), options.prune);
    }
    if (resp.status == 401 && credentials_ && attempt == 1) {
      credentials_->invalidate();
      continue;
    }
    return apiError(resp.status, resp.errorBody, "GET " + req.target);
  }
}

}  // namespace mlmodel::kube
