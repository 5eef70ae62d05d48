// SPDX-License-Identifier: BSD-2-Clause

// Command render is a small stand-in for `helm template`, for machines without helm (Debian
// does not package it). It renders a chart the way helm 3 does for the features charts like
// helm/meshsight use: Chart.yaml and values.yaml, -f values files and --set overrides merged
// over the defaults, .Release/.Chart/.Values/.Capabilities/.Template, text/template with
// sprig's functions (minus env and expandenv, as in helm) plus helm's include, tpl, toYaml,
// fromYaml, toJson, required, fail and lookup, the chart's kubeVersion constraint, partials
// from _*.tpl, NOTES.txt skipped, documents sorted in helm's install order, each rendered
// document parsed as YAML.
//
// It is not helm: `helm lint` and `helm template` remain the real check, and tests/helm/run.sh
// uses them whenever helm is on the PATH.
//
//	render [--name N] [--namespace NS] [-f FILE]... [--set K=V]... [--api-versions G/V[/Kind]]...
//	       [--kube-version vX.Y.Z] CHART_DIR
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type options struct {
	name, namespace, kubeVersion  string
	valueFiles, sets, apiVersions []string
	chartDir                      string
}

type capabilities struct {
	APIVersions versionSet
	KubeVersion kubeVersion
}

type kubeVersion struct {
	Version, Major, Minor, GitVersion string
}

func (k kubeVersion) String() string { return k.Version }

// versionSet answers .Capabilities.APIVersions.Has "apps/v1" or "apps/v1/DaemonSet".
type versionSet []string

func (v versionSet) Has(s string) bool {
	for _, x := range v {
		if x == s {
			return true
		}
	}
	return false
}

// The groups every supported cluster serves; --api-versions adds CRDs such as
// monitoring.coreos.com/v1, as with helm template.
var defaultAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "policy/v1", "rbac.authorization.k8s.io/v1",
	"discovery.k8s.io/v1", "networking.k8s.io/v1", "scheduling.k8s.io/v1",
	"apiextensions.k8s.io/v1", "admissionregistration.k8s.io/v1",
}

func main() {
	opts, err := parseArgs(os.Args[1:])
	if err == nil {
		err = run(opts)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "render: %v\n", err)
		os.Exit(1)
	}
}

func parseArgs(args []string) (*options, error) {
	o := &options{name: "release-name", namespace: "default", kubeVersion: "v1.30.0"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if o.chartDir != "" {
				return nil, fmt.Errorf("one chart directory expected, got %q and %q", o.chartDir, a)
			}
			o.chartDir = a
			continue
		}
		if i+1 >= len(args) {
			return nil, fmt.Errorf("%s needs a value", a)
		}
		i++
		switch a {
		case "--name":
			o.name = args[i]
		case "--namespace", "-n":
			o.namespace = args[i]
		case "-f", "--values":
			o.valueFiles = append(o.valueFiles, args[i])
		case "--set":
			o.sets = append(o.sets, args[i])
		case "--api-versions", "-a":
			o.apiVersions = append(o.apiVersions, args[i])
		case "--kube-version":
			o.kubeVersion = args[i]
		default:
			return nil, fmt.Errorf("unknown flag %s (see the comment at the top of render/main.go)", a)
		}
	}
	if o.chartDir == "" {
		return nil, errors.New("usage: render [flags] CHART_DIR")
	}
	return o, nil
}

func run(o *options) error {
	chart, err := readYAMLMap(filepath.Join(o.chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	if chart["apiVersion"] != "v2" || chart["name"] == nil || chart["version"] == nil {
		return errors.New("Chart.yaml: apiVersion v2, name and version are required")
	}
	values, err := loadValues(o)
	if err != nil {
		return err
	}
	caps, err := newCapabilities(o, chart)
	if err != nil {
		return err
	}
	docs, err := renderChart(o, chart, values, caps)
	if err != nil {
		return err
	}
	for _, d := range docs {
		fmt.Printf("---\n# Source: %s\n%s\n", d.source, strings.TrimSpace(d.body))
	}
	return nil
}

// ------------------------------------------------------------------ values

// readYAMLMap reads a YAML mapping, with numbers as float64 the way helm's JSON round-trip
// leaves them (so a template printing a large number shows what helm would show).
func readYAMLMap(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v interface{}
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if v == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := normalize(v).(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("%s: top level is not a mapping", path)
	}
	return m, nil
}

func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case []interface{}:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	}
	return v
}

func loadValues(o *options) (map[string]interface{}, error) {
	values, err := readYAMLMap(filepath.Join(o.chartDir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	for _, f := range o.valueFiles {
		over, err := readYAMLMap(f)
		if err != nil {
			return nil, err
		}
		values = coalesce(over, values)
	}
	for _, s := range o.sets {
		if err := applySet(values, s); err != nil {
			return nil, fmt.Errorf("--set %s: %v", s, err)
		}
	}
	return values, nil
}

// coalesce merges over into base as helm does: maps merge key by key, anything else replaces,
// and an explicit null deletes the default.
func coalesce(over, base map[string]interface{}) map[string]interface{} {
	for k, v := range over {
		if v == nil {
			delete(base, k)
			continue
		}
		om, ok1 := v.(map[string]interface{})
		bm, ok2 := base[k].(map[string]interface{})
		if ok1 && ok2 {
			base[k] = coalesce(om, bm)
		} else {
			base[k] = v
		}
	}
	return base
}

// applySet handles helm's --set syntax for what charts are commonly given: a.b.c=v, a[0]=v,
// a={x,y}, several pairs separated by commas, "\," for a literal comma; values typed as helm
// types them (true/false, integers, null; everything else a string).
func applySet(values map[string]interface{}, expr string) error {
	for _, pair := range splitUnescaped(expr, ',') {
		eq := strings.IndexByte(pair, '=')
		if eq <= 0 {
			return fmt.Errorf("%q is not key=value", pair)
		}
		if err := setPath(values, pair[:eq], parseSetValue(pair[eq+1:])); err != nil {
			return err
		}
	}
	return nil
}

// splitUnescaped splits on sep outside {...} lists, honouring backslash escapes.
func splitUnescaped(s string, sep byte) []string {
	var out []string
	var cur strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '{':
			depth++
			cur.WriteByte(c)
		case c == '}':
			depth--
			cur.WriteByte(c)
		case c == sep && depth == 0:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}

func parseSetValue(s string) interface{} {
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		list := []interface{}{}
		if inner := s[1 : len(s)-1]; inner != "" {
			for _, x := range strings.Split(inner, ",") {
				list = append(list, parseSetValue(x))
			}
		}
		return list
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	var n int64
	if _, err := fmt.Sscanf(s, "%d", &n); err == nil && fmt.Sprint(n) == s {
		return float64(n)
	}
	return s
}

func setPath(m map[string]interface{}, path string, val interface{}) error {
	keys := strings.Split(path, ".")
	for i, k := range keys {
		name, idx, err := splitIndex(k)
		if err != nil {
			return err
		}
		last := i == len(keys)-1
		if idx < 0 {
			if last {
				m[name] = val
				return nil
			}
			next, ok := m[name].(map[string]interface{})
			if !ok {
				next = map[string]interface{}{}
				m[name] = next
			}
			m = next
			continue
		}
		list, _ := m[name].([]interface{})
		for len(list) <= idx {
			list = append(list, nil)
		}
		m[name] = list
		if last {
			list[idx] = val
			return nil
		}
		next, ok := list[idx].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			list[idx] = next
		}
		m = next
	}
	return nil
}

// splitIndex turns "tolerations[2]" into ("tolerations", 2) and "a" into ("a", -1).
func splitIndex(k string) (string, int, error) {
	open := strings.IndexByte(k, '[')
	if open < 0 {
		return k, -1, nil
	}
	var idx int
	if _, err := fmt.Sscanf(k[open:], "[%d]", &idx); err != nil || idx < 0 || idx > 1000 {
		return "", 0, fmt.Errorf("bad list index in %q", k)
	}
	return k[:open], idx, nil
}

// ------------------------------------------------------------------ capabilities

func newCapabilities(o *options, chart map[string]interface{}) (*capabilities, error) {
	kv, err := semver.NewVersion(o.kubeVersion)
	if err != nil {
		return nil, fmt.Errorf("--kube-version %s: %v", o.kubeVersion, err)
	}
	if c, ok := chart["kubeVersion"].(string); ok && c != "" {
		constraint, err := semver.NewConstraint(c)
		if err != nil {
			return nil, fmt.Errorf("Chart.yaml kubeVersion %q: %v", c, err)
		}
		if !constraint.Check(kv) {
			return nil, fmt.Errorf("chart requires kubeVersion %s, which is incompatible with "+
				"Kubernetes %s", c, o.kubeVersion)
		}
	}
	return &capabilities{
		APIVersions: append(append(versionSet{}, defaultAPIVersions...), o.apiVersions...),
		KubeVersion: kubeVersion{
			Version:    "v" + kv.String(),
			Major:      fmt.Sprint(kv.Major()),
			Minor:      fmt.Sprint(kv.Minor()),
			GitVersion: "v" + kv.String(),
		},
	}, nil
}

// ------------------------------------------------------------------ templates

type document struct {
	source, kind, body string
}

// Helm's install order (releaseutil.InstallOrder), for the kinds a chart like this has.
var installOrder = []string{
	"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap",
	"StorageClass", "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition",
	"ClusterRole", "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role",
	"RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
	"ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
	"StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
}

func kindRank(kind string) int {
	for i, k := range installOrder {
		if k == kind {
			return i
		}
	}
	return len(installOrder)
}

func renderChart(o *options, chart, values map[string]interface{}, caps *capabilities) ([]document, error) {
	name := chart["name"].(string)
	files, err := filepath.Glob(filepath.Join(o.chartDir, "templates", "*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	root := template.New("chart").Option("missingkey=zero")
	root.Funcs(funcMap(root))
	var renderable []string
	for _, f := range files {
		base := filepath.Base(f)
		if st, err := os.Stat(f); err != nil || st.IsDir() {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		tname := name + "/templates/" + base
		if _, err := root.New(tname).Parse(string(data)); err != nil {
			return nil, fmt.Errorf("parse error in %s", strings.TrimPrefix(err.Error(), "template: "))
		}
		if !strings.HasPrefix(base, "_") && base != "NOTES.txt" {
			renderable = append(renderable, tname)
		}
	}
	top := map[string]interface{}{
		"Values": values,
		"Chart":  chartObject(chart),
		"Release": map[string]interface{}{
			"Name": o.name, "Namespace": o.namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": caps,
	}
	var docs []document
	for _, tname := range renderable {
		d, err := renderOne(root, tname, top, name)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	sort.SliceStable(docs, func(i, j int) bool { return kindRank(docs[i].kind) < kindRank(docs[j].kind) })
	return docs, nil
}

// chartObject exposes Chart.yaml's fields with helm's capitalised names (.Chart.AppVersion).
func chartObject(chart map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range chart {
		switch k {
		case "apiVersion":
			out["APIVersion"] = v
		default:
			out[strings.ToUpper(k[:1])+k[1:]] = v
		}
	}
	return out
}

func withTemplate(top map[string]interface{}, tname, chartName string) map[string]interface{} {
	scoped := map[string]interface{}{}
	for k, v := range top {
		scoped[k] = v
	}
	scoped["Template"] = map[string]interface{}{
		"Name": tname, "BasePath": chartName + "/templates",
	}
	return scoped
}

// renderOne executes one template file and splits its output into YAML documents, each parsed
// so that a template producing broken YAML fails here as it fails in helm.
func renderOne(root *template.Template, tname string, top map[string]interface{}, chartName string) ([]document, error) {
	var buf bytes.Buffer
	if err := root.ExecuteTemplate(&buf, tname, withTemplate(top, tname, chartName)); err != nil {
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "template: "))
	}
	out := strings.ReplaceAll(buf.String(), "<no value>", "")
	var docs []document
	for _, part := range splitDocuments(out) {
		if strings.TrimSpace(stripComments(part)) == "" {
			continue
		}
		var head struct {
			Kind string `yaml:"kind"`
		}
		if err := yaml.Unmarshal([]byte(part), &head); err != nil {
			return nil, fmt.Errorf("YAML parse error on %s: %v\n%s", tname, err, numbered(part))
		}
		docs = append(docs, document{source: tname, kind: head.Kind, body: part})
	}
	return docs, nil
}

func splitDocuments(s string) []string {
	var docs []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " ") == "---" {
			docs = append(docs, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	return append(docs, strings.Join(cur, "\n"))
}

func stripComments(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

func numbered(s string) string {
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		fmt.Fprintf(&b, "%4d | %s\n", i+1, line)
	}
	return b.String()
}

// ------------------------------------------------------------------ functions

const maxIncludeDepth = 1000

// funcMap is sprig's text functions without env and expandenv (helm removes them so that a
// chart renders the same on every machine), plus helm's own.
func funcMap(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	depth := 0
	f["include"] = func(name string, data interface{}) (string, error) {
		if depth++; depth > maxIncludeDepth {
			return "", fmt.Errorf("include %q: nested too deep (recursive template?)", name)
		}
		defer func() { depth-- }()
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("tpl: %v", err)
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	f["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	f["toYaml"] = toYAML
	f["fromYaml"] = fromYAML
	// Offline, as in helm template: lookup finds nothing.
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	return f
}

// toYAML is helm's: errors become "", and the trailing newline is trimmed.
func toYAML(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	enc.Close()
	return strings.TrimSuffix(buf.String(), "\n")
}

// fromYAML is helm's: a map, or {"Error": message} when the text is not a mapping.
func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}
