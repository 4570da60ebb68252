#pragma once
// The KServe V2 (Open Inference Protocol) REST bodies the iris server reads and writes.
//
//   request:  {"id": "r1", "inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP32",
//              "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]}
//             (data flat in row-major order, or nested rows)
//   response: {"model_name": "iris", "model_version": "1.0.0", "id": "r1", "outputs": [
//               {"name": "predict", "shape": [2], "datatype": "INT64", "data": [0, 2]},
//               {"name": "predict_proba", "shape": [2, 3], "datatype": "FP32", "data": [...]}]}
//   error:    {"error": "message"}

#include <optional>
#include <string>
#include <vector>

#include "model.h"

namespace iris::kserve {

inline constexpr std::size_t kMaxRows = 256;

struct InferRequest {
  std::string id;
  std::vector<Features> rows;
};

// Parses an inference request; on failure returns nothing and sets `error` to a message
// for the client (answered 400).
std::optional<InferRequest> parseInferRequest(const std::string& body, std::string& error);

std::string inferResponse(const std::string& model, const std::string& version,
                          const std::string& id, const std::vector<Prediction>& predictions);
std::string modelMetadata(const std::string& model, const std::string& version,
                          const std::string& algorithm);
std::string serverMetadata();
std::string errorBody(const std::string& message);

}  // namespace iris::kserve
