// iris-server: the example model server. Settings come from the environment (what the
// operator's Deployment and the image set) and flags (which win):
//
//   env              flag            default
//   MODEL_NAME       --model         iris
//   MODEL_VERSION    --version       the profile
//   POD_NAMESPACE    --namespace     default
//   IRIS_PROFILE     --profile       v1            (v1, v2, v3 broken, v4 quietly wrong)
//   IRIS_MODEL_FILE  --model-file    the installed iris_models.json
//   PORT             --port          8080          (0: the kernel chooses)
//                    --address       0.0.0.0
//   IRIS_ERROR_SHARE --error-share   the profile's (v3: 0.3)
//   IRIS_SLOW_SHARE  --slow-share    the profile's (0)
//   IRIS_SLOW_MS     --slow-ms       1500
//   IRIS_SEED        --seed          1
//                    --threads       2
//                    --max-body      65536
//                    --read-timeout-ms 10000
//                    --max-connections 256
//   IRIS_DRAIN_MS    --drain-ms      0             (on SIGTERM: readiness 503, still serving
//                                                  this long; the images set 3000)
//
// Prints "iris-server: listening on ADDRESS:PORT ..." on stdout once it accepts requests.
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>

#include "metrics.h"
#include "model.h"
#include "server.h"

#ifndef IRIS_DEFAULT_MODEL_FILE
#define IRIS_DEFAULT_MODEL_FILE "iris_models.json"
#endif

namespace {

const std::map<std::string, std::string> kEnvOf = {
    {"model", "MODEL_NAME"},
    {"version", "MODEL_VERSION"},
    {"namespace", "POD_NAMESPACE"},
    {"profile", "IRIS_PROFILE"},
    {"model-file", "IRIS_MODEL_FILE"},
    {"port", "PORT"},
    {"address", ""},
    {"error-share", "IRIS_ERROR_SHARE"},
    {"slow-share", "IRIS_SLOW_SHARE"},
    {"slow-ms", "IRIS_SLOW_MS"},
    {"seed", "IRIS_SEED"},
    {"threads", ""},
    {"max-body", ""},
    {"max-connections", ""},
    {"read-timeout-ms", ""},
    {"drain-ms", "IRIS_DRAIN_MS"},
};

std::map<std::string, std::string> settings(int argc, char** argv) {
  std::map<std::string, std::string> s;
  for (const auto& [name, env] : kEnvOf) {
    const char* v = env.empty() ? nullptr : std::getenv(env.c_str());
    if (v != nullptr && *v != '\0') s[name] = v;
  }
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") throw std::invalid_argument("help");
    if (a.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument " + a);
    a = a.substr(2);
    std::string value;
    if (const auto eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw std::invalid_argument("--" + a + " needs a value");
    }
    if (!kEnvOf.contains(a)) throw std::invalid_argument("unknown flag --" + a);
    s[a] = value;
  }
  return s;
}

std::string get(const std::map<std::string, std::string>& s, const std::string& k,
                const std::string& def) {
  const auto it = s.find(k);
  return it == s.end() ? def : it->second;
}

template <typename T>
T number(const std::map<std::string, std::string>& s, const std::string& k, T def) {
  const auto it = s.find(k);
  if (it == s.end()) return def;
  T v{};
  const auto& str = it->second;
  const auto [p, ec] = std::from_chars(str.data(), str.data() + str.size(), v);
  if (ec != std::errc() || p != str.data() + str.size()) {
    throw std::invalid_argument("--" + k + ": not a number: " + str);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto s = settings(argc, argv);
    iris::ServeConfig config = iris::profileConfig(get(s, "profile", "v1"));
    config.errorShare = number(s, "error-share", config.errorShare);
    config.slowShare = number(s, "slow-share", config.slowShare);
    config.slowDelay = std::chrono::milliseconds(number(s, "slow-ms", 1500));
    config.seed = number<std::uint64_t>(s, "seed", 1);
    if (config.errorShare < 0 || config.errorShare > 1 || config.slowShare < 0 ||
        config.slowShare > 1) {
      throw std::invalid_argument("--error-share and --slow-share must be within [0, 1]");
    }

    const iris::ModelFile file =
        iris::ModelFile::load(get(s, "model-file", IRIS_DEFAULT_MODEL_FILE));
    auto model = iris::makeServedModel(config, file);
    const iris::Identity id{get(s, "namespace", "default"), get(s, "model", "iris"),
                            get(s, "version", config.profile)};
    iris::Metrics metrics(id, config.profile, model->algorithm(), file.classes);
    iris::Handler handler(id, *model, metrics);

    iris::ServerOptions options;
    options.address = get(s, "address", options.address);
    options.port = number<std::uint16_t>(s, "port", options.port);
    options.threads = number(s, "threads", options.threads);
    options.bodyLimit = number(s, "max-body", options.bodyLimit);
    options.maxConnections = number(s, "max-connections", options.maxConnections);
    options.readTimeout =
        std::chrono::milliseconds(number<long>(s, "read-timeout-ms", options.readTimeout.count()));
    options.drain = std::chrono::milliseconds(number<long>(s, "drain-ms", 0));
    options.onDrain = [&handler, &options] {
      handler.drain();
      std::cout << "iris-server: SIGTERM: not ready, serving " << options.drain.count()
                << " ms more" << std::endl;
    };
    if (options.drain.count() < 0) throw std::invalid_argument("--drain-ms must be >= 0");
    if (options.threads < 1 || options.threads > 64) {
      throw std::invalid_argument("--threads must be within [1, 64]");
    }
    iris::Server server(options, handler);
    std::cout << "iris-server: listening on " << options.address << ":" << server.port()
              << " (model " << id.model << ", version " << id.version << ", profile "
              << config.profile << ", " << model->algorithm() << ", error share "
              << config.errorShare << ", slow share " << config.slowShare << ")" << std::endl;
    server.run();
    std::cout << "iris-server: stopped" << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "iris-server: " << e.what() << "\n"
              << "usage: iris-server [--profile v1|v2|v3|v4] [--model-file F] [--port P] "
                 "[--address A] [--model M] [--version V] [--namespace NS] [--error-share X] "
                 "[--slow-share X] [--slow-ms MS] [--seed N] [--threads N] [--max-body B] "
                 "[--read-timeout-ms MS] [--max-connections N]\n";
    return 2;
  }
}
