#!/usr/bin/env bash
# kustomize's `images:` reaches an MLModel's spec.image through the shipped configuration
# (manifests/components/mlmodel), as Argo CD Image Updater, Argo CD's kustomize.images,
# Flux's spec.images and `kustomize edit set image` rely on:
#  - rendered by the real `kubectl kustomize`: newTag, newName and digest each rewrite
#    spec.image, with the configuration as a Component or as a copied `configurations:`
#    file, from a base or to a base; an entry for another image changes nothing; without
#    the configuration the bump does nothing (the problem it solves); `replicas:` and the
#    name references (namePrefix, generator hashes) reach the MLModel; the GitOps sample
#    renders its bumped image and the API server accepts it;
#  - against the cluster with the operator running: each bump made by the real
#    `kustomize edit set image` (newTag, newName, digest) and applied with kubectl apply -k
#    starts a canary whose status names the new version and image (and the digest its tag
#    resolved to), and the canary is promoted.
# Usage: kustomize-images.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/../e2e/lib.sh"
command -v kustomize >/dev/null ||
  fail "kustomize is not on PATH (hack/build-tools.sh kustomize; eval \"\$(hack/cluster.sh env)\")"
COMPONENT=$REPO_ROOT/manifests/components/mlmodel

# field DIR PATH [KIND [NAME-PREFIX]]: a field (dotted path, list indexes allowed) of the
# one KIND (default MLModel; named NAME-PREFIX... when given) `kubectl kustomize DIR` renders.
field() {
  kubectl kustomize "$1" | /usr/bin/python3 -c '
import sys, yaml
kind, path, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
docs = [d for d in yaml.safe_load_all(sys.stdin)
        if d and d.get("kind") == kind and d["metadata"]["name"].startswith(prefix)]
if len(docs) != 1: sys.exit(f"rendered {len(docs)} {kind} objects named {prefix}..., not one")
v = docs[0]
for p in path.split("."):
    v = v[int(p)] if isinstance(v, list) else v.get(p)
    if v is None: sys.exit(f"{kind} has no {path}")
print(v)' "${3:-MLModel}" "$2" "${4:-}"
}
# expect WHAT GOT WANT
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }

# app DIR IMAGE HOW IMAGES-YAML: a kustomization holding one MLModel of IMAGE, with the
# configuration HOW (component | configurations | none) and the given `images:` block.
app() {
  local dir=$1 image=$2 how=$3 images=$4
  mkdir -p "$dir"
  cat >"$dir/mlmodel.yaml" <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: fraud}
spec:
  image: $image
  replicas: 2
YAML
  {
    echo "apiVersion: kustomize.config.k8s.io/v1beta1"
    echo "kind: Kustomization"
    echo "resources: [mlmodel.yaml]"
    case $how in
      component) echo "components: [$(realpath --relative-to="$dir" "$COMPONENT")]" ;;
      configurations)
        cp "$COMPONENT/mlmodel-transform.yaml" "$dir/"
        echo "configurations: [mlmodel-transform.yaml]" ;;
      none) ;;
    esac
    echo "$images"
  } >"$dir/kustomization.yaml"
}

echo "-- rendered: newTag, newName and digest each rewrite spec.image"
r=$E2E_TMP/render
img=reg.example:5000/models/fraud
dgst=sha256:$(printf 'model' | sha256sum | cut -d' ' -f1)
for how in component configurations; do
  app "$r/$how-tag" "$img:1.0.0" $how "images: [{name: $img, newTag: 2.0.0}]"
  expect "$how, newTag" "$(field "$r/$how-tag" spec.image)" "$img:2.0.0"
  app "$r/$how-name" "$img:1.0.0" $how "images: [{name: $img, newName: mirror.example/ml/fraud}]"
  expect "$how, newName" "$(field "$r/$how-name" spec.image)" "mirror.example/ml/fraud:1.0.0"
  app "$r/$how-digest" "$img:1.0.0" $how "images: [{name: $img, digest: $dgst}]"
  expect "$how, digest" "$(field "$r/$how-digest" spec.image)" "$img@$dgst"
  app "$r/$how-both" "$img:1.0.0" $how "images: [{name: $img, newName: mirror.example/ml/fraud, newTag: 3.0.0}]"
  expect "$how, newName and newTag" "$(field "$r/$how-both" spec.image)" "mirror.example/ml/fraud:3.0.0"
  app "$r/$how-other" "$img:1.0.0" $how "images: [{name: reg.example:5000/models/other, newTag: 9.0.0}]"
  expect "$how, an entry for another image" "$(field "$r/$how-other" spec.image)" "$img:1.0.0"
done
app "$r/none" "$img:1.0.0" none "images: [{name: $img, newTag: 2.0.0}]"
expect "without the configuration (kustomize alone ignores spec.image)" \
  "$(field "$r/none" spec.image)" "$img:1.0.0"

echo "-- rendered: an overlay's images: reaches a base's MLModel, whichever of them lists the component"
app "$r/base" "$img:1.0.0" none ""
mkdir -p "$r/overlay"
printf 'resources: [../base]\ncomponents: [%s]\nimages: [{name: %s, newTag: 2.0.0}]\n' \
  "$(realpath --relative-to="$r/overlay" "$COMPONENT")" "$img" >"$r/overlay/kustomization.yaml"
expect "component in the overlay" "$(field "$r/overlay" spec.image)" "$img:2.0.0"
app "$r/base2" "$img:1.0.0" component ""
mkdir -p "$r/overlay2"
printf 'resources: [../base2]\nimages: [{name: %s, newTag: 2.0.0}]\n' "$img" >"$r/overlay2/kustomization.yaml"
expect "component in the base" "$(field "$r/overlay2" spec.image)" "$img:2.0.0"

echo "-- rendered: replicas: and the name references reach the MLModel"
d=$r/names
app "$d" "$img:1.0.0" none ""
cat >>"$d/mlmodel.yaml" <<'YAML'
  serviceAccountName: model
  imagePullSecrets: [{name: pull}]
  env:
  - {name: KEY, valueFrom: {secretKeyRef: {name: creds, key: key}}}
  - {name: THRESHOLD, valueFrom: {configMapKeyRef: {name: settings, key: threshold}}}
YAML
printf 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: model}\n' >"$d/serviceaccount.yaml"
cat >"$d/kustomization.yaml" <<YAML
resources: [mlmodel.yaml, serviceaccount.yaml]
components: [$(realpath --relative-to="$d" "$COMPONENT")]
namePrefix: prod-
replicas: [{name: fraud, count: 5}]
secretGenerator:
- {name: pull, literals: [token=x]}
- {name: creds, literals: [key=x]}
configMapGenerator:
- {name: settings, literals: [threshold=0.5]}
YAML
expect "replicas:" "$(field "$d" spec.replicas)" 5
expect "serviceAccountName" "$(field "$d" spec.serviceAccountName)" "$(field "$d" metadata.name ServiceAccount)"
expect "imagePullSecrets" "$(field "$d" spec.imagePullSecrets.0.name)" "$(field "$d" metadata.name Secret prod-pull-)"
expect "env secretKeyRef" "$(field "$d" spec.env.0.valueFrom.secretKeyRef.name)" "$(field "$d" metadata.name Secret prod-creds-)"
expect "env configMapKeyRef" "$(field "$d" spec.env.1.valueFrom.configMapKeyRef.name)" "$(field "$d" metadata.name ConfigMap)"

install_crd
e2e_namespace kustomize
echo "-- the GitOps sample (manifests/samples/gitops) renders its bumped image and is accepted"
expect "sample" "$(field "$REPO_ROOT/manifests/samples/gitops" spec.image)" "registry.example:5000/models/fraud:1.1.0"
kubectl apply -k "$REPO_ROOT/manifests/samples/gitops" -n "$ns" --dry-run=server >"$E2E_TMP/sample" 2>&1 ||
  fail "the API server rejected the GitOps sample: $(cat "$E2E_TMP/sample")"

echo "-- on the cluster: each kustomize edit set image, applied, starts a canary"
repo="e2e/kustomize-$RANDOM"
mirror="$repo-mirror"
push_images "$repo" 1.0.0 2.0.0 4.0.0
mirror_digest=$("$REPO_ROOT/hack/push-image.sh" "$mirror" 3.0.0)
short=${DIGEST[4.0.0]#sha256:}; short=${short:0:12}  # the version of a digest-only image
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0 3.0.0 "$short"; do mm_set --model fraud --namespace "$ns" --version "$v"; done
start_operator

dir=$E2E_TMP/app
mkdir -p "$dir"
model_yaml fraud 1.0.0 >"$dir/mlmodel.yaml"
cat >"$dir/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $ns
resources: [mlmodel.yaml]
components: [$(realpath --relative-to="$dir" "$COMPONENT")]
YAML
kubectl apply -k "$dir" >/dev/null
poll 60 ready_at fraud 1.0.0 || fail_with "1.0.0 not Ready"

canary_is() { [ "$(jp mlmodel/fraud '{.status.canary.version} {.status.canary.image}')" = "$1 $2" ]; }
runs() { [ "$(jp deploy/fraud '{.spec.template.spec.containers[0].image}')" = "$1" ]; }
# bump EDIT FIELD IMAGE VERSION [DIGEST]: `kustomize edit set image EDIT` writes an images:
# entry with FIELD; the render has spec.image IMAGE; the apply starts a canary of VERSION
# and IMAGE (whose tag resolved to DIGEST, or given by it), which is promoted.
bump() {
  local edit=$1 fieldname=$2 image=$3 version=$4 digest=$5
  (cd "$dir" && kustomize edit set image "$edit")
  grep -q "^[- ] $fieldname: " "$dir/kustomization.yaml" ||
    fail "kustomize edit set image $edit wrote no $fieldname: $(cat "$dir/kustomization.yaml")"
  expect "render after kustomize edit set image $edit" "$(field "$dir" spec.image)" "$image"
  kubectl apply -k "$dir" >/dev/null
  poll 30 canary_is "$version" "$image" || fail_with "$fieldname: no canary of $version ($image)"
  expect "$fieldname: status.canary.digest" "$(jp mlmodel/fraud '{.status.canary.digest}')" "$digest"
  poll 90 ready_at fraud "$version" || fail_with "$fieldname: $version not promoted"
  expect "$fieldname: how it ended" "$(jp mlmodel/fraud '{.status.history[-1:].reason}')" Promoted
}

echo "-- newTag"
bump "$REGISTRY/$repo:2.0.0" newTag "$REGISTRY/$repo:2.0.0" 2.0.0 "${DIGEST[2.0.0]}"
runs "$REGISTRY/$repo@${DIGEST[2.0.0]}" || fail_with "newTag: 2.0.0 not running by digest"
echo "-- newName (with the tag moved too)"
bump "$REGISTRY/$repo=$REGISTRY/$mirror:3.0.0" newName "$REGISTRY/$mirror:3.0.0" 3.0.0 "$mirror_digest"
runs "$REGISTRY/$mirror@$mirror_digest" || fail_with "newName: the mirror's 3.0.0 not running by digest"
echo "-- digest"
bump "$REGISTRY/$repo@${DIGEST[4.0.0]}" digest "$REGISTRY/$repo@${DIGEST[4.0.0]}" "$short" "${DIGEST[4.0.0]}"
runs "$REGISTRY/$repo@${DIGEST[4.0.0]}" || fail_with "digest: not running by that digest"

echo "-- the kustomization and the cluster agree: nothing to sync"
kubectl diff -k "$dir" >"$E2E_TMP/diff" 2>&1 || fail_with "the cluster drifted from the kustomization: $(cat "$E2E_TMP/diff")"
echo "ok: kustomize images: reaches spec.image and starts canaries"
