{{/*
Names and labels shared by every object of the chart. Names are cut to 63 characters, the
limit of a DNS label, which Kubernetes enforces on Service names and on label values.
*/}}

{{- define "meshsight.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name; the release name alone when it already contains the chart's. */}}
{{- define "meshsight.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "meshsight.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: fixed for the life of a release (a DaemonSet's selector is immutable). */}}
{{- define "meshsight.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meshsight.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "meshsight.labels" -}}
helm.sh/chart: {{ include "meshsight.chart" . }}
{{ include "meshsight.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/component: agent
app.kubernetes.io/part-of: meshsight
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "meshsight.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "meshsight.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "meshsight.image" -}}
{{- printf "%s:%s" (required "image.repository is required: no meshsight image is published; build it from the repository's Dockerfile (docker build -t REGISTRY/meshsight:TAG .), push it, and install with --set image.repository=REGISTRY/meshsight (see helm/README.md)" .Values.image.repository) (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The agent's command line, one YAML list item per argument. */}}
{{- define "meshsight.args" -}}
- --listen
- {{ printf "%s:%v" .Values.listen.host .Values.listen.port | quote }}
- --health-listen
- {{ printf "%s:%v" .Values.listen.host .Values.listen.healthPort | quote }}
{{- with .Values.cgroup.watch }}
- --cgroup
- {{ . | quote }}
{{- end }}
- --k8s
- {{ ternary "auto" "off" .Values.k8s.enabled }}
{{- if .Values.k8s.enabled }}
{{- if not (has .Values.k8s.watch (list "cluster" "node")) }}
{{- fail (printf "k8s.watch must be \"cluster\" or \"node\", not %q" .Values.k8s.watch) }}
{{- end }}
- --k8s-watch
- {{ .Values.k8s.watch }}
- --cluster-name
- {{ .Values.k8s.clusterName | quote }}
- --cluster-domain
- {{ .Values.k8s.clusterDomain | quote }}
{{- $vs := toString .Values.k8s.virtualServices }}
{{- if not (has $vs (list "off" "v1" "v1beta1")) }}
{{- fail (printf "k8s.virtualServices must be \"off\", \"v1\" or \"v1beta1\", not %q" $vs) }}
{{- end }}
{{- if ne $vs "off" }}
- --k8s-virtualservices
- {{ $vs }}
{{- end }}
{{- end }}
{{- with .Values.mesh.tunnelPorts }}
- --mesh-tunnel-ports
- {{ join "," . | quote }}
{{- end }}
{{- with .Values.mesh.trustDomain }}
- --trust-domain
- {{ . | quote }}
{{- end }}
{{- with .Values.otlp.endpoint }}
- --otlp-endpoint
- {{ . | quote }}
- --otlp-protocol
- {{ $.Values.otlp.protocol | quote }}
- --otlp-compression
- {{ $.Values.otlp.compression | quote }}
- --metrics-temporality
- {{ $.Values.otlp.metricsTemporality | quote }}
- --max-spans-per-second
- {{ $.Values.otlp.maxSpansPerSecond | quote }}
{{- end }}
{{- if .Values.agent.http }}
- --capture-bytes
- {{ .Values.agent.captureBytes | quote }}
{{- else }}
- --no-http
{{- end }}
- --max-edges
- {{ .Values.agent.maxEdges | quote }}
{{- if .Values.agent.identities }}
- --identities
- /etc/meshsight/identities
{{- end }}
{{- if .Values.agent.tls }}
{{- if not .Values.hostPID }}
{{- fail "agent.tls needs hostPID: true: the pods' processes and their libssl are visible only in the host's pid namespace" }}
{{- end }}
- --tls
- "on"
{{- end }}
{{- if .Values.agent.verbose }}
- -v
{{- end }}
{{- with .Values.extraArgs }}
{{ toYaml . }}
{{- end }}
{{- end }}
