#pragma once
// The iris example's models: parameters trained at build time by train.py (scikit-learn),
// evaluated here in plain C++.
//
//   iris::ModelFile file = iris::ModelFile::load("iris_models.json");
//   auto served = iris::makeServedModel(iris::profileConfig("v1"), file);
//   iris::Outcome o = served->infer({{5.1f, 3.5f, 1.4f, 0.2f}});   // o.predictions[0].cls == 0
//
// Profiles (the versions the images run):
//   v1  logistic regression
//   v2  decision tree (depth 3)
//   v3  logistic regression behind a broken runtime: a seeded share of requests fail
//       (errorShare) and/or are answered late (slowShare, slowMs)
//   v4  logistic regression fed by a broken feature pipeline: every feature arrives as 0,
//       so it answers every request with 200 and always predicts the same class

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace iris {

inline constexpr std::size_t kFeatures = 4;
inline constexpr std::size_t kClasses = 3;
using Features = std::array<double, kFeatures>;
using Probabilities = std::array<double, kClasses>;

struct Prediction {
  int cls = 0;
  Probabilities proba{};
  double confidence() const { return proba[static_cast<std::size_t>(cls)]; }
};

// A classifier: features in, class and class probabilities out. Thread-safe (const).
class Classifier {
 public:
  virtual ~Classifier() = default;
  virtual Prediction predict(const Features& x) const = 0;
  virtual std::string algorithm() const = 0;
};

struct LogisticRegressionParams {
  Features mean{}, scale{};
  std::array<Features, kClasses> coef{};
  Probabilities intercept{};
};
std::unique_ptr<Classifier> makeLogisticRegression(const LogisticRegressionParams& p);

struct TreeNode {
  int feature = -1;  // -1: a leaf
  double threshold = 0;
  int left = -1, right = -1;
  Probabilities proba{};
};
// Throws std::invalid_argument when the nodes do not form a tree rooted at 0.
std::unique_ptr<Classifier> makeDecisionTree(std::vector<TreeNode> nodes);

// Wraps a classifier behind a feature pipeline that loses every feature (they reach the
// model as 0): the quietly wrong model.
std::unique_ptr<Classifier> makeFeaturesDropped(std::unique_ptr<Classifier> inner);

// A labelled sample set (the held-out split, or the train split).
struct Samples {
  std::vector<Features> x;
  std::vector<int> y;
};

// What train.py wrote. Throws std::runtime_error naming what is missing or malformed.
struct ModelFile {
  std::vector<std::string> classes;
  Samples train, test;
  LogisticRegressionParams logreg;
  std::vector<TreeNode> tree;
  std::vector<int> logregTestPredictions, treeTestPredictions;
  double logregTestAccuracy = 0, treeTestAccuracy = 0;
  std::string sklearnVersion;

  static ModelFile load(const std::string& path);
  static ModelFile parse(const std::string& json);
};

// How a served version behaves. profileConfig() gives the defaults of v1..v4; the env and
// flags of main.cpp may change the fault fields.
struct ServeConfig {
  std::string profile = "v1";
  std::string algorithm = "logreg";  // logreg | tree
  bool featuresDropped = false;
  double errorShare = 0;  // share of requests answered 500
  double slowShare = 0;   // share of requests answered after slowMs
  std::chrono::milliseconds slowDelay{0};
  std::uint64_t seed = 1;
};
// Throws std::invalid_argument for an unknown profile.
ServeConfig profileConfig(const std::string& profile);

// The result of one inference request.
struct Outcome {
  bool failed = false;  // the model runtime failed: answer 500
  std::string error;
  std::chrono::milliseconds delay{0};  // answer no sooner than this
  std::vector<Prediction> predictions;
};

// Decides, deterministically from a seed and a request's sequence number, whether it
// fails and whether it is slow: request n of a given seed always gets the same fate.
class FaultPlan {
 public:
  FaultPlan(double errorShare, double slowShare, std::uint64_t seed);
  bool fails(std::uint64_t n) const;
  bool slow(std::uint64_t n) const;

 private:
  double uniform(std::uint64_t n, std::uint64_t stream) const;
  double errorShare_, slowShare_;
  std::uint64_t seed_;
};

// The model as the server serves it: a classifier plus the version's runtime faults.
class ServedModel {
 public:
  ServedModel(ServeConfig config, std::unique_ptr<Classifier> classifier);
  // Thread-safe; each call is one request (its sequence number drives the fault plan).
  Outcome infer(const std::vector<Features>& rows);
  const ServeConfig& config() const { return config_; }
  std::string algorithm() const { return classifier_->algorithm(); }

 private:
  ServeConfig config_;
  std::unique_ptr<Classifier> classifier_;
  FaultPlan faults_;
  std::atomic<std::uint64_t> sequence_{0};
};

std::unique_ptr<ServedModel> makeServedModel(const ServeConfig& config, const ModelFile& file);

}  // namespace iris
