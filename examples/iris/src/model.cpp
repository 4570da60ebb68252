#include "model.h"

#include <cpprest/json.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

namespace iris {
namespace {

using web::json::value;

Probabilities softmax(const Probabilities& z) {
  const double m = *std::max_element(z.begin(), z.end());
  Probabilities p{};
  double sum = 0;
  for (std::size_t k = 0; k < kClasses; ++k) sum += p[k] = std::exp(z[k] - m);
  for (auto& v : p) v /= sum;
  return p;
}

int argmax(const Probabilities& p) {
  return static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
}

class LogisticRegression : public Classifier {
 public:
  explicit LogisticRegression(const LogisticRegressionParams& p) : p_(p) {}
  Prediction predict(const Features& x) const override {
    Probabilities z = p_.intercept;
    for (std::size_t k = 0; k < kClasses; ++k) {
      for (std::size_t f = 0; f < kFeatures; ++f) {
        z[k] += p_.coef[k][f] * (x[f] - p_.mean[f]) / p_.scale[f];
      }
    }
    Prediction out;
    out.proba = softmax(z);
    out.cls = argmax(out.proba);
    return out;
  }
  std::string algorithm() const override { return "logistic_regression"; }

 private:
  LogisticRegressionParams p_;
};

class DecisionTree : public Classifier {
 public:
  explicit DecisionTree(std::vector<TreeNode> nodes) : nodes_(std::move(nodes)) {}
  Prediction predict(const Features& x) const override {
    std::size_t i = 0;
    // Bounded by the node count: validated as a tree, but never trust a loop on data.
    for (std::size_t steps = 0; nodes_[i].feature >= 0 && steps < nodes_.size(); ++steps) {
      const TreeNode& n = nodes_[i];
      // scikit-learn sends x <= threshold left.
      i = static_cast<std::size_t>(x[static_cast<std::size_t>(n.feature)] <= n.threshold ? n.left
                                                                                         : n.right);
    }
    Prediction out;
    out.proba = nodes_[i].proba;
    out.cls = argmax(out.proba);
    return out;
  }
  std::string algorithm() const override { return "decision_tree"; }

 private:
  std::vector<TreeNode> nodes_;
};

class FeaturesDropped : public Classifier {
 public:
  explicit FeaturesDropped(std::unique_ptr<Classifier> inner) : inner_(std::move(inner)) {}
  Prediction predict(const Features&) const override { return inner_->predict(Features{}); }
  std::string algorithm() const override { return inner_->algorithm(); }

 private:
  std::unique_ptr<Classifier> inner_;
};

// JSON access that names the field it could not find.
const value& field(const value& v, const std::string& name, const std::string& where) {
  if (!v.is_object() || !v.has_field(name)) {
    throw std::runtime_error("model file: " + where + "." + name + " missing");
  }
  return v.as_object().at(name);
}

template <std::size_t N>
std::array<double, N> fixedArray(const value& v, const std::string& where) {
  if (!v.is_array() || v.size() != N) {
    throw std::runtime_error("model file: " + where + " is not an array of " + std::to_string(N));
  }
  std::array<double, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    if (!v.at(i).is_number()) throw std::runtime_error("model file: " + where + " not a number");
    out[i] = v.at(i).as_double();
  }
  return out;
}

std::vector<int> intArray(const value& v, const std::string& where) {
  if (!v.is_array()) throw std::runtime_error("model file: " + where + " is not an array");
  std::vector<int> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v.at(i).is_integer()) throw std::runtime_error("model file: " + where + " not an int");
    out.push_back(v.at(i).as_integer());
  }
  return out;
}

Samples samples(const value& v, const std::string& where) {
  Samples s;
  const value& x = field(v, "x", where);
  if (!x.is_array()) throw std::runtime_error("model file: " + where + ".x is not an array");
  for (std::size_t i = 0; i < x.size(); ++i) s.x.push_back(fixedArray<kFeatures>(x.at(i), where));
  s.y = intArray(field(v, "y", where), where + ".y");
  if (s.x.size() != s.y.size()) throw std::runtime_error("model file: " + where + " x/y sizes");
  return s;
}

std::vector<TreeNode> treeNodes(const value& v) {
  if (!v.is_array()) throw std::runtime_error("model file: models.tree.nodes is not an array");
  std::vector<TreeNode> nodes;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const value& n = v.at(i);
    const std::string where = "models.tree.nodes[" + std::to_string(i) + "]";
    TreeNode t;
    t.feature = field(n, "feature", where).as_integer();
    t.threshold = field(n, "threshold", where).as_double();
    t.left = field(n, "left", where).as_integer();
    t.right = field(n, "right", where).as_integer();
    t.proba = fixedArray<kClasses>(field(n, "proba", where), where + ".proba");
    nodes.push_back(t);
  }
  return nodes;
}

// splitmix64: a fixed, portable mix of (seed, n) into 64 well-spread bits.
std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::unique_ptr<Classifier> makeLogisticRegression(const LogisticRegressionParams& p) {
  for (double s : p.scale) {
    if (!(s > 0)) throw std::invalid_argument("logistic regression: scale must be > 0");
  }
  return std::make_unique<LogisticRegression>(p);
}

std::unique_ptr<Classifier> makeDecisionTree(std::vector<TreeNode> nodes) {
  if (nodes.empty()) throw std::invalid_argument("decision tree: no nodes");
  const int n = static_cast<int>(nodes.size());
  for (int i = 0; i < n; ++i) {
    const TreeNode& t = nodes[static_cast<std::size_t>(i)];
    if (t.feature < 0) continue;
    // Children come after their parent in scikit-learn's depth-first order: no cycles.
    if (t.feature >= static_cast<int>(kFeatures) || t.left <= i || t.right <= i || t.left >= n ||
        t.right >= n) {
      throw std::invalid_argument("decision tree: bad node " + std::to_string(i));
    }
  }
  return std::make_unique<DecisionTree>(std::move(nodes));
}

std::unique_ptr<Classifier> makeFeaturesDropped(std::unique_ptr<Classifier> inner) {
  return std::make_unique<FeaturesDropped>(std::move(inner));
}

ModelFile ModelFile::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("model file: cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str());
}

ModelFile ModelFile::parse(const std::string& json) {
  std::error_code ec;
  const value root = value::parse(json, ec);
  if (ec) throw std::runtime_error("model file: not JSON: " + ec.message());
  ModelFile f;
  const value& ds = field(root, "dataset", "");
  const value& classes = field(ds, "classes", "dataset");
  if (!classes.is_array() || classes.size() != kClasses) {
    throw std::runtime_error("model file: dataset.classes must list 3 classes");
  }
  for (std::size_t i = 0; i < kClasses; ++i) f.classes.push_back(classes.at(i).as_string());
  f.sklearnVersion = field(ds, "sklearn_version", "dataset").as_string();
  f.train = samples(field(ds, "train", "dataset"), "dataset.train");
  f.test = samples(field(ds, "test", "dataset"), "dataset.test");

  const value& models = field(root, "models", "");
  const value& lr = field(models, "logreg", "models");
  f.logreg.mean = fixedArray<kFeatures>(field(lr, "mean", "models.logreg"), "logreg.mean");
  f.logreg.scale = fixedArray<kFeatures>(field(lr, "scale", "models.logreg"), "logreg.scale");
  f.logreg.intercept =
      fixedArray<kClasses>(field(lr, "intercept", "models.logreg"), "logreg.intercept");
  const value& coef = field(lr, "coef", "models.logreg");
  if (!coef.is_array() || coef.size() != kClasses) {
    throw std::runtime_error("model file: models.logreg.coef must have 3 rows");
  }
  for (std::size_t k = 0; k < kClasses; ++k) {
    f.logreg.coef[k] = fixedArray<kFeatures>(coef.at(k), "logreg.coef");
  }
  f.logregTestAccuracy = field(lr, "test_accuracy", "models.logreg").as_double();
  f.logregTestPredictions = intArray(field(lr, "test_predictions", "models.logreg"), "logreg");

  const value& tree = field(models, "tree", "models");
  f.tree = treeNodes(field(tree, "nodes", "models.tree"));
  f.treeTestAccuracy = field(tree, "test_accuracy", "models.tree").as_double();
  f.treeTestPredictions = intArray(field(tree, "test_predictions", "models.tree"), "tree");
  return f;
}

ServeConfig profileConfig(const std::string& profile) {
  ServeConfig c;
  c.profile = profile;
  if (profile == "v1") {
    c.algorithm = "logreg";
  } else if (profile == "v2") {
    c.algorithm = "tree";
  } else if (profile == "v3") {
    c.algorithm = "logreg";
    c.errorShare = 0.3;
  } else if (profile == "v4") {
    c.algorithm = "logreg";
    c.featuresDropped = true;
  } else {
    throw std::invalid_argument("unknown profile '" + profile + "' (v1, v2, v3 or v4)");
  }
  return c;
}

FaultPlan::FaultPlan(double errorShare, double slowShare, std::uint64_t seed)
    : errorShare_(std::clamp(errorShare, 0.0, 1.0)),
      slowShare_(std::clamp(slowShare, 0.0, 1.0)),
      seed_(seed) {}

double FaultPlan::uniform(std::uint64_t n, std::uint64_t stream) const {
  const std::uint64_t bits = mix(mix(seed_ ^ (stream * 0x632be59bd9b4e019ULL)) + n);
  return static_cast<double>(bits >> 11) * 0x1.0p-53;  // [0, 1)
}

bool FaultPlan::fails(std::uint64_t n) const { return uniform(n, 1) < errorShare_; }
bool FaultPlan::slow(std::uint64_t n) const { return uniform(n, 2) < slowShare_; }

ServedModel::ServedModel(ServeConfig config, std::unique_ptr<Classifier> classifier)
    : config_(std::move(config)),
      classifier_(std::move(classifier)),
      faults_(config_.errorShare, config_.slowShare, config_.seed) {}

Outcome ServedModel::infer(const std::vector<Features>& rows) {
  const std::uint64_t n = sequence_.fetch_add(1, std::memory_order_relaxed);
  Outcome out;
  if (faults_.slow(n)) out.delay = config_.slowDelay;
  if (faults_.fails(n)) {
    out.failed = true;
    out.error = "model runtime failure (profile " + config_.profile + ", request " +
                std::to_string(n) + ")";
    return out;
  }
  out.predictions.reserve(rows.size());
  for (const auto& x : rows) out.predictions.push_back(classifier_->predict(x));
  return out;
}

std::unique_ptr<ServedModel> makeServedModel(const ServeConfig& config, const ModelFile& file) {
  std::unique_ptr<Classifier> c;
  if (config.algorithm == "logreg") {
    c = makeLogisticRegression(file.logreg);
  } else if (config.algorithm == "tree") {
    c = makeDecisionTree(file.tree);
  } else {
    throw std::invalid_argument("unknown algorithm '" + config.algorithm + "' (logreg or tree)");
  }
  if (config.featuresDropped) c = makeFeaturesDropped(std::move(c));
  return std::make_unique<ServedModel>(config, std::move(c));
}

}  // namespace iris
