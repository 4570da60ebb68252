// iris-loadgen: steady, bounded inference load on an iris model, meant to run in a pod and
// to go through the model's Service (cluster DNS, kube-proxy), so that the requests are
// spread over the Service's endpoints as a client's would be.
//
//   iris-loadgen --url http://iris.NAMESPACE.svc:80 [--model iris] [--rate 40]
//                [--duration 120] [--count 10000] [--timeout-ms 2000] [--model-file F]
//
// Every request is one iris sample (the data set of the trained file, in turn) on a new
// connection ("Connection: close"): kube-proxy picks an endpoint per connection, so a
// kept-alive connection would pin one pod. Stops after --duration seconds, --count requests
// or SIGTERM, whichever comes first.
//
// Output (stdout), one line per second and (HTTP code, model_version answered) seen in it:
//   <unix second> <code> <version> <requests> <correct predictions>
// code 0 is no answer (connect, DNS or timeout), version "-" when the answer names none
// (errors); then a summary:
//   iris-loadgen: sent=N ok=N errors=N no_answer=N correct=N seconds=S
//   by_version_code=2.0.0/200:N,...   (the same line)
#include <cpprest/json.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "model.h"

#ifndef IRIS_DEFAULT_MODEL_FILE
#define IRIS_DEFAULT_MODEL_FILE "iris_models.json"
#endif

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

volatile std::sig_atomic_t stopRequested = 0;
extern "C" void onSignal(int /*sig*/) { stopRequested = 1; }

struct Options {
  std::string host, port = "80", model = "iris";
  std::string modelFile = IRIS_DEFAULT_MODEL_FILE;
  double rate = 40;
  double duration = 120;
  long count = 10000;
  long timeoutMs = 2000;
};

template <typename T>
T number(const std::string& flag, const std::string& s) {
  T v{};
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    throw std::invalid_argument(flag + ": not a number: " + s);
  }
  return v;
}

// "http://host[:port][/]" into host and port.
void parseUrl(const std::string& url, Options& o) {
  constexpr std::string_view scheme = "http://";
  if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("--url must start with http://");
  std::string rest = url.substr(scheme.size());
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    if (rest.substr(slash) != "/") throw std::invalid_argument("--url takes no path");
    rest.resize(slash);
  }
  if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    o.port = rest.substr(colon + 1);
    rest.resize(colon);
    (void)number<unsigned short>("--url port", o.port);
  }
  if (rest.empty()) throw std::invalid_argument("--url has no host");
  o.host = rest;
}

Options parseArgs(int argc, char** argv) {
  Options o;
  std::string url;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") throw std::invalid_argument("help");
    std::string value;
    if (const auto eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw std::invalid_argument(a + " needs a value");
    }
    if (a == "--url") {
      url = value;
    } else if (a == "--model") {
      o.model = value;
    } else if (a == "--model-file") {
      o.modelFile = value;
    } else if (a == "--rate") {
      o.rate = number<double>(a, value);
    } else if (a == "--duration") {
      o.duration = number<double>(a, value);
    } else if (a == "--count") {
      o.count = number<long>(a, value);
    } else if (a == "--timeout-ms") {
      o.timeoutMs = number<long>(a, value);
    } else {
      throw std::invalid_argument("unknown flag " + a);
    }
  }
  if (url.empty()) throw std::invalid_argument("--url is required");
  parseUrl(url, o);
  if (!(o.rate > 0 && o.rate <= 1000)) throw std::invalid_argument("--rate must be in (0, 1000]");
  if (!(o.duration > 0 && o.duration <= 3600)) {
    throw std::invalid_argument("--duration must be in (0, 3600] seconds");
  }
  if (o.count < 1 || o.count > 1000000) throw std::invalid_argument("--count: 1..1000000");
  if (o.timeoutMs < 1 || o.timeoutMs > 60000) throw std::invalid_argument("--timeout-ms: 1..60000");
  return o;
}

struct Answer {
  int code = 0;  // 0: no answer
  std::string version = "-";
  std::optional<int> predicted;
};

// Reads model_version and the first "predict" value out of a KServe V2 response body.
void readBody(const std::string& body, Answer& a) {
  web::json::value v;
  try {
    v = web::json::value::parse(body);
  } catch (const web::json::json_exception&) {
    return;
  }
  if (!v.is_object()) return;
  if (v.has_string_field("model_version")) a.version = v.at("model_version").as_string();
  if (!v.has_array_field("outputs")) return;
  const auto& outputs = v.at("outputs").as_array();
  for (const auto& out : outputs) {
    if (!out.is_object() || !out.has_string_field("name") ||
        out.at("name").as_string() != "predict")
      continue;
    if (out.has_array_field("data") && out.at("data").size() > 0 &&
        out.at("data").at(0).is_number())
      a.predicted = out.at("data").at(0).as_integer();
  }
}

class Client {
 public:
  explicit Client(const Options& o) : o_(o), resolver_(ioc_) {}

  Answer post(const std::string& target, const std::string& body) {
    Answer a;
    if (!resolve()) return a;
    beast::tcp_stream stream(ioc_);
    stream.expires_after(std::chrono::milliseconds(o_.timeoutMs));
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, o_.host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::connection, "close");
    req.body() = body;
    req.prepare_payload();
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{1024} * 1024);
    beast::error_code result;
    stream.async_connect(endpoints_, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        result = ec;
        return;
      }
      http::async_write(stream, req, [&](beast::error_code wec, std::size_t) {
        if (wec) {
          result = wec;
          return;
        }
        http::async_read(stream, buffer, parser,
                         [&](beast::error_code rec, std::size_t) { result = rec; });
      });
    });
    ioc_.restart();
    ioc_.run();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (result) {
      // A refused or reset connection means the Service's endpoint set changed under us:
      // look the name up again (the ClusterIP does not change, but a plain host may).
      resolvedAt_.reset();
      return a;
    }
    a.code = static_cast<int>(parser.get().result_int());
    readBody(parser.get().body(), a);
    return a;
  }

 private:
  bool resolve() {
    const auto now = SteadyClock::now();
    if (resolvedAt_ && now - *resolvedAt_ < std::chrono::seconds(5)) return true;
    beast::error_code ec;
    auto results = resolver_.resolve(o_.host, o_.port, ec);
    if (ec || results.empty()) {
      if (!warned_) {
        warned_ = true;
        std::cerr << "iris-loadgen: cannot resolve " << o_.host << ": " << ec.message()
                  << std::endl;
      }
      return !endpoints_.empty();  // keep the last answer, if any
    }
    endpoints_.assign(results.begin(), results.end());
    resolvedAt_ = now;
    warned_ = false;
    return true;
  }

  const Options& o_;
  net::io_context ioc_;
  tcp::resolver resolver_;
  std::vector<tcp::endpoint> endpoints_;
  std::optional<SteadyClock::time_point> resolvedAt_;
  bool warned_ = false;
};

std::string requestBody(long n, const iris::Features& x) {
  std::string body = R"({"id":")" + std::to_string(n) +
                     R"(","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[)";
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (i > 0) body += ',';
    body += std::to_string(x[i]);
  }
  body += "]}]}";
  return body;
}

struct Tally {
  long requests = 0, correct = 0;
};
// (unix second, code, version) -> tally; printed once the second is over.
using Ticks = std::map<std::tuple<long, int, std::string>, Tally>;

void flush(Ticks& ticks, long before) {
  for (auto it = ticks.begin(); it != ticks.end() && std::get<0>(it->first) < before;) {
    const auto& [sec, code, version] = it->first;
    std::cout << sec << ' ' << code << ' ' << version << ' ' << it->second.requests << ' '
              << it->second.correct << '\n';
    it = ticks.erase(it);
  }
  std::cout.flush();
}

long unixSecond() {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parseArgs(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "iris-loadgen: " << e.what() << "\n"
              << "usage: iris-loadgen --url http://HOST[:PORT] [--model iris] [--rate 40] "
                 "[--duration 120] [--count 10000] [--timeout-ms 2000] [--model-file F]\n";
    return 2;
  }
  iris::Samples samples;
  try {
    const auto file = iris::ModelFile::load(o.modelFile);
    samples = file.train;
    samples.x.insert(samples.x.end(), file.test.x.begin(), file.test.x.end());
    samples.y.insert(samples.y.end(), file.test.y.begin(), file.test.y.end());
  } catch (const std::exception& e) {
    std::cerr << "iris-loadgen: " << e.what() << std::endl;
    return 2;
  }
  if (samples.x.empty()) {
    std::cerr << "iris-loadgen: no samples in " << o.modelFile << std::endl;
    return 2;
  }
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);

  std::cout << "iris-loadgen: " << o.rate << " requests/s to http://" << o.host << ":" << o.port
            << "/v2/models/" << o.model << "/infer for at most " << o.duration << " s or "
            << o.count << " requests" << std::endl;
  Client client(o);
  const std::string target = "/v2/models/" + o.model + "/infer";
  const auto start = SteadyClock::now();
  const auto deadline = start + std::chrono::duration<double>(o.duration);
  const auto interval = std::chrono::duration<double>(1.0 / o.rate);
  Ticks ticks;
  std::map<std::pair<std::string, int>, long> byVersionCode;
  long sent = 0, ok = 0, errors = 0, noAnswer = 0, correct = 0;
  for (long n = 0; n < o.count && stopRequested == 0; ++n) {
    const auto at = start + std::chrono::duration_cast<SteadyClock::duration>(interval * n);
    if (at >= deadline) break;
    std::this_thread::sleep_until(at);
    if (stopRequested != 0) break;
    const auto i = static_cast<std::size_t>(n) % samples.x.size();
    const Answer a = client.post(target, requestBody(n, samples.x[i]));
    const bool right = a.code == 200 && a.predicted && *a.predicted == samples.y[i];
    ++sent;
    ok += a.code == 200 ? 1 : 0;
    errors += a.code != 200 && a.code != 0 ? 1 : 0;
    noAnswer += a.code == 0 ? 1 : 0;
    correct += right ? 1 : 0;
    ++byVersionCode[{a.version, a.code}];
    const long sec = unixSecond();
    auto& t = ticks[{sec, a.code, a.version}];
    ++t.requests;
    t.correct += right ? 1 : 0;
    flush(ticks, sec);
  }
  flush(ticks, unixSecond() + 1);
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::cout << "iris-loadgen: sent=" << sent << " ok=" << ok << " errors=" << errors
            << " no_answer=" << noAnswer << " correct=" << correct << " seconds=" << seconds
            << " by_version_code=";
  bool first = true;
  for (const auto& [k, v] : byVersionCode) {
    std::cout << (first ? "" : ",") << k.first << "/" << k.second << ":" << v;
    first = false;
  }
  std::cout << std::endl;
  return 0;
}
