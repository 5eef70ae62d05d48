// SPDX-License-Identifier: BSD-2-Clause

// Command check reads the output of `helm template` (or of tests/helm/render) for the meshsight
// chart and asserts what an operator reviewing the manifests would: the expected kinds and
// nothing else, least privilege on the agent's container (exactly the three capabilities,
// nothing privileged, read-only root and mounts, no host PID), RBAC limited to get/list/watch
// on pods, services and endpointslices, objects that refer to each other consistently
// (binding -> service account, Service -> pod labels and port, ServiceMonitor -> Service),
// and the values' settings on the agent's command line. Fields the API server would reject
// (non-string args, a probe on an undeclared port, a mount of a missing volume) fail too.
//
// Every check prints "ok" or "FAIL"; the last line is "checks: N passed, M failed" and the
// exit status is 1 when any failed.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

type obj = map[string]interface{}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

type expect struct {
	namespace, memLimit, priorityClass, cgroupHostPath, toleration string
	port, healthPort                                               int
	rbac, serviceMonitor, configMap, hostNetwork, hostPID, scrape  bool
	virtualServices                                                bool
	tls                                                            bool
	dashboard, prometheusRule                                      bool
	rulesOut                                                       string
	args, noArgs, smLabels                                         listFlag
}

type checker struct {
	passed, failed int
	docs           []obj
	ex             *expect
}

func (c *checker) ok(cond bool, format string, a ...interface{}) bool {
	msg := fmt.Sprintf(format, a...)
	if cond {
		c.passed++
		fmt.Printf("  ok    %s\n", msg)
	} else {
		c.failed++
		fmt.Printf("  FAIL  %s\n", msg)
	}
	return cond
}

func main() {
	ex := &expect{}
	flag.StringVar(&ex.namespace, "namespace", "default", "release namespace")
	flag.IntVar(&ex.port, "port", 9464, "agent listen port")
	flag.IntVar(&ex.healthPort, "health-port", 9465, "agent health listen port (probes)")
	flag.StringVar(&ex.memLimit, "memory-limit", "256Mi", "expected container memory limit")
	flag.StringVar(&ex.priorityClass, "priority-class", "", "expected priorityClassName")
	flag.StringVar(&ex.cgroupHostPath, "cgroup-host-path", "/sys/fs/cgroup", "expected hostPath")
	flag.StringVar(&ex.toleration, "toleration", "", "key of a toleration that must be present "+
		"(empty: the catch-all operator: Exists)")
	flag.BoolVar(&ex.rbac, "k8s", true, "expect the API in use: ClusterRole, binding, token")
	flag.BoolVar(&ex.virtualServices, "virtualservices", false,
		"expect get/list/watch on Istio virtualservices too (k8s.virtualServices)")
	flag.BoolVar(&ex.serviceMonitor, "servicemonitor", false, "expect a ServiceMonitor")
	flag.BoolVar(&ex.configMap, "configmap", false, "expect the identities ConfigMap")
	flag.BoolVar(&ex.dashboard, "dashboard", false, "expect the Grafana dashboard ConfigMap")
	flag.BoolVar(&ex.prometheusRule, "prometheusrule", false, "expect the PrometheusRule")
	flag.StringVar(&ex.rulesOut, "rules-out", "", "write the PrometheusRule's spec there "+
		"(a rules file, for promtool check rules)")
	flag.BoolVar(&ex.hostNetwork, "host-network", true, "expect hostNetwork")
	flag.BoolVar(&ex.hostPID, "host-pid", false, "expect hostPID (opt-in, see values.yaml)")
	flag.BoolVar(&ex.tls, "tls", false, "expect agent.tls: --tls on and CAP_SYS_PTRACE too")
	flag.BoolVar(&ex.scrape, "scrape-annotations", true, "expect prometheus.io/* on the Service")
	flag.Var(&ex.args, "arg", "FLAG=VALUE: the agent's args contain FLAG followed by VALUE "+
		"(FLAG alone: present)")
	flag.Var(&ex.noArgs, "no-arg", "FLAG that must not be among the agent's args")
	flag.Var(&ex.smLabels, "sm-label", "K=V label the ServiceMonitor must carry")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: check [flags] RENDERED.yaml")
		os.Exit(2)
	}
	docs, err := readDocs(flag.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "check: %v\n", err)
		os.Exit(1)
	}
	c := &checker{docs: docs, ex: ex}
	c.all()
	fmt.Printf("checks: %d passed, %d failed\n", c.passed, c.failed)
	if c.failed > 0 {
		os.Exit(1)
	}
}

// readDocs parses every YAML document of the file; comments-only documents are skipped as
// kubectl skips them.
func readDocs(path string) ([]obj, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []obj
	for {
		var d obj
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %v", path, len(docs)+1, err)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
	return docs, nil
}

// ------------------------------------------------------------------ access helpers

func get(v interface{}, path ...string) interface{} {
	for _, p := range path {
		m, ok := v.(obj)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v interface{}, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v interface{}, path ...string) []interface{} {
	l, _ := get(v, path...).([]interface{})
	return l
}

func strs(v interface{}) []string {
	var out []string
	for _, x := range list(v) {
		s, ok := x.(string)
		if !ok {
			s = fmt.Sprintf("<non-string %v>", x)
		}
		out = append(out, s)
	}
	return out
}

func labels(v interface{}, path ...string) map[string]string {
	out := map[string]string{}
	if m, ok := get(v, path...).(obj); ok {
		for k, x := range m {
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

func subset(sub, super map[string]string) bool {
	for k, v := range sub {
		if super[k] != v {
			return false
		}
	}
	return len(sub) > 0
}

func sameSet(a, b []string) bool {
	a, b = append([]string{}, a...), append([]string{}, b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, ",") == strings.Join(b, ",")
}

func (c *checker) byKind(kind string) []obj {
	var out []obj
	for _, d := range c.docs {
		if d["kind"] == kind {
			out = append(out, d)
		}
	}
	return out
}

func (c *checker) one(kind string) obj {
	l := c.byKind(kind)
	if len(l) == 1 {
		return l[0]
	}
	return nil
}

// ------------------------------------------------------------------ checks

func (c *checker) all() {
	fmt.Println("documents")
	c.documents()
	c.kinds()
	ds := c.one("DaemonSet")
	if ds == nil {
		return
	}
	fmt.Println("daemonset")
	c.podSpec(ds)
	ctr := c.container(ds)
	if ctr != nil {
		fmt.Println("container security")
		c.security(ctr)
		fmt.Println("host access")
		c.volumes(ds, ctr)
		fmt.Println("agent settings")
		c.args(ctr)
		c.env(ctr)
	}
	fmt.Println("rbac")
	c.rbac(ds)
	fmt.Println("service and monitoring")
	c.service(ds)
	c.serviceMonitor()
	c.configMap(ds)
	c.monitoring()
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
var labelValue = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)

var clusterScoped = map[string]bool{"ClusterRole": true, "ClusterRoleBinding": true}

func (c *checker) documents() {
	for i, d := range c.docs {
		kind, name := str(d, "kind"), str(d, "metadata", "name")
		id := fmt.Sprintf("document %d (%s %s)", i+1, kind, name)
		c.ok(str(d, "apiVersion") != "" && kind != "" && name != "",
			"%s has apiVersion, kind and metadata.name", id)
		c.ok(len(name) <= 63 && dnsLabel.MatchString(name), "%s: name is a DNS label", id)
		if clusterScoped[kind] {
			c.ok(get(d, "metadata", "namespace") == nil, "%s: cluster-scoped, no namespace", id)
		} else {
			c.ok(str(d, "metadata", "namespace") == c.ex.namespace,
				"%s: in the release namespace %s", id, c.ex.namespace)
		}
		l := labels(d, "metadata", "labels")
		for _, k := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance",
			"app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
			c.ok(l[k] != "", "%s: label %s", id, k)
		}
		for k, v := range l {
			c.ok(len(v) <= 63 && labelValue.MatchString(v), "%s: label %s=%q is valid", id, k, v)
		}
	}
}

func (c *checker) kinds() {
	want := []string{"ServiceAccount", "Service", "DaemonSet"}
	if c.ex.rbac {
		want = append(want, "ClusterRole", "ClusterRoleBinding")
	}
	if c.ex.serviceMonitor {
		want = append(want, "ServiceMonitor")
	}
	if c.ex.configMap {
		want = append(want, "ConfigMap")
	}
	if c.ex.dashboard {
		want = append(want, "ConfigMap")
	}
	if c.ex.prometheusRule {
		want = append(want, "PrometheusRule")
	}
	var got []string
	for _, d := range c.docs {
		got = append(got, str(d, "kind"))
	}
	c.ok(sameSet(want, got), "kinds are exactly %v (got %v)", want, got)
}

func (c *checker) podSpec(ds obj) {
	spec := get(ds, "spec", "template", "spec")
	podLabels := labels(ds, "spec", "template", "metadata", "labels")
	c.ok(subset(labels(ds, "spec", "selector", "matchLabels"), podLabels),
		"selector matches the pod template's labels")
	c.ok(podLabels["istio.io/dataplane-mode"] == "none",
		"pod label istio.io/dataplane-mode=none (ambient opt-out)")
	c.ok(podLabels["sidecar.istio.io/inject"] == "false", "pod label sidecar.istio.io/inject=false")
	if c.ex.hostPID {
		c.ok(get(spec, "hostPID") == true, "hostPID, as asked")
	} else {
		c.ok(get(spec, "hostPID") == nil || get(spec, "hostPID") == false, "no hostPID")
	}
	c.ok(get(spec, "hostIPC") == nil || get(spec, "hostIPC") == false, "no hostIPC")
	c.ok(get(spec, "hostNetwork") == c.ex.hostNetwork || (!c.ex.hostNetwork &&
		get(spec, "hostNetwork") == nil), "hostNetwork is %v", c.ex.hostNetwork)
	if c.ex.hostNetwork {
		c.ok(str(spec, "dnsPolicy") == "ClusterFirstWithHostNet",
			"dnsPolicy ClusterFirstWithHostNet (cluster DNS names resolve on hostNetwork)")
	}
	c.ok(get(spec, "securityContext", "sysctls") == nil, "no pod sysctls")
	c.ok(len(list(spec, "initContainers")) == 0, "no init containers")
	c.ok(str(spec, "priorityClassName") == c.ex.priorityClass,
		"priorityClassName %q", c.ex.priorityClass)
	c.ok(str(ds, "spec", "updateStrategy", "type") == "RollingUpdate", "RollingUpdate strategy")
	c.tolerations(spec)
}

func (c *checker) tolerations(spec interface{}) {
	found := false
	for _, t := range list(spec, "tolerations") {
		if c.ex.toleration == "" {
			found = found || (get(t, "operator") == "Exists" && get(t, "key") == nil)
		} else {
			found = found || str(t, "key") == c.ex.toleration
		}
	}
	if c.ex.toleration == "" {
		c.ok(found, "tolerates every taint (control-plane included)")
	} else {
		c.ok(found, "tolerates taint %s", c.ex.toleration)
	}
}

// container checks what every container needs and returns the agent's.
func (c *checker) container(ds obj) obj {
	ctrs := list(ds, "spec", "template", "spec", "containers")
	if !c.ok(len(ctrs) == 1, "one container (got %d)", len(ctrs)) {
		return nil
	}
	ctr, _ := ctrs[0].(obj)
	name := str(ctr, "name")
	c.ok(str(ctr, "image") != "" && strings.Contains(str(ctr, "image"), ":"),
		"%s: image with a tag (%s)", name, str(ctr, "image"))
	for _, r := range []string{"requests.cpu", "requests.memory", "limits.memory"} {
		p := strings.Split(r, ".")
		c.ok(str(ctr, "resources", p[0], p[1]) != "", "%s: resources.%s set", name, r)
	}
	c.ok(str(ctr, "resources", "limits", "memory") == c.ex.memLimit,
		"%s: memory limit %s", name, c.ex.memLimit)
	ports := list(ctr, "ports")
	c.ok(len(ports) == 2 && get(ports[0], "containerPort") == c.ex.port &&
		str(ports[0], "name") == "metrics" && get(ports[1], "containerPort") == c.ex.healthPort &&
		str(ports[1], "name") == "health",
		"%s: two ports, metrics=%d and health=%d", name, c.ex.port, c.ex.healthPort)
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		p := get(ctr, probe, "httpGet", "port")
		c.ok(str(ctr, probe, "httpGet", "path") == "/healthz" && (p == "health" || p == c.ex.healthPort),
			"%s: %s on /healthz of the health port (never slowed by scrapes)", name, probe)
	}
	return ctr
}

func (c *checker) security(ctr obj) {
	sc := get(ctr, "securityContext")
	c.ok(get(sc, "privileged") != true, "not privileged")
	c.ok(get(sc, "allowPrivilegeEscalation") == false, "allowPrivilegeEscalation false")
	c.ok(get(sc, "readOnlyRootFilesystem") == true, "readOnlyRootFilesystem true")
	add := strs(get(sc, "capabilities", "add"))
	want := []string{"BPF", "PERFMON", "NET_ADMIN"}
	if c.ex.tls {
		want = append(want, "SYS_PTRACE")
	}
	c.ok(sameSet(add, want), "capabilities added are exactly %v (got %v)", want, add)
	drop := strs(get(sc, "capabilities", "drop"))
	c.ok(sameSet(drop, []string{"ALL"}), "capabilities drop ALL (got %v)", drop)
	seccomp := str(sc, "seccompProfile", "type")
	c.ok(seccomp == "RuntimeDefault" || seccomp == "Localhost",
		"seccomp profile RuntimeDefault or Localhost (got %q)", seccomp)
	c.ok(get(sc, "procMount") == nil || get(sc, "procMount") == "Default", "default procMount")
}

// volumes: the host paths are exactly the cgroup tree, read-only; nothing else of the host.
func (c *checker) volumes(ds, ctr obj) {
	vols := map[string]obj{}
	var hostPaths []string
	for _, v := range list(ds, "spec", "template", "spec", "volumes") {
		vm, _ := v.(obj)
		vols[str(vm, "name")] = vm
		if hp := str(vm, "hostPath", "path"); hp != "" {
			hostPaths = append(hostPaths, hp)
		}
		c.ok(get(vm, "hostPath") != nil || get(vm, "configMap") != nil,
			"volume %s is a hostPath or a ConfigMap", str(vm, "name"))
	}
	c.ok(sameSet(hostPaths, []string{c.ex.cgroupHostPath}),
		"host paths are exactly [%s] (got %v)", c.ex.cgroupHostPath, hostPaths)
	for _, m := range list(ctr, "volumeMounts") {
		name, path := str(m, "name"), str(m, "mountPath")
		v, found := vols[name]
		c.ok(found, "mount %s refers to a declared volume", path)
		c.ok(get(m, "readOnly") == true, "mount %s is read-only", path)
		c.ok(get(m, "mountPropagation") == nil || get(m, "mountPropagation") == "None",
			"mount %s propagates nothing", path)
		if str(v, "hostPath", "path") != "" {
			c.ok(path == "/sys/fs/cgroup" && str(v, "hostPath", "type") == "Directory",
				"host cgroup tree at /sys/fs/cgroup (the agent's cgroup root), type Directory")
		}
	}
}

func (c *checker) args(ctr obj) {
	raw := list(ctr, "args")
	var args []string
	allStrings := true
	for _, a := range raw {
		_, ok := a.(string)
		allStrings = allStrings && ok
		args = append(args, fmt.Sprint(a))
	}
	c.ok(len(raw) > 0 && allStrings, "args are strings (the API rejects numbers there)")
	c.ok(strings.HasSuffix(argValue(args, "--health-listen"), fmt.Sprintf(":%d", c.ex.healthPort)),
		"--health-listen on port %d (got %q)", c.ex.healthPort, argValue(args, "--health-listen"))
	c.ok(argValue(args, "--listen") == fmt.Sprintf("0.0.0.0:%d", c.ex.port) ||
		argValue(args, "--listen") == fmt.Sprintf("$(POD_IP):%d", c.ex.port),
		"--listen on 0.0.0.0 or the pod IP, port %d (got %q)", c.ex.port, argValue(args, "--listen"))
	for _, want := range c.ex.args {
		f, v, hasValue := strings.Cut(want, "=")
		if hasValue {
			c.ok(argValue(args, f) == v, "args: %s %s (got %q)", f, v, argValue(args, f))
		} else {
			c.ok(indexOf(args, f) >= 0, "args: %s", f)
		}
	}
	for _, f := range c.ex.noArgs {
		c.ok(indexOf(args, f) < 0, "args: no %s", f)
	}
	c.ok(indexOf(args, "--identities") >= 0 == c.ex.configMap,
		"--identities exactly when the ConfigMap exists")
	if p := argValue(args, "--identities"); p != "" {
		c.ok(mountedUnder(ctr, p), "--identities %s is inside a mounted volume", p)
	}
}

func indexOf(args []string, f string) int {
	for i, a := range args {
		if a == f || strings.HasPrefix(a, f+"=") {
			return i
		}
	}
	return -1
}

// argValue is FLAG's value, given as "FLAG VALUE" or "FLAG=VALUE"; "" when absent.
func argValue(args []string, f string) string {
	i := indexOf(args, f)
	switch {
	case i < 0:
		return ""
	case strings.HasPrefix(args[i], f+"="):
		return strings.TrimPrefix(args[i], f+"=")
	case i+1 < len(args):
		return args[i+1]
	}
	return ""
}

func mountedUnder(ctr obj, path string) bool {
	for _, m := range list(ctr, "volumeMounts") {
		if strings.HasPrefix(path, strings.TrimSuffix(str(m, "mountPath"), "/")+"/") {
			return true
		}
	}
	return false
}

func (c *checker) env(ctr obj) {
	found := false
	for _, e := range list(ctr, "env") {
		if str(e, "name") == "NODE_NAME" {
			found = str(e, "valueFrom", "fieldRef", "fieldPath") == "spec.nodeName"
		}
	}
	c.ok(found, "env NODE_NAME from the downward API spec.nodeName")
}

type rule struct{ group, resource, verb string }

func (c *checker) rbac(ds obj) {
	sa := c.one("ServiceAccount")
	saName := str(sa, "metadata", "name")
	c.ok(sa != nil && str(ds, "spec", "template", "spec", "serviceAccountName") == saName,
		"pods run as the chart's ServiceAccount %s", saName)
	automount := get(ds, "spec", "template", "spec", "automountServiceAccountToken")
	c.ok(automount == c.ex.rbac, "API token mounted exactly when the agent uses the API (%v)",
		c.ex.rbac)
	if !c.ex.rbac {
		return
	}
	cr, crb := c.one("ClusterRole"), c.one("ClusterRoleBinding")
	var got []string
	for _, r := range list(cr, "rules") {
		c.ok(get(r, "resourceNames") == nil && get(r, "nonResourceURLs") == nil,
			"rule without resourceNames or nonResourceURLs")
		for _, g := range strs(get(r, "apiGroups")) {
			for _, res := range strs(get(r, "resources")) {
				for _, v := range strs(get(r, "verbs")) {
					got = append(got, g+"/"+res+":"+v)
				}
			}
		}
	}
	var want []string
	resources := []string{"/pods", "/services", "discovery.k8s.io/endpointslices"}
	if c.ex.virtualServices {
		resources = append(resources, "networking.istio.io/virtualservices")
	}
	for _, gr := range resources {
		for _, v := range []string{"get", "list", "watch"} {
			want = append(want, gr+":"+v)
		}
	}
	c.ok(sameSet(got, want), "ClusterRole grants exactly get/list/watch on %v (got %v)",
		resources, got)
	c.ok(str(crb, "roleRef", "kind") == "ClusterRole" &&
		str(crb, "roleRef", "name") == str(cr, "metadata", "name") &&
		str(crb, "roleRef", "apiGroup") == "rbac.authorization.k8s.io",
		"binding refers to the ClusterRole")
	subs := list(crb, "subjects")
	c.ok(len(subs) == 1 && str(subs[0], "kind") == "ServiceAccount" &&
		str(subs[0], "name") == saName && str(subs[0], "namespace") == c.ex.namespace,
		"binding's only subject is the ServiceAccount %s/%s", c.ex.namespace, saName)
}

func (c *checker) service(ds obj) {
	svc := c.one("Service")
	if !c.ok(svc != nil, "one Service") {
		return
	}
	c.ok(subset(labels(svc, "spec", "selector"), labels(ds, "spec", "template", "metadata", "labels")),
		"Service selects the DaemonSet's pods")
	ports := list(svc, "spec", "ports")
	c.ok(len(ports) == 1 && get(ports[0], "port") == c.ex.port &&
		(get(ports[0], "targetPort") == "metrics" || get(ports[0], "targetPort") == c.ex.port) &&
		str(ports[0], "name") == "metrics",
		"Service port metrics=%d targets the container's metrics port", c.ex.port)
	c.ok(str(svc, "spec", "clusterIP") == "None", "Service is headless (one target per agent)")
	an := labels(svc, "metadata", "annotations")
	if c.ex.scrape {
		c.ok(an["prometheus.io/scrape"] == "true" && an["prometheus.io/port"] == fmt.Sprint(c.ex.port) &&
			an["prometheus.io/path"] == "/metrics", "prometheus.io scrape annotations on port %d",
			c.ex.port)
	} else {
		c.ok(an["prometheus.io/scrape"] == "", "no prometheus.io scrape annotations")
	}
}

func (c *checker) serviceMonitor() {
	sm, svc := c.one("ServiceMonitor"), c.one("Service")
	if sm == nil {
		return
	}
	c.ok(str(sm, "apiVersion") == "monitoring.coreos.com/v1", "ServiceMonitor monitoring.coreos.com/v1")
	c.ok(subset(labels(sm, "spec", "selector", "matchLabels"), labels(svc, "metadata", "labels")),
		"ServiceMonitor selects the Service")
	eps := list(sm, "spec", "endpoints")
	c.ok(len(eps) == 1 && str(eps[0], "port") == "metrics" && str(eps[0], "path") == "/metrics",
		"ServiceMonitor scrapes port metrics, /metrics")
	ns := strs(get(sm, "spec", "namespaceSelector", "matchNames"))
	c.ok(sameSet(ns, []string{c.ex.namespace}), "ServiceMonitor looks in %s", c.ex.namespace)
	l := labels(sm, "metadata", "labels")
	for _, kv := range c.ex.smLabels {
		k, v, _ := strings.Cut(kv, "=")
		c.ok(l[k] == v, "ServiceMonitor label %s=%s", k, v)
	}
}

func (c *checker) configMap(ds obj) {
	var cm obj
	for _, d := range c.byKind("ConfigMap") {
		if !isDashboard(d) {
			cm = d
		}
	}
	if cm == nil {
		return
	}
	c.ok(strings.TrimSpace(str(cm, "data", "identities")) != "", "ConfigMap holds the identities")
	used := false
	for _, v := range list(ds, "spec", "template", "spec", "volumes") {
		used = used || str(v, "configMap", "name") == str(cm, "metadata", "name")
	}
	c.ok(used, "DaemonSet mounts the ConfigMap")
	c.ok(str(ds, "spec", "template", "metadata", "annotations", "checksum/config") != "",
		"pod template carries the ConfigMap's checksum (edits roll the agents)")
}
