#!/usr/bin/env bash
# Deploy the churn service to a local Kubernetes cluster, check it, tear it down.
#
#   scripts/deploy.sh up      build the image, load it into the cluster, apply k8s/, wait for the
#                             rollout, send a smoke request; prints how to reach the service
#   scripts/deploy.sh smoke   only the smoke request (port-forward, /health, /ready, /predict)
#   scripts/deploy.sh down    delete everything, the database volume included
#
# The cluster is minikube by default (`minikube start` first); CLUSTER=kind uses the kind cluster
# named $KIND_CLUSTER (default: churn), as .github/workflows/ci-cd.yml does. Needs docker,
# kubectl and minikube or kind on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=${CLUSTER:-minikube}
KIND_CLUSTER=${KIND_CLUSTER:-churn}
NAMESPACE=churn
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n1)
IMAGE=churn-service:$VERSION
LOCAL_PORT=${LOCAL_PORT:-8080}
TIMEOUT=${TIMEOUT:-300s}

say() { printf '\n==> %s\n' "$*"; }

secret() {
  # The database password: generated once, kept out of git (k8s/secret.env is ignored).
  if [ ! -f k8s/secret.env ]; then
    umask 077
    printf 'POSTGRES_PASSWORD=%s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >k8s/secret.env
    say "generated a database password in k8s/secret.env"
  fi
}

load_image() {
  case "$CLUSTER" in
    minikube) minikube image load "$IMAGE" ;;
    kind) kind load docker-image "$IMAGE" --name "$KIND_CLUSTER" ;;
    *) echo "CLUSTER must be minikube or kind, not $CLUSTER" >&2; exit 2 ;;
  esac
}

smoke() {
  say "smoke test through kubectl port-forward on 127.0.0.1:$LOCAL_PORT"
  kubectl -n "$NAMESPACE" port-forward service/churn-api "$LOCAL_PORT:80" >/dev/null 2>&1 &
  local forward=$!
  trap 'kill "$forward" 2>/dev/null || true' EXIT
  local url="http://127.0.0.1:$LOCAL_PORT"
  for _ in $(seq 1 30); do
    curl -fsS "$url/health" >/dev/null 2>&1 && break
    sleep 1
  done
  curl -fsS "$url/health" && echo
  curl -fsS "$url/ready" && echo
  curl -fsS "$url/predict" -H 'content-type: application/json' -d '{
    "customer_id": "smoke-1", "female": 1, "senior_citizen": 0, "partner": 1, "dependents": 0,
    "tenure": 1, "phone_service": 0, "multiple_lines": "No phone service",
    "internet_service": "DSL", "online_security": "No", "online_backup": "Yes",
    "device_protection": "No", "tech_support": "No", "streaming_tv": "No",
    "streaming_movies": "No", "contract": "Month-to-month", "paperless_billing": 1,
    "payment_method": "Electronic check", "monthly_charges": 29.85, "total_charges": 29.85}' && echo
  curl -fsS "$url/predictions?limit=1" && echo
}

up() {
  secret
  say "building $IMAGE"
  docker build -t "$IMAGE" .
  say "loading $IMAGE into $CLUSTER"
  load_image
  say "applying k8s/"
  kubectl apply -k k8s
  say "waiting for the rollout"
  kubectl -n "$NAMESPACE" rollout status statefulset/postgres --timeout="$TIMEOUT"
  kubectl -n "$NAMESPACE" rollout status deployment/churn-api --timeout="$TIMEOUT"
  smoke
  say "deployed. Reach it with: kubectl -n $NAMESPACE port-forward service/churn-api $LOCAL_PORT:80"
  say "tear it down with: scripts/deploy.sh down"
}

down() {
  say "deleting namespace $NAMESPACE (the service, PostgreSQL and its volume)"
  kubectl delete namespace "$NAMESPACE" --ignore-not-found --wait=true --timeout="$TIMEOUT"
}

case "${1:-}" in
  up) up ;;
  smoke) smoke ;;
  down) down ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
