// SPDX-License-Identifier: BSD-2-Clause

// The monitoring objects: the Grafana dashboard ConfigMap (valid JSON the sidecar loads, every
// panel querying meshsight_* families) and the PrometheusRule (every rule complete, the agent's
// health and each event kind covered). Which meshsight_* names exist is checked by run.sh
// against the agent binary; the rule expressions by promtool when it is installed.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

var metricName = regexp.MustCompile(`meshsight_[a-z0-9_]+`)

func isDashboard(d obj) bool {
	return d["kind"] == "ConfigMap" && str(d, "metadata", "labels", "grafana_dashboard") != ""
}

func (c *checker) monitoring() {
	var dash []obj
	for _, d := range c.byKind("ConfigMap") {
		if isDashboard(d) {
			dash = append(dash, d)
		}
	}
	if c.ex.dashboard || len(dash) > 0 {
		fmt.Println("grafana dashboard")
		if c.ok(len(dash) == 1, "one dashboard ConfigMap (got %d)", len(dash)) {
			c.dashboard(dash[0])
		}
	}
	if c.ex.prometheusRule || len(c.byKind("PrometheusRule")) > 0 {
		fmt.Println("prometheus rule")
		if r := c.one("PrometheusRule"); c.ok(r != nil, "one PrometheusRule") {
			c.rule(r)
		}
	}
}

func (c *checker) dashboard(cm obj) {
	c.ok(str(cm, "metadata", "labels", "grafana_dashboard") == "1",
		"label grafana_dashboard=1 (the sidecar's default selector)")
	var d struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	err := json.Unmarshal([]byte(str(cm, "data", "meshsight.json")), &d)
	if !c.ok(err == nil, "data meshsight.json is JSON (%v)", err) {
		return
	}
	c.ok(d.Title != "" && d.UID != "", "dashboard has a title and a uid")
	graphs, health := 0, false
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		graphs++
		c.ok(len(p.Targets) > 0, "panel %q has queries", p.Title)
		for _, t := range p.Targets {
			c.ok(metricName.MatchString(t.Expr), "panel %q queries meshsight_*: %s", p.Title, t.Expr)
			health = health || strings.Contains(t.Expr, "meshsight_events_dropped_total")
		}
	}
	c.ok(graphs >= 6, "at least 6 graph panels (got %d)", graphs)
	c.ok(health, "a panel shows the agent's own health (meshsight_events_dropped_total)")
}

func (c *checker) rule(r obj) {
	groups := list(r, "spec", "groups")
	c.ok(len(groups) > 0, "PrometheusRule has groups")
	seen := map[string]bool{}
	for _, g := range groups {
		for _, ru := range list(g, "rules") {
			alert, expr := str(ru, "alert"), str(ru, "expr")
			c.ok(alert != "" && metricName.MatchString(expr),
				"rule %q alerts on a meshsight_* expression", alert)
			sev := str(ru, "labels", "severity")
			c.ok(sev == "info" || sev == "warning" || sev == "critical",
				"rule %q: severity info, warning or critical (got %q)", alert, sev)
			c.ok(str(ru, "annotations", "summary") != "", "rule %q has a summary", alert)
			for _, m := range metricName.FindAllString(expr, -1) {
				seen[m] = true
			}
			for _, k := range []string{"new_edge", "auth_failures", "error_rate", "latency",
				"rate_change"} {
				if strings.Contains(expr, `kind="`+k+`"`) {
					seen["kind:"+k] = true
				}
			}
		}
	}
	for _, m := range []string{"meshsight_events_dropped_total", "meshsight_otlp_batches_total",
		"meshsight_k8s_errors_total", "kind:new_edge", "kind:auth_failures", "kind:error_rate",
		"kind:latency", "kind:rate_change"} {
		c.ok(seen[m], "an alert covers %s", m)
	}
	if c.ex.rulesOut != "" {
		spec, _ := yaml.Marshal(get(r, "spec"))
		c.ok(os.WriteFile(c.ex.rulesOut, spec, 0o644) == nil, "rules written to %s", c.ex.rulesOut)
	}
}
