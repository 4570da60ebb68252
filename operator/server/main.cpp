// The mlmodel-operator binary. For now it only knows its version: the controller it will
// run is built by the client-runtime and MLModel issues.
#include <iostream>
#include <string_view>

#include "server/version.h"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--version") {
      std::cout << "mlmodel-operator " << mlmodel::server::version() << "\n";
      return 0;
    }
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: mlmodel-operator [--version] [--help]\n";
      return 0;
    }
    std::cerr << "mlmodel-operator: unknown flag '" << arg << "' (see --help)\n";
    return 2;
  }
  std::cerr << "mlmodel-operator: the controller is not implemented yet\n";
  return 1;
}
