#!/usr/bin/env bash
# The GitOps walk-through of the README, as a script: a local git repository holds a
# kustomization with an MLModel and the MLModel transformer configuration
# (manifests/components/mlmodel/mlmodel-transform.yaml, copied in as a user would); a
# commit bumps the version in `images:` with `kustomize edit set image` (what Argo CD Image
# Updater writes too); the sync (kubectl apply -k, as Argo CD or Flux would) starts a
# canary; the operator promotes it; Git and the cluster agree afterwards (kubectl diff is
# empty: the operator never writes the spec).
# Usage: walkthrough.sh PATH-TO-mlmodel-operator PATH-TO-kubectl-mlmodel
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
PLUGIN=$(realpath "${2:?kubectl-mlmodel binary}")
. "$(dirname "$0")/../e2e/lib.sh"
command -v kustomize >/dev/null ||
  fail "kustomize is not on PATH (hack/build-tools.sh kustomize; eval \"\$(hack/cluster.sh env)\")"

install_crd
e2e_namespace gitops
repo="e2e/gitops-$RANDOM"
push_images "$repo" 1.0.0 2.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0; do mm_set --model fraud --namespace "$ns" --version "$v"; done
start_operator

echo "-- a Git repository with the model (version 1.0.0)"
git_dir=$E2E_TMP/models-repo
mkdir -p "$git_dir/fraud"
cd "$git_dir"
git init -q -b main .
git config user.email ci@example.com && git config user.name CI
cp "$REPO_ROOT/manifests/components/mlmodel/mlmodel-transform.yaml" fraud/
cat >fraud/kustomization.yaml <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $ns
resources: [mlmodel.yaml]
configurations: [mlmodel-transform.yaml]
YAML
model_yaml fraud 1.0.0 >fraud/mlmodel.yaml
git add -A && git commit -qm "fraud 1.0.0"

sync() { kubectl apply -k "$git_dir/fraud" >/dev/null; }  # what Argo CD or Flux does
sync
"$PLUGIN" wait fraud -n "$ns" --timeout 60s >/dev/null 2>&1 || fail_with "1.0.0 not Ready after the first sync"

echo "-- a commit bumps the image (kustomize edit set image); the sync starts a canary; the operator promotes it"
(cd fraud && kustomize edit set image "$REGISTRY/$repo:2.0.0")
git commit -qam "fraud 2.0.0"
# The commit touches images: only: spec.image in Git still says 1.0.0.
[ "$(git diff --name-only HEAD~1 HEAD)" = fraud/kustomization.yaml ] ||
  fail "the bump changed more than fraud/kustomization.yaml: $(git show --stat HEAD)"
sync
poll 30 has_canary fraud || fail_with "the sync did not start a canary"
"$PLUGIN" wait fraud -n "$ns" --timeout 90s >"$E2E_TMP/wait" 2>&1 || fail_with "2.0.0: $(cat "$E2E_TMP/wait")"
stable_image_is fraud 2.0.0 || fail_with "2.0.0 not running by digest"
[ "$(git log --oneline | wc -l)" = 2 ] || fail "unexpected history"

echo "-- history says the sync (kubectl apply -k) changed spec.image, and why"
[ "$(jp mlmodel/fraud '{.status.history[-1:].change.by}')" = kubectl-client-side-apply ] ||
  fail_with "history does not name the sync's field manager: $(jp mlmodel/fraud '{.status.history[-1:].change}')"
[ "$(jp mlmodel/fraud '{.status.history[-1:].change.fields}')" = '["spec.image","spec.version"]' ] ||
  fail_with "history does not name the changed fields: $(jp mlmodel/fraud '{.status.history[-1:].change.fields}')"
"$PLUGIN" history fraud -n "$ns" | grep -E '^2 .*kubectl-client-side-apply +image,version' >/dev/null ||
  fail_with "the plugin's history does not show who and what: $("$PLUGIN" history fraud -n "$ns")"

echo "-- Git and the cluster agree: nothing to sync"
kubectl diff -k "$git_dir/fraud" >"$E2E_TMP/diff" 2>&1 || fail_with "the cluster drifted from Git: $(cat "$E2E_TMP/diff")"
"$PLUGIN" history fraud -n "$ns"
echo "ok: GitOps walk-through"
