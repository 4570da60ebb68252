// The mlmodel-operator binary: flags, then the controller (server/app.h).
#include <iostream>
#include <string>
#include <vector>

#include "server/app.h"
#include "server/options.h"
#include "server/version.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto options = mlmodel::server::parseOptions(args);
  if (!options) {
    std::cerr << "mlmodel-operator: " << options.error().message << "\n";
    return 2;
  }
  if (options->help) {
    std::cout << mlmodel::server::usage();
    return 0;
  }
  if (options->version) {
    std::cout << "mlmodel-operator " << mlmodel::server::version() << "\n";
    return 0;
  }
  return mlmodel::server::runOperator(options.value());
}
