#include "kserve.h"

#include <cpprest/json.h>

#include <cmath>

namespace iris::kserve {
namespace {

using web::json::value;

// Appends the numbers of `v` (a number, or arrays of them nested up to depth 2) to `out`.
bool flatten(const value& v, std::vector<double>& out, int depth, std::size_t cap) {
  if (v.is_number()) {
    if (out.size() >= cap) return false;
    out.push_back(v.as_double());
    return std::isfinite(out.back());
  }
  if (!v.is_array() || depth > 1) return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!flatten(v.at(i), out, depth + 1, cap)) return false;
  }
  return true;
}

value numberArray(const std::vector<double>& xs) {
  value a = value::array(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) a[i] = value::number(xs[i]);
  return a;
}

value tensorSpec(const std::string& name, const std::string& datatype, std::vector<int> shape) {
  value t = value::object();
  t["name"] = value::string(name);
  t["datatype"] = value::string(datatype);
  value s = value::array(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) s[i] = value::number(shape[i]);
  t["shape"] = s;
  return t;
}

std::optional<InferRequest> fail(std::string& error, std::string message) {
  error = std::move(message);
  return std::nullopt;
}

}  // namespace

std::optional<InferRequest> parseInferRequest(const std::string& body, std::string& error) {
  std::error_code ec;
  const value root = value::parse(body, ec);
  if (ec) return fail(error, "request body is not JSON: " + ec.message());
  if (!root.is_object()) return fail(error, "request body must be a JSON object");
  InferRequest req;
  if (root.has_field("id")) {
    if (!root.at("id").is_string()) return fail(error, "id must be a string");
    req.id = root.at("id").as_string();
  }
  if (!root.has_field("inputs") || !root.at("inputs").is_array() || root.at("inputs").size() != 1) {
    return fail(error, "inputs must be an array of exactly one tensor");
  }
  const value& in = root.at("inputs").at(0);
  if (!in.is_object()) return fail(error, "inputs[0] must be an object");
  if (!in.has_field("datatype") || !in.at("datatype").is_string()) {
    return fail(error, "inputs[0].datatype missing");
  }
  const std::string dt = in.at("datatype").as_string();
  if (dt != "FP32" && dt != "FP64") return fail(error, "inputs[0].datatype must be FP32 or FP64");
  if (!in.has_field("shape") || !in.at("shape").is_array() || in.at("shape").size() != 2 ||
      !in.at("shape").at(0).is_integer() || !in.at("shape").at(1).is_integer()) {
    return fail(error, "inputs[0].shape must be [N, 4]");
  }
  const int rows = in.at("shape").at(0).as_integer();
  if (in.at("shape").at(1).as_integer() != static_cast<int>(kFeatures) || rows < 1) {
    return fail(error, "inputs[0].shape must be [N, 4] with N >= 1");
  }
  if (static_cast<std::size_t>(rows) > kMaxRows) {
    return fail(error, "at most " + std::to_string(kMaxRows) + " rows per request");
  }
  if (!in.has_field("data")) return fail(error, "inputs[0].data missing");
  std::vector<double> data;
  const std::size_t want = static_cast<std::size_t>(rows) * kFeatures;
  if (!flatten(in.at("data"), data, 0, want) || data.size() != want) {
    return fail(error, "inputs[0].data must hold N*4 finite numbers");
  }
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) {
    Features x{};
    for (std::size_t f = 0; f < kFeatures; ++f) x[f] = data[r * kFeatures + f];
    req.rows.push_back(x);
  }
  return req;
}

std::string inferResponse(const std::string& model, const std::string& version,
                          const std::string& id, const std::vector<Prediction>& predictions) {
  value out = value::object();
  out["model_name"] = value::string(model);
  out["model_version"] = value::string(version);
  if (!id.empty()) out["id"] = value::string(id);
  std::vector<double> classes, proba;
  for (const auto& p : predictions) {
    classes.push_back(p.cls);
    proba.insert(proba.end(), p.proba.begin(), p.proba.end());
  }
  const int n = static_cast<int>(predictions.size());
  value predict = tensorSpec("predict", "INT64", {n});
  predict["data"] = numberArray(classes);
  value probaT = tensorSpec("predict_proba", "FP32", {n, static_cast<int>(kClasses)});
  probaT["data"] = numberArray(proba);
  value outputs = value::array(2);
  outputs[0] = predict;
  outputs[1] = probaT;
  out["outputs"] = outputs;
  return out.serialize();
}

std::string modelMetadata(const std::string& model, const std::string& version,
                          const std::string& algorithm) {
  value out = value::object();
  out["name"] = value::string(model);
  value versions = value::array(1);
  versions[0] = value::string(version);
  out["versions"] = versions;
  out["platform"] = value::string("mlmodel-iris-cpp/" + algorithm);
  value inputs = value::array(1);
  inputs[0] = tensorSpec("input-0", "FP32", {-1, static_cast<int>(kFeatures)});
  out["inputs"] = inputs;
  value outputs = value::array(2);
  outputs[0] = tensorSpec("predict", "INT64", {-1});
  outputs[1] = tensorSpec("predict_proba", "FP32", {-1, static_cast<int>(kClasses)});
  out["outputs"] = outputs;
  return out.serialize();
}

std::string serverMetadata() {
  value out = value::object();
  out["name"] = value::string("mlmodel-iris-server");
  out["version"] = value::string("1");
  out["extensions"] = value::array();
  return out.serialize();
}

std::string errorBody(const std::string& message) {
  value out = value::object();
  out["error"] = value::string(message);
  return out.serialize();
}

}  // namespace iris::kserve
