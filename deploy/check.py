#!/usr/bin/env python3
"""Checks what can be checked here of deploy/ without a Docker engine or a cluster:
every manifest parses, the Kubernetes objects validate against the API schemas
(kubernetes-validate, offline), and the pieces fit together: each service has an image
command, probes, resources and a disruption budget; KEDA scales the workers on the
delivery queues; compose runs every service from one image after the migration.
Exit status 0 when all holds; each problem is printed."""

import json
import pathlib
import re
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
SERVICES = ["api-gateway", "scheduler", "delivery-worker", "media-ingest", "collector"]
BINARIES = SERVICES + ["provider-sim"]
K8S_VERSION = "1.30.0"
problems = []


def check(cond, message):
    if not cond:
        problems.append(message)


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


# --- Dockerfile: multi-stage, non-root, every binary in the image ---
docker = (HERE / "Dockerfile").read_text()
check(len(re.findall(r"^FROM ", docker, re.M)) >= 2, "Dockerfile: not a multi-stage build")
check(re.search(r"^USER \d+", docker, re.M) is not None, "Dockerfile: no numeric non-root USER")
for b in BINARIES:
    check(f"target/release/{b}" in docker, f"Dockerfile: {b} is not copied into the image")

# --- Kubernetes ---
import kubernetes_validate  # noqa: E402  (installed by .ci/run)

objects = []
for path in sorted((HERE / "k8s").glob("*.yaml")):
    for doc in load_all(path):
        objects.append((path.name, doc))
        if doc["apiVersion"].startswith("keda.sh/"):
            continue  # a CRD: not in the core schemas, checked below
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except Exception as e:  # the library raises several error types
            first = getattr(e, "message", None) or str(e).splitlines()[0]
            problems.append(f"{path.name}: {doc['kind']} {doc['metadata']['name']}: {first}")

by_kind = {}
for name, doc in objects:
    by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc

for svc in SERVICES:
    dep = by_kind.get("Deployment", {}).get(svc)
    check(dep is not None, f"k8s: no Deployment for {svc}")
    if dep:
        pod = dep["spec"]["template"]["spec"]
        c = pod["containers"][0]
        check(c["args"][0] == svc, f"k8s: {svc} runs {c['args']}")
        check(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", f"k8s: {svc} readiness is not /readyz")
        check(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", f"k8s: {svc} liveness is not /healthz")
        check("requests" in c.get("resources", {}) and "limits" in c.get("resources", {}), f"k8s: {svc} lacks resources")
        check(pod.get("securityContext", {}).get("runAsNonRoot") is True, f"k8s: {svc} may run as root")
        check(dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, f"k8s: {svc} rollout may drop capacity")
    check(svc in by_kind.get("Service", {}), f"k8s: no Service for {svc}")
    check(svc in by_kind.get("PodDisruptionBudget", {}), f"k8s: no PodDisruptionBudget for {svc}")

job = by_kind.get("Job", {}).get("postmantis-migrate")
check(job is not None and job["spec"]["template"]["spec"]["containers"][0]["args"] == ["api-gateway", "migrate"],
      "k8s: no migration Job running `api-gateway migrate`")

definitions = json.loads((HERE / "rabbitmq" / "definitions.json").read_text())
queues = {q["name"]: q for q in definitions["queues"]}
scaled = by_kind.get("ScaledObject", {}).get("delivery-worker")
check(scaled is not None, "k8s: no KEDA ScaledObject for delivery-worker")
if scaled:
    check(scaled["spec"]["scaleTargetRef"]["name"] == "delivery-worker", "KEDA: scales the wrong target")
    triggered = {t["metadata"]["queueName"] for t in scaled["spec"]["triggers"] if t["type"] == "rabbitmq"}
    for q in queues:
        if q.startswith("deliveries.") and q not in ("deliveries.retry-wait", "deliveries.dead"):
            check(q in triggered, f"KEDA: queue {q} does not scale the workers")
    for q in triggered:
        check(q in queues, f"KEDA: {q} is not a queue the services declare")
    auth = {t["authenticationRef"]["name"] for t in scaled["spec"]["triggers"]}
    check(auth <= set(by_kind.get("TriggerAuthentication", {})), "KEDA: a trigger's authentication is missing")

# --- RabbitMQ definitions: quorum queues, dead letters, the retry loop ---
check(all(q["arguments"].get("x-queue-type") == "quorum" for q in queues.values()), "rabbitmq: not every queue is quorum")
check(queues.get("deliveries.retry-wait", {}).get("arguments", {}).get("x-dead-letter-exchange") == "postmantis.deliveries",
      "rabbitmq: the retry queue does not lead back to the deliveries")
check("deliveries.dead" in queues, "rabbitmq: no parking queue for dead letters")

# --- compose ---
compose = load_all(HERE / "compose.yaml")[0]
services = compose["services"]
for b in BINARIES:
    check(b in services, f"compose: no service {b}")
    if b in services:
        cmd = services[b]["command"]
        check(cmd[0] == b, f"compose: {b} runs {cmd}")
        check(services[b].get("image") == "postmantis:latest", f"compose: {b} does not use the one image")
check(services.get("migrate", {}).get("command") == ["api-gateway", "migrate"], "compose: no migration step")
for svc in SERVICES:
    dep = services.get(svc, {}).get("depends_on", {})
    check(dep.get("migrate", {}).get("condition") == "service_completed_successfully", f"compose: {svc} may start before the migration")
for infra in ["postgres", "rabbitmq", "otel-collector", "jaeger"]:
    check(infra in services, f"compose: no {infra}")
for vol in [v for s in services.values() for v in s.get("volumes", []) if isinstance(v, str) and v.startswith("./")]:
    check((HERE / vol.split(":")[0]).exists(), f"compose: mounts missing {vol}")
collector = load_all(HERE / "otel" / "collector.yaml")[0]
check("otlp" in collector["receivers"], "otel: no OTLP receiver")
check(any(e.startswith("otlp/jaeger") for e in collector["exporters"]), "otel: traces do not reach Jaeger")

for p in problems:
    print(p)
print(f"deploy: {len(objects)} Kubernetes objects, {len(services)} compose services, {len(queues)} queues; {len(problems)} problems")
sys.exit(1 if problems else 0)
