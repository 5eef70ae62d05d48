#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A small Kubernetes API server for tests: pods, Services and EndpointSlices.

It answers list and watch the way kube-apiserver does (same JSON shapes, same
status codes), keeps a resourceVersion counter and an event history like
etcd, and lets a test steer it through a control API on the same port
(/_control/...): load objects, change them, compact the history so old
resourceVersions get 410 Gone, send bookmarks, drop watches, go away and come
back, rotate the accepted token, and read how many requests, objects and
bytes each resource served. Python 3 standard library only.

    fake_apiserver.py [--port N] [--bind ADDR] [--token T] [--tls-cert F --tls-key F]
                      [--client-ca F] [--load FILE]...

Prints "listening on <port>" on stdout once it accepts connections. See
tests/k8s/README.md for the control API.
"""

import argparse
import base64
import bisect
import copy
import http.server
import json
import os
import random
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

# resource name -> (kind, apiVersion, list path)
RESOURCES = {
    "pods": ("Pod", "v1", "/api/v1/pods"),
    "services": ("Service", "v1", "/api/v1/services"),
    "endpointslices": ("EndpointSlice", "discovery.k8s.io/v1",
                       "/apis/discovery.k8s.io/v1/endpointslices"),
    # Istio's; the agent reads it only with --k8s-virtualservices
    "virtualservices": ("VirtualService", "networking.istio.io/v1",
                        "/apis/networking.istio.io/v1/virtualservices"),
}
KIND_TO_RESOURCE = {v[0]: k for k, v in RESOURCES.items()}
PATH_TO_RESOURCE = {v[2]: k for k, v in RESOURCES.items()}
WATCH_POLL_S = 0.2


def status_body(code, reason, message):
    """A metav1.Status as the API server sends with an error."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def new_counter():
    return {"requests": 0, "bytes": 0, "objects": 0}


class Store:
    """Objects, the event history and everything the control API changes."""

    def __init__(self):
        self.cond = threading.Condition()
        self.objects = {r: {} for r in RESOURCES}  # resource -> (ns, name) -> obj
        self.rv = 1000
        self.history = []  # (rv, resource, type, obj), rv ascending
        self.compacted = 0  # resourceVersions <= this are gone
        self.token = None  # None: no authentication
        self.away = False
        self.hang = False
        self.drop_gen = 0  # bumped to drop open watches
        self.drop_clean = False
        self.bookmark_gen = 0
        self.watch_gone = "event"  # how a too-old watch rv is refused: "event" or "http"
        self.forbidden = set()  # resources this "service account" may not list or watch
        self.open_watches = 0
        self.unauthorized = 0
        self.stats = {}
        self.reset_stats()

    def reset_stats(self):
        self.stats = {r: {"list": new_counter(), "watch": new_counter()} for r in RESOURCES}
        self.last_query = {r: "" for r in RESOURCES}  # of the last list, for tests
        self.unauthorized = 0

    def count(self, resource, verb, nbytes=0, objects=0, request=False):
        with self.cond:
            c = self.stats[resource][verb]
            c["bytes"] += nbytes
            c["objects"] += objects
            c["requests"] += 1 if request else 0

    # -- changes (call with self.cond held) --------------------------------

    def _record(self, resource, etype, obj):
        self.history.append((self.rv, resource, etype, copy.deepcopy(obj)))
        self.cond.notify_all()

    def apply(self, obj):
        kind = obj.get("kind")
        resource = KIND_TO_RESOURCE.get(kind)
        if not resource:
            raise ValueError("unknown kind %r (want Pod, Service, EndpointSlice or VirtualService)" % kind)
        obj = copy.deepcopy(obj)
        obj["apiVersion"] = RESOURCES[resource][1]
        meta = obj.setdefault("metadata", {})
        key = (meta.get("namespace", "default"), meta.get("name"))
        if not key[1]:
            raise ValueError("object without metadata.name")
        meta["namespace"] = key[0]
        old = self.objects[resource].get(key)
        meta.setdefault("uid", old["metadata"]["uid"] if old else str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        self.rv += 1
        meta["resourceVersion"] = str(self.rv)
        self.objects[resource][key] = obj
        self._record(resource, "MODIFIED" if old else "ADDED", obj)
        return obj

    def delete(self, kind, namespace, name):
        resource = KIND_TO_RESOURCE.get(kind)
        obj = self.objects.get(resource, {}).pop((namespace, name), None)
        if obj is None:
            return None
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self._record(resource, "DELETED", obj)
        return obj

    def compact(self):
        self.compacted = self.rv
        self.history = []

    def events_after(self, rv):
        """History entries with a resourceVersion above rv."""
        i = bisect.bisect_right([h[0] for h in self.history], rv)
        return self.history[i:]


STORE = Store()


def load_file(path):
    """A fixture: one object, a List (items), or a JSON array of objects."""
    with open(path) as f:
        doc = json.load(f)
    items = doc if isinstance(doc, list) else doc.get("items", [doc])
    list_kind = doc.get("kind", "") if isinstance(doc, dict) else ""
    applied = 0
    with STORE.cond:
        for obj in items:
            if "kind" not in obj and list_kind.endswith("List"):
                obj = dict(obj, kind=list_kind[:-4])
            STORE.apply(obj)
            applied += 1
    return applied


def synth_pod(i, nodes, ns_count, rng):
    """A pod about as large as a real one (managedFields, env, probes, status)."""
    ns = "ns-%d" % (i % ns_count)
    app = "app-%d" % (i % 97)
    node = "node-%d" % (i % nodes)
    ip = "10.%d.%d.%d" % (64 + (i >> 16) % 64, (i >> 8) & 255, i & 255)
    rs = "%s-%x" % (app, 0x5d8f6b7c9 + i % 97)
    name = "%s-%05x" % (rs, rng.getrandbits(20))
    ts = "2024-05-01T10:00:00Z"
    env = [{"name": "ENV_%d" % k, "value": "value-%d-%s" % (k, app)} for k in range(12)]
    probe = {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
             "initialDelaySeconds": 5, "timeoutSeconds": 1, "periodSeconds": 10,
             "successThreshold": 1, "failureThreshold": 3}
    container = {
        "name": app, "image": "registry.example/%s:1.%d.0" % (app, i % 7),
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}], "env": env,
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"},
                      "requests": {"cpu": "100m", "memory": "128Mi"}},
        "livenessProbe": probe, "readinessProbe": probe,
        "volumeMounts": [{"name": "kube-api-access", "readOnly": True,
                          "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}
    managed = [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                "time": ts, "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}, "f:pod-template-hash": {},
                                                         "f:version": {}},
                                            "f:ownerReferences": {}},
                             "f:spec": {"f:containers": {"k:{\"name\":\"%s\"}" % app: {
                                 "f:env": {}, "f:image": {}, "f:ports": {}, "f:resources": {}}}}}},
               {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": ts,
                "fieldsType": "FieldsV1", "subresource": "status",
                "fieldsV1": {"f:status": {"f:conditions": {}, "f:containerStatuses": {},
                                          "f:hostIP": {}, "f:phase": {}, "f:podIP": {},
                                          "f:podIPs": {}, "f:startTime": {}}}}]
    conds = [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": ts}
             for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]
    return {
        "kind": "Pod",
        "metadata": {
            "name": name, "namespace": ns, "generateName": rs + "-",
            "labels": {"app": app, "version": "v1", "pod-template-hash": rs[-9:]},
            "annotations": {"kubectl.kubernetes.io/restartedAt": ts},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                                 "uid": str(uuid.UUID(int=rng.getrandbits(128))),
                                 "controller": True, "blockOwnerDeletion": True}],
            "managedFields": managed},
        "spec": {"containers": [container], "nodeName": node, "restartPolicy": "Always",
                 "serviceAccountName": "default", "dnsPolicy": "ClusterFirst",
                 "schedulerName": "default-scheduler", "terminationGracePeriodSeconds": 30,
                 "volumes": [{"name": "kube-api-access", "projected": {"sources": [
                     {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                     {"configMap": {"name": "kube-root-ca.crt",
                                    "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
                 "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                  "effect": "NoExecute", "tolerationSeconds": 300}]},
        "status": {"phase": "Running", "conditions": conds, "hostIP": "192.0.2.%d" % (i % nodes % 250),
                   "podIP": ip, "podIPs": [{"ip": ip}], "startTime": ts, "qosClass": "Burstable",
                   "containerStatuses": [{"name": app, "ready": True, "restartCount": 0,
                                          "started": True, "image": container["image"],
                                          "imageID": "registry.example/%s@sha256:%064x" % (app, i),
                                          "containerID": "containerd://%064x" % (i * 7919),
                                          "state": {"running": {"startedAt": ts}}}]}}


def generate(spec):
    """A synthetic cluster: pods spread over nodes, a Service and a slice per app."""
    pods, nodes = int(spec.get("pods", 100)), max(1, int(spec.get("nodes", 10)))
    ns_count = max(1, int(spec.get("namespaces", 10)))
    rng = random.Random(spec.get("seed", 1))
    by_app = {}
    with STORE.cond:
        for i in range(pods):
            p = STORE.apply(synth_pod(i, nodes, ns_count, rng))
            key = (p["metadata"]["namespace"], p["metadata"]["labels"]["app"])
            by_app.setdefault(key, []).append(p)
        for n, ((ns, app), members) in enumerate(sorted(by_app.items())):
            STORE.apply({"kind": "Service", "metadata": {"name": app, "namespace": ns,
                                                         "labels": {"app": app}},
                         "spec": {"type": "ClusterIP", "clusterIP": "10.96.%d.%d" % (n >> 8, n & 255),
                                  "clusterIPs": ["10.96.%d.%d" % (n >> 8, n & 255)],
                                  "ipFamilies": ["IPv4"], "selector": {"app": app},
                                  "ports": [{"name": "http", "port": 80, "protocol": "TCP",
                                             "targetPort": 8080}]}})
            STORE.apply(slice_for(ns, app, members))
    return {"pods": pods, "services": len(by_app)}


def slice_for(ns, app, members):
    return {"kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": {"name": app + "-abcde", "namespace": ns,
                         "labels": {"kubernetes.io/service-name": app,
                                    "endpointslice.kubernetes.io/managed-by":
                                    "endpointslice-controller.k8s.io"}},
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [p["status"]["podIP"]],
                           "conditions": {"ready": True, "serving": True, "terminating": False},
                           "nodeName": p["spec"]["nodeName"],
                           "targetRef": {"kind": "Pod", "namespace": ns,
                                         "name": p["metadata"]["name"],
                                         "uid": p["metadata"]["uid"]}} for p in members]}


def churn(spec):
    """Changes count random pods as a kubelet status update or a rollout would."""
    rng = random.Random(spec.get("seed", 2))
    done = slices = 0
    with STORE.cond:
        keys = sorted(STORE.objects["pods"])
        for _ in range(int(spec.get("count", 10))):
            if not keys:
                break
            pod = copy.deepcopy(STORE.objects["pods"][rng.choice(keys)])
            cs = pod.get("status", {}).get("containerStatuses", [{}])[0]
            cs["restartCount"] = cs.get("restartCount", 0) + 1
            del pod["metadata"]["resourceVersion"]
            STORE.apply(pod)
            done += 1
            if spec.get("slices"):
                slices += touch_slice(pod)
    return {"modified": done, "slices_modified": slices}


def touch_slice(pod):
    """The endpoint controller's update of the pod's slice (readiness went and came back)."""
    meta = pod["metadata"]
    app = meta.get("labels", {}).get("app", "")
    sl = STORE.objects["endpointslices"].get((meta["namespace"], app + "-abcde"))
    if sl is None:
        return 0
    sl = copy.deepcopy(sl)
    sl["metadata"].setdefault("annotations", {})[
        "endpoints.kubernetes.io/last-change-trigger-time"] = time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    del sl["metadata"]["resourceVersion"]
    STORE.apply(sl)
    return 1


def field_selector_node(query):
    """spec.nodeName=<node> from fieldSelector, '' when none; ValueError otherwise."""
    sel = query.get("fieldSelector", [""])[0]
    if not sel:
        return ""
    field, _, value = sel.partition("=")
    if field != "spec.nodeName" or not value:
        raise ValueError("field label not supported: %s" % sel)
    return value


def matches(resource, obj, node):
    return not node or resource != "pods" or obj.get("spec", {}).get("nodeName") == node


def encode_continue(rv, key):
    raw = json.dumps({"rv": rv, "start": list(key)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_continue(token):
    doc = json.loads(base64.urlsafe_b64decode(token.encode()))
    return int(doc["rv"]), tuple(doc["start"])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "meshsight-fake-apiserver"

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        pass

    def send_json(self, code, doc, resource=None, verb=None, objects=0):
        body = json.dumps(doc, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if resource:
            STORE.count(resource, verb, len(body), objects)

    def send_status(self, code, reason, message, resource=None, verb=None):
        self.send_json(code, status_body(code, reason, message), resource, verb)

    def vanish(self):
        """Closes the connection without an answer, as a dying server does."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def authorized(self):
        tls_peer = getattr(self.connection, "getpeercert", None)
        if tls_peer and tls_peer():
            return True  # a client certificate signed by --client-ca
        with STORE.cond:
            want = STORE.token
        if want is None:
            return True
        if self.headers.get("Authorization", "") == "Bearer " + want:
            return True
        with STORE.cond:
            STORE.unauthorized += 1
        return False

    def do_GET(self):  # noqa: N802 (stdlib name)
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_control/"):
            return self.control(url.path[len("/_control/"):], None)
        if STORE.away:
            return self.vanish()
        if STORE.hang:  # a hung server: the request is read, never answered
            with STORE.cond:
                while STORE.hang:
                    STORE.cond.wait()
            return self.vanish()
        if not self.authorized():
            return self.send_status(401, "Unauthorized", "Unauthorized")
        resource = PATH_TO_RESOURCE.get(url.path)
        if not resource:
            return self.send_status(404, "NotFound", "the server could not find the requested resource")
        query = urllib.parse.parse_qs(url.query)
        if resource in STORE.forbidden:
            verb = "watch" if query.get("watch", ["0"])[0] in ("1", "true") else "list"
            group = RESOURCES[resource][1].rpartition("/")[0]
            full = resource + ("." + group if group else "")
            return self.send_status(403, "Forbidden", (
                '%s is forbidden: User "system:serviceaccount:meshsight:meshsight" cannot %s '
                'resource "%s" in API group "%s" at the cluster scope') % (full, verb, resource, group))
        try:
            node = field_selector_node(query)
        except ValueError as e:
            return self.send_status(400, "BadRequest", str(e))
        if query.get("watch", ["0"])[0] in ("1", "true"):
            return self.watch(resource, query, node)
        return self.list(resource, query, node)

    def do_POST(self):  # noqa: N802 (stdlib name)
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length) if length else b""
        if not url.path.startswith("/_control/"):
            return self.send_status(405, "MethodNotAllowed", "only GET is served here")
        try:
            body = json.loads(raw) if raw else {}
        except ValueError as e:
            return self.send_json(400, {"error": "body is not JSON: %s" % e})
        return self.control(url.path[len("/_control/"):], body)

    # -- list ----------------------------------------------------------------

    def list(self, resource, query, node):
        STORE.count(resource, "list", request=True)
        with STORE.cond:
            STORE.last_query[resource] = urllib.parse.urlsplit(self.path).query
        limit = int(query.get("limit", ["0"])[0] or 0)
        cont = query.get("continue", [""])[0]
        rv_param = query.get("resourceVersion", [""])[0]
        with STORE.cond:
            if cont:
                try:
                    list_rv, start = decode_continue(cont)
                except (ValueError, KeyError):
                    return self.send_status(400, "BadRequest", "invalid continue token")
            else:
                list_rv, start = STORE.rv, None
            too_old = list_rv <= STORE.compacted if cont else (
                rv_param not in ("", "0") and int(rv_param) <= STORE.compacted)
            if too_old:
                msg = ("The provided continue parameter is too old to display a consistent list "
                       "result. You can start a new list without the continue parameter."
                       if cont else "too old resource version: %s (%d)" % (rv_param, STORE.compacted))
                return self.send_status(410, "Expired", msg, resource, "list")
            keys = sorted(k for k, o in STORE.objects[resource].items() if matches(resource, o, node))
            if start is not None:
                keys = keys[bisect.bisect_right(keys, start):]
            page = keys[:limit] if limit else keys
            items = [copy.deepcopy(STORE.objects[resource][k]) for k in page]
        kind, api_version, _ = RESOURCES[resource]
        for obj in items:  # list items carry neither kind nor apiVersion
            obj.pop("kind", None)
            obj.pop("apiVersion", None)
        meta = {"resourceVersion": str(list_rv)}
        if limit and len(keys) > limit:
            meta["continue"] = encode_continue(list_rv, page[-1])
            meta["remainingItemCount"] = len(keys) - limit
        doc = {"kind": kind + "List", "apiVersion": api_version, "metadata": meta, "items": items}
        self.send_json(200, doc, resource, "list", len(items))

    # -- watch ---------------------------------------------------------------

    def chunk(self, resource, doc, objects=1):
        line = json.dumps(doc, separators=(",", ":")).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
        self.wfile.flush()
        STORE.count(resource, "watch", len(line), objects)

    def watch(self, resource, query, node):
        STORE.count(resource, "watch", request=True)
        rv_param = query.get("resourceVersion", [""])[0]
        timeout = float(query.get("timeoutSeconds", ["1800"])[0])
        bookmarks = query.get("allowWatchBookmarks", ["false"])[0] == "true"
        kind, api_version, _ = RESOURCES[resource]
        with STORE.cond:
            start_rv = int(rv_param) if rv_param not in ("", "0") else None
            gone = start_rv is not None and start_rv < STORE.compacted
            if gone and STORE.watch_gone == "http":
                return self.send_status(410, "Expired", "too old resource version: %d (%d)" %
                                        (start_rv, STORE.compacted), resource, "watch")
            initial = []
            if start_rv is None:  # no rv: the current state as ADDED, then changes
                initial = [o for o in STORE.objects[resource].values() if matches(resource, o, node)]
                start_rv = STORE.rv
            drop_gen, bm_gen = STORE.drop_gen, STORE.bookmark_gen
            STORE.open_watches += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if gone:
                self.chunk(resource, {"type": "ERROR", "object": status_body(
                    410, "Expired", "too old resource version: %d (%d)" % (start_rv, STORE.compacted))})
                return self.end_chunks()
            for obj in initial:
                self.chunk(resource, {"type": "ADDED", "object": obj})
            self.stream(resource, kind, api_version, node, start_rv, time.monotonic() + timeout,
                        drop_gen, bm_gen if bookmarks else None)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True
        finally:
            with STORE.cond:
                STORE.open_watches -= 1

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def stream(self, resource, kind, api_version, node, last_rv, deadline, drop_gen, bm_gen):
        while True:
            with STORE.cond:
                STORE.cond.wait(WATCH_POLL_S)
                if STORE.drop_gen != drop_gen or STORE.away:
                    clean = STORE.drop_clean and not STORE.away
                    break
                events = [e for e in STORE.events_after(last_rv) if e[1] == resource]
                all_rv = STORE.rv
                bookmark = bm_gen is not None and STORE.bookmark_gen != bm_gen
                if bookmark:
                    bm_gen = STORE.bookmark_gen
            for rv, _, etype, obj in events:
                last_rv = rv
                if matches(resource, obj, node):
                    self.chunk(resource, {"type": etype, "object": obj})
            if bookmark:
                last_rv = max(last_rv, all_rv)
                self.chunk(resource, {"type": "BOOKMARK", "object": {
                    "kind": kind, "apiVersion": api_version,
                    "metadata": {"resourceVersion": str(last_rv)}}}, objects=0)
            if time.monotonic() >= deadline:
                return self.end_chunks()
        self.close_connection = True
        if clean:
            return self.end_chunks()
        return self.vanish()

    # -- control -------------------------------------------------------------

    def control(self, op, body):
        try:
            result = control(op, body)
        except (ValueError, KeyError, TypeError, OSError) as e:
            return self.send_json(400, {"error": "%s: %s" % (op, e)})
        if result is None:
            return self.send_json(404, {"error": "no control operation %r" % op})
        return self.send_json(200, result)


def control(op, body):
    """Runs one control operation; its JSON answer, or None when op is unknown."""
    body = body or {}
    if op == "stats":
        with STORE.cond:
            return {"resourceVersion": STORE.rv, "compacted": STORE.compacted,
                    "open_watches": STORE.open_watches, "unauthorized": STORE.unauthorized,
                    "objects": {r: len(o) for r, o in STORE.objects.items()},
                    "resources": copy.deepcopy(STORE.stats),
                    "last_list_query": dict(STORE.last_query)}
    if op == "load":
        return {"loaded": sum(load_file(f) for f in body.get("files", [body.get("file")]) if f)}
    if op == "generate":
        return generate(body)
    if op == "churn":
        return churn(body)
    with STORE.cond:
        if op == "apply":
            obj = STORE.apply(body["object"])
            return {"resourceVersion": obj["metadata"]["resourceVersion"],
                    "uid": obj["metadata"]["uid"]}
        if op == "delete":
            obj = STORE.delete(body["kind"], body.get("namespace", "default"), body["name"])
            if obj is None:
                raise KeyError("no %s %s/%s" % (body["kind"], body.get("namespace"), body["name"]))
            return {"resourceVersion": obj["metadata"]["resourceVersion"]}
        if op == "compact":
            STORE.compact()
            return {"compacted": STORE.compacted}
        if op == "bookmark":
            STORE.bookmark_gen += 1
        elif op == "drop-watches":
            STORE.drop_gen += 1
            STORE.drop_clean = bool(body.get("clean", False))
        elif op == "away":
            STORE.away = True
        elif op == "hang":
            STORE.hang = True
        elif op == "back":
            STORE.away = False
            STORE.hang = False
        elif op == "token":
            STORE.token = body.get("token")
        elif op == "config":
            if body.get("watch_gone") not in (None, "event", "http"):
                raise ValueError("watch_gone must be \"event\" or \"http\"")
            STORE.watch_gone = body.get("watch_gone", STORE.watch_gone)
        elif op == "forbid":
            unknown = set(body.get("resources", [])) - set(RESOURCES)
            if unknown:
                raise ValueError("unknown resources %s" % sorted(unknown))
            STORE.forbidden = set(body.get("resources", []))
        elif op == "reset-stats":
            STORE.reset_stats()
        else:
            return None
        STORE.cond.notify_all()
        return {"ok": True, "resourceVersion": STORE.rv}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients that hang up or refuse our certificate are part of the tests.
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--token", help="bearer token required on API requests (default: none)")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key", help="private key of --tls-cert (PEM)")
    ap.add_argument("--client-ca", help="accept client certificates signed by this CA")
    ap.add_argument("--load", action="append", default=[], help="fixture file to load at start")
    args = ap.parse_args()

    STORE.token = args.token
    for path in args.load:
        load_file(path)
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    Server.address_family = family
    srv = Server((args.bind, args.port), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL
        # Handshake in the connection's thread, not in accept().
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("listening on %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
