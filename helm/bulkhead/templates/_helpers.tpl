{{/*
Naming. Every object is "<release>-bulkhead[-<component>]", cut to 63 characters, unless the
release name already contains "bulkhead".
*/}}
{{- define "bulkhead.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The name of one component: (dict "root" $ "name" "gateway"). */}}
{{- define "bulkhead.componentName" -}}
{{- printf "%s-%s" (include "bulkhead.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "bulkhead.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels shared by every object of the release (the root context). */}}
{{- define "bulkhead.commonLabels" -}}
helm.sh/chart: {{ include "bulkhead.chart" . }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: bulkhead
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "name" "gateway"). Never change them:
selectors are immutable. NetworkPolicies select the release's pods by these labels. */}}
{{- define "bulkhead.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "bulkhead.labels" -}}
{{ include "bulkhead.commonLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* The enabled services' names, sorted, as a JSON list (templates can only return strings). */}}
{{- define "bulkhead.enabledServices" -}}
{{- $names := list -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* An image reference: (dict "root" $ "image" .image). The tag falls back to global.image.tag,
then to the chart's appVersion; a digest, when given, wins. */}}
{{- define "bulkhead.image" -}}
{{- $global := .root.Values.global.image -}}
{{- $repository := .image.repository -}}
{{- if $global.registry -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" $global.registry) $repository -}}
{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repository .image.digest -}}
{{- else -}}
{{- $tag := .image.tag | default $global.tag | default .root.Chart.AppVersion | toString -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The shard map as the services' config parser reads it (libs/config, shardMapSchema):
an ordered JSON array of {"id", "url"}, the URL without credentials. */}}
{{- define "bulkhead.shardMap" -}}
{{- $shards := list -}}
{{- $seen := dict -}}
{{- range .Values.shards -}}
{{- if hasKey $seen .id -}}
{{- fail (printf "shards: the id %q is used twice; shard ids must be unique" .id) -}}
{{- end -}}
{{- $_ := set $seen .id true -}}
{{- $url := printf "postgres://%s:%d/%s" .host (int .port) .database -}}
{{- if .sslmode -}}
{{- $url = printf "%s?sslmode=%s" $url .sslmode -}}
{{- end -}}
{{- $shards = append $shards (dict "id" .id "url" $url) -}}
{{- end -}}
{{- toJson $shards -}}
{{- end -}}

{{/* The keys each secret group must hold, by group name. */}}
{{- define "bulkhead.secretKeys" -}}
{{- toJson (dict
  "shardDatabase" (list "SHARD_DATABASE_USER" "SHARD_DATABASE_PASSWORD")
  "relayDatabase" (list "RELAY_DATABASE_USER" "RELAY_DATABASE_PASSWORD")
  "shardOwnerDatabase" (list "SHARD_OWNER_DATABASE_USER" "SHARD_OWNER_DATABASE_PASSWORD")
  "identityOwnerDatabase" (list "IDENTITY_DATABASE_OWNER_URL")
  "auditOwnerDatabase" (list "AUDIT_DATABASE_OWNER_URL")
  "identityDatabase" (list "IDENTITY_DATABASE_URL")
  "placementDatabase" (list "PLACEMENT_DATABASE_URL")
  "auditDatabase" (list "AUDIT_DATABASE_URL")
  "redis" (list "REDIS_URL")
  "kafka" (list "KAFKA_BROKERS")
  "signingKeys" (list "SIGNING_KEY_ENCRYPTION_KEY")
  "agentKeys" (list "AGENT_MASTER_KEY")
  "workloadKeys" (list "WORKLOAD_KEY" "WORKLOAD_KEYS")
) -}}
{{- end -}}

{{/* The Secret name of one group: (dict "root" $ "group" "redis"). */}}
{{- define "bulkhead.secretName" -}}
{{- $group := index .root.Values.secrets .group -}}
{{- if $group.existingSecret -}}
{{- $group.existingSecret -}}
{{- else -}}
{{- include "bulkhead.componentName" (dict "root" .root "name" (kebabcase .group)) -}}
{{- end -}}
{{- end -}}

{{/* A Secret created from values: (dict "root" $ "group" "redis" "annotations" (dict ...)).
Fails when a key the services read is missing or empty. */}}
{{- define "bulkhead.secretFromValues" -}}
{{- $group := index .root.Values.secrets .group -}}
{{- $keys := index (include "bulkhead.secretKeys" .root | fromJson) .group -}}
apiVersion: v1
kind: Secret
type: Opaque
metadata:
  name: {{ include "bulkhead.secretName" . }}
  labels:
    {{- include "bulkhead.commonLabels" .root | nindent 4 }}
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
stringData:
  {{- range $keys }}
  {{ . }}: {{ required (printf "secrets.%s: set existingSecret, or values.%s" $.group .) (index $group.values .) | quote }}
  {{- end }}
{{- end -}}

{{/* Security context of every pod: the images run as user 10001 (see the Dockerfile). */}}
{{- define "bulkhead.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Security context of every container: read-only root filesystem (writes go to the /tmp
emptyDir), no privilege escalation, no capabilities. */}}
{{- define "bulkhead.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* One egress rule to a port: (dict "rule" .Values.networkPolicy.egress.postgres
"protocols" (list "TCP")). An empty "to" allows any destination on that port. */}}
{{- define "bulkhead.egressRule" -}}
- ports:
    {{- range .protocols }}
    - port: {{ $.rule.port }}
      protocol: {{ . }}
    {{- end }}
  {{- with .rule.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* The <PEER>_GRPC_ADDRESS variables of one service: (dict "root" $ "name" "org" "svc" $svc), one
per name in its grpcPeers: the peer's Service and gRPC port. Fails when a peer is not enabled. */}}
{{- define "bulkhead.grpcPeerEnv" -}}
{{- range $peer := .svc.grpcPeers | default list }}
{{- $peerValues := index $.root.Values.services $peer }}
{{- if not $peerValues.enabled }}
{{- fail (printf "services.%s.grpcPeers: %s is not enabled, so nothing answers %s_GRPC_ADDRESS" $.name $peer (upper $peer)) }}
{{- end }}
- name: {{ upper $peer }}_GRPC_ADDRESS
  value: {{ printf "%s:%d" (include "bulkhead.componentName" (dict "root" $.root "name" $peer)) (int $peerValues.ports.grpc) | quote }}
{{- end }}
{{- end -}}
