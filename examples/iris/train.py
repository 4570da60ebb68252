#!/usr/bin/env python3
"""Trains the iris example's models and writes their parameters to one JSON file.

The data is the iris data set that ships inside scikit-learn (sklearn/datasets/data/
iris.csv): nothing is downloaded. A stratified train/test split (seeded) is made once;
every model is trained on the train part and scored on the held-out part, and the file
records the split, each model's parameters, its held-out accuracy and its predictions on
the held-out samples (the C++ server's unit tests check that it predicts the same).

  train.py --out iris_models.json [--seed 42] [--test-size 0.3]

Models:
  logreg  multinomial logistic regression on standardised features (served as v1)
  tree    a decision tree of depth 3 (served as v2)
"""
import argparse
import json
import os
import sys
import time

try:
    import numpy as np
    import sklearn
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier
except ImportError as e:  # pragma: no cover - the message is the point
    sys.exit(
        f"train.py: {e}.\n"
        "The iris example trains its models at build time with scikit-learn. Install it with\n"
        "  hack/install-deps.sh          (Debian's python3-sklearn)\n"
        "or configure with -DIRIS_PYTHON=/path/to/a/python/that/has/sklearn")


def logreg(x_train, y_train, x_test):
    scaler = StandardScaler().fit(x_train)
    clf = LogisticRegression(C=1.0, max_iter=1000)
    clf.fit(scaler.transform(x_train), y_train)
    pred = clf.predict(scaler.transform(x_test))
    params = {
        "type": "logistic_regression",
        "mean": scaler.mean_.tolist(),
        "scale": scaler.scale_.tolist(),
        "coef": clf.coef_.tolist(),
        "intercept": clf.intercept_.tolist(),
    }
    return params, pred


def tree(x_train, y_train, x_test, seed):
    clf = DecisionTreeClassifier(max_depth=3, random_state=seed).fit(x_train, y_train)
    t = clf.tree_
    nodes = []
    for i in range(t.node_count):
        leaf = t.children_left[i] == -1
        counts = t.value[i][0]
        nodes.append({
            "feature": -1 if leaf else int(t.feature[i]),
            "threshold": 0.0 if leaf else float(t.threshold[i]),
            "left": int(t.children_left[i]),
            "right": int(t.children_right[i]),
            "proba": (counts / counts.sum()).tolist(),
        })
    params = {"type": "decision_tree", "max_depth": 3, "nodes": nodes}
    return params, clf.predict(x_test)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--test-size", type=float, default=0.3)
    args = p.parse_args()

    iris = load_iris()
    x, y = iris.data, iris.target
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=args.test_size, random_state=args.seed, stratify=y)

    models = {}
    for name, fit in (("logreg", lambda: logreg(x_train, y_train, x_test)),
                      ("tree", lambda: tree(x_train, y_train, x_test, args.seed))):
        start = time.perf_counter()
        params, pred = fit()
        params["train_seconds"] = round(time.perf_counter() - start, 6)
        params["test_accuracy"] = float(np.mean(pred == y_test))
        params["test_predictions"] = pred.astype(int).tolist()
        models[name] = params
        print(f"train.py: {name}: held-out accuracy {params['test_accuracy']:.4f} "
              f"({len(y_test)} samples), trained in {params['train_seconds'] * 1000:.1f} ms")

    out = {
        "dataset": {
            "source": "sklearn.datasets.load_iris (iris.csv inside the scikit-learn package)",
            "sklearn_version": sklearn.__version__,
            "classes": [str(c) for c in iris.target_names],
            "features": list(iris.feature_names),
            "seed": args.seed,
            "test_size": args.test_size,
            "train": {"x": x_train.tolist(), "y": y_train.astype(int).tolist()},
            "test": {"x": x_test.tolist(), "y": y_test.astype(int).tolist()},
        },
        "models": models,
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
