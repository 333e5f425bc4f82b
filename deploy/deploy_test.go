// Package deploy_test validates the deployment files offline: no cluster,
// no Docker engine and no schema download. Each Kubernetes document is
// decoded strictly into its k8s.io/api type (an unknown or misspelt field
// fails), then checked for what a typed decode cannot see: selectors that
// match pod labels, probes on the served paths and port, the MinIO node list.
package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	k8syaml "sigs.k8s.io/yaml"
)

// manifests holds every decoded Kubernetes object, by kind.
type manifests struct {
	deployments  []*appsv1.Deployment
	statefulSets []*appsv1.StatefulSet
	services     []*corev1.Service
	configMaps   []*corev1.ConfigMap
	secrets      []*corev1.Secret
	namespaces   []*corev1.Namespace
}

// newObject returns the typed object for a document's apiVersion and kind,
// or nil for one this test does not know (which fails: add it here).
func (m *manifests) newObject(apiVersion, kind string) any {
	switch apiVersion + " " + kind {
	case "apps/v1 Deployment":
		o := &appsv1.Deployment{}
		m.deployments = append(m.deployments, o)
		return o
	case "apps/v1 StatefulSet":
		o := &appsv1.StatefulSet{}
		m.statefulSets = append(m.statefulSets, o)
		return o
	case "v1 Service":
		o := &corev1.Service{}
		m.services = append(m.services, o)
		return o
	case "v1 ConfigMap":
		o := &corev1.ConfigMap{}
		m.configMaps = append(m.configMaps, o)
		return o
	case "v1 Secret":
		o := &corev1.Secret{}
		m.secrets = append(m.secrets, o)
		return o
	case "v1 Namespace":
		o := &corev1.Namespace{}
		m.namespaces = append(m.namespaces, o)
		return o
	case "v1 PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}
	}
	return nil
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

func mustLoadManifests(t *testing.T) *manifests {
	t.Helper()
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/k8s: %v", err)
	}
	m := &manifests{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docSeparator.Split(string(data), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var tm metav1.TypeMeta
			if err := k8syaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Errorf("%s document %d: %v", f, i+1, err)
				continue
			}
			obj := m.newObject(tm.APIVersion, tm.Kind)
			if obj == nil {
				t.Errorf("%s document %d: %s %s is not known to this test: add its type to newObject", f, i+1, tm.APIVersion, tm.Kind)
				continue
			}
			if err := k8syaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Errorf("%s document %d (%s): %v", f, i+1, tm.Kind, err)
			}
		}
	}
	return m
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestKubernetesManifests(t *testing.T) {
	m := mustLoadManifests(t)
	if len(m.deployments) != 1 || len(m.statefulSets) != 2 {
		t.Fatalf("got %d Deployments and %d StatefulSets, want 1 (naskah) and 2 (minio, meilisearch)", len(m.deployments), len(m.statefulSets))
	}
	ns := "naskah"
	for _, o := range m.namespaces {
		ns = o.Name
	}

	// Every workload: selector ⊆ pod labels, one Service selects its pods,
	// every Secret and ConfigMap it names exists with the key it reads.
	type workload struct {
		name     string
		selector *metav1.LabelSelector
		pod      corev1.PodTemplateSpec
	}
	var ws []workload
	for _, d := range m.deployments {
		ws = append(ws, workload{d.Name, d.Spec.Selector, d.Spec.Template})
	}
	for _, s := range m.statefulSets {
		ws = append(ws, workload{s.Name, s.Spec.Selector, s.Spec.Template})
	}
	for _, w := range ws {
		if w.selector == nil || len(w.selector.MatchLabels) == 0 {
			t.Errorf("%s: no selector", w.name)
			continue
		}
		for k, v := range w.selector.MatchLabels {
			if w.pod.Labels[k] != v {
				t.Errorf("%s: selector %s=%s does not match the pod labels %v", w.name, k, v, w.pod.Labels)
			}
		}
		if svc := serviceFor(m, w.pod.Labels); svc == nil {
			t.Errorf("%s: no Service selects its pods", w.name)
		} else {
			for _, p := range svc.Spec.Ports {
				if p.TargetPort.Type == intstr.String && containerPort(w.pod.Spec, p.TargetPort) == 0 {
					t.Errorf("Service %s: targetPort %q is no container port of %s", svc.Name, p.TargetPort.StrVal, w.name)
				}
			}
		}
		for _, c := range w.pod.Spec.Containers {
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s/%s: resources requests.cpu and limits.memory must be set", w.name, c.Name)
			}
			if c.LivenessProbe == nil || c.ReadinessProbe == nil {
				t.Errorf("%s/%s: liveness and readiness probes must be set", w.name, c.Name)
			}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					ref := e.ValueFrom.SecretKeyRef
					if !secretHasKey(m, ref.Name, ref.Key) {
						t.Errorf("%s/%s: env %s reads Secret %s key %s, which no manifest defines", w.name, c.Name, e.Name, ref.Name, ref.Key)
					}
				}
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && configMap(m, ef.ConfigMapRef.Name) == nil {
					t.Errorf("%s/%s: envFrom ConfigMap %s is not defined", w.name, c.Name, ef.ConfigMapRef.Name)
				}
			}
		}
		for _, v := range w.pod.Spec.Volumes {
			if v.Secret != nil && !secretHasKey(m, v.Secret.SecretName, "") {
				t.Errorf("%s: volume %s names Secret %s, which is not defined", w.name, v.Name, v.Secret.SecretName)
			}
		}
	}

	t.Run("naskah", func(t *testing.T) {
		d := m.deployments[0]
		if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
			t.Errorf("naskah replicas: got %v, want several (3)", d.Spec.Replicas)
		}
		c := d.Spec.Template.Spec.Containers[0]
		cm := configMap(m, "naskah-config")
		if cm == nil {
			t.Fatal("ConfigMap naskah-config is missing")
		}
		_, listenPort, _ := strings.Cut(cm.Data["NASKAH_LISTEN"], ":")
		for _, p := range []struct {
			name  string
			probe *corev1.Probe
			path  string
		}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
			if p.probe == nil || p.probe.HTTPGet == nil {
				t.Errorf("%s probe: not an HTTP GET", p.name)
				continue
			}
			if p.probe.HTTPGet.Path != p.path {
				t.Errorf("%s probe path: got %s, want %s", p.name, p.probe.HTTPGet.Path, p.path)
			}
			if port := containerPort(d.Spec.Template.Spec, p.probe.HTTPGet.Port); port == 0 || strconv.Itoa(int(port)) != listenPort {
				t.Errorf("%s probe port %s: container port %d, but NASKAH_LISTEN listens on %q", p.name, p.probe.HTTPGet.Port.String(), port, listenPort)
			}
		}
		env := map[string]bool{}
		for _, e := range c.Env {
			env[e.Name] = true
		}
		for _, want := range []string{"NASKAH_MINIO_ACCESS_KEY", "NASKAH_MINIO_SECRET_KEY", "NASKAH_MEILI_KEY", "NASKAH_SESSION_SECRET"} {
			if !env[want] || cm.Data[want] != "" {
				t.Errorf("%s must come from a Secret (and not from the ConfigMap)", want)
			}
		}
		if host, _, _ := strings.Cut(cm.Data["NASKAH_MINIO_ENDPOINT"], ":"); !strings.HasPrefix(host, "minio.") {
			t.Errorf("NASKAH_MINIO_ENDPOINT %q does not name the minio Service", cm.Data["NASKAH_MINIO_ENDPOINT"])
		}
	})

	t.Run("minio", func(t *testing.T) {
		s := statefulSet(m, "minio")
		if s == nil {
			t.Fatal("StatefulSet minio is missing")
		}
		if s.Spec.Replicas == nil || *s.Spec.Replicas != 4 {
			t.Errorf("minio replicas: got %v, want 4", s.Spec.Replicas)
		}
		if svc := service(m, s.Spec.ServiceName); svc == nil || svc.Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("minio serviceName %q: want a headless Service (clusterIP: None)", s.Spec.ServiceName)
		}
		args := s.Spec.Template.Spec.Containers[0].Args
		nodes := minioNodes(t, args)
		if len(nodes) != 4 {
			t.Errorf("minio server args %v name %d nodes, want 4", args, len(nodes))
		}
		for i, n := range nodes {
			want := fmt.Sprintf("http://%s-%d.%s.%s.svc.cluster.local/data", s.Name, i, s.Spec.ServiceName, ns)
			if n != want {
				t.Errorf("minio node %d: got %s, want %s (pod name . headless service . namespace)", i, n, want)
			}
		}
		if len(s.Spec.VolumeClaimTemplates) == 0 || !mounts(s.Spec.Template.Spec.Containers[0], s.Spec.VolumeClaimTemplates[0].Name, "/data") {
			t.Errorf("minio: a PVC template mounted at /data is required")
		}
		for _, p := range []*corev1.Probe{s.Spec.Template.Spec.Containers[0].LivenessProbe, s.Spec.Template.Spec.Containers[0].ReadinessProbe} {
			if p == nil || p.HTTPGet == nil || !strings.HasPrefix(p.HTTPGet.Path, "/minio/health/") {
				t.Errorf("minio probes must use /minio/health/*")
			}
		}
	})

	t.Run("meilisearch", func(t *testing.T) {
		s := statefulSet(m, "meilisearch")
		if s == nil {
			t.Fatal("StatefulSet meilisearch is missing")
		}
		if len(s.Spec.VolumeClaimTemplates) == 0 || !mounts(s.Spec.Template.Spec.Containers[0], s.Spec.VolumeClaimTemplates[0].Name, "/meili_data") {
			t.Errorf("meilisearch: a PVC template mounted at /meili_data is required")
		}
		cm := configMap(m, "naskah-config")
		if cm != nil && !strings.Contains(cm.Data["NASKAH_MEILI_URL"], "meilisearch.") {
			t.Errorf("NASKAH_MEILI_URL %q does not name the meilisearch Service", cm.Data["NASKAH_MEILI_URL"])
		}
	})
}

// minioNodes expands MinIO's {a...b} ellipsis notation in the server args.
func minioNodes(t *testing.T, args []string) []string {
	t.Helper()
	re := regexp.MustCompile(`\{(\d+)\.\.\.(\d+)\}`)
	var nodes []string
	for _, a := range args {
		if !strings.HasPrefix(a, "http://") && !strings.HasPrefix(a, "https://") {
			continue
		}
		loc := re.FindStringSubmatchIndex(a)
		if loc == nil {
			nodes = append(nodes, a)
			continue
		}
		lo, _ := strconv.Atoi(a[loc[2]:loc[3]])
		hi, _ := strconv.Atoi(a[loc[4]:loc[5]])
		for i := lo; i <= hi; i++ {
			nodes = append(nodes, a[:loc[0]]+strconv.Itoa(i)+a[loc[1]:])
		}
	}
	return nodes
}

func serviceFor(m *manifests, podLabels map[string]string) *corev1.Service {
	for _, s := range m.services {
		if len(s.Spec.Selector) == 0 {
			continue
		}
		match := true
		for k, v := range s.Spec.Selector {
			if podLabels[k] != v {
				match = false
			}
		}
		if match {
			return s
		}
	}
	return nil
}

func containerPort(pod corev1.PodSpec, p intstr.IntOrString) int32 {
	for _, c := range pod.Containers {
		for _, cp := range c.Ports {
			if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
				return cp.ContainerPort
			}
		}
	}
	return 0
}

func mounts(c corev1.Container, volume, path string) bool {
	return slices.ContainsFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool { return v.Name == volume && v.MountPath == path })
}

// secretHasKey reports whether Secret name exists and (key != "") has key.
func secretHasKey(m *manifests, name, key string) bool {
	for _, s := range m.secrets {
		if s.Name != name {
			continue
		}
		if key == "" {
			return true
		}
		_, a := s.StringData[key]
		_, b := s.Data[key]
		return a || b
	}
	return false
}

func configMap(m *manifests, name string) *corev1.ConfigMap {
	for _, c := range m.configMaps {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func service(m *manifests, name string) *corev1.Service {
	for _, s := range m.services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func statefulSet(m *manifests, name string) *appsv1.StatefulSet {
	for _, s := range m.statefulSets {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// composeFile is the part of the Compose specification these files use;
// KnownFields refuses anything else, so a misspelt key fails here.
type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Build       map[string]string         `yaml:"build"`
	Image       string                    `yaml:"image"`
	Restart     string                    `yaml:"restart"`
	Command     []string                  `yaml:"command"`
	Ports       []string                  `yaml:"ports"`
	Environment map[string]string         `yaml:"environment"`
	Volumes     []string                  `yaml:"volumes"`
	DependsOn   map[string]map[string]any `yaml:"depends_on"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
}

func TestComposeFile(t *testing.T) {
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c composeFile
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"naskah", "minio", "meilisearch"} {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("service %s is missing", name)
			continue
		}
		if s.Healthcheck == nil || len(s.Healthcheck.Test) == 0 {
			t.Errorf("service %s has no healthcheck", name)
		}
		for _, v := range s.Volumes {
			vol, _, _ := strings.Cut(v, ":")
			if _, ok := c.Volumes[vol]; !ok && !strings.HasPrefix(vol, ".") && !strings.HasPrefix(vol, "/") {
				t.Errorf("service %s mounts volume %s, which is not declared", name, vol)
			}
		}
	}
	n := c.Services["naskah"]
	for _, dep := range []string{"minio", "meilisearch"} {
		if n.DependsOn[dep]["condition"] != "service_healthy" {
			t.Errorf("naskah must depend on %s being healthy", dep)
		}
	}
	if h, _, _ := strings.Cut(n.Environment["NASKAH_MINIO_ENDPOINT"], ":"); h != "minio" {
		t.Errorf("NASKAH_MINIO_ENDPOINT %q does not name the minio service", n.Environment["NASKAH_MINIO_ENDPOINT"])
	}
	if !strings.Contains(n.Environment["NASKAH_MEILI_URL"], "//meilisearch:") {
		t.Errorf("NASKAH_MEILI_URL %q does not name the meilisearch service", n.Environment["NASKAH_MEILI_URL"])
	}
	if n.Build["dockerfile"] == "" {
		t.Errorf("naskah must be built from the Dockerfile")
	} else if _, err := os.Stat(filepath.Join(n.Build["context"], n.Build["dockerfile"])); err != nil {
		t.Errorf("naskah build: %v", err)
	}
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms, users []string
	var health, poppler, entry bool
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			froms = append(froms, l)
		case "USER":
			users = append(users, f[1])
		case "HEALTHCHECK":
			health = true
		case "ENTRYPOINT":
			entry = strings.Contains(l, "naskah")
		}
		if strings.Contains(l, "poppler-utils") {
			poppler = true
		}
	}
	if len(froms) < 2 || !strings.Contains(froms[0], "golang") || !strings.Contains(froms[len(froms)-1], "slim") {
		t.Errorf("want a multi-stage build, golang builder then a slim runtime: %q", froms)
	}
	if len(users) == 0 || users[len(users)-1] == "root" || users[len(users)-1] == "0" {
		t.Errorf("the runtime must run as a non-root user: USER %v", users)
	}
	if !health || !poppler || !entry {
		t.Errorf("HEALTHCHECK %v, poppler-utils %v, ENTRYPOINT naskah %v: want all", health, poppler, entry)
	}
}

func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile("naskah.service")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]map[string][]string{}
	var cur string
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			cur = l[1 : len(l)-1]
			sections[cur] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok || cur == "" {
				t.Fatalf("naskah.service:%d: %q is not key=value inside a section", i+1, l)
			}
			sections[cur][k] = append(sections[cur][k], v)
		}
	}
	svc := sections["Service"]
	for k, want := range map[string]string{"ProtectSystem": "strict", "NoNewPrivileges": "yes", "DynamicUser": "yes", "ReadWritePaths": "/var/lib/naskah"} {
		if !slices.Contains(svc[k], want) {
			t.Errorf("[Service] %s: got %v, want %s", k, svc[k], want)
		}
	}
	if len(svc["EnvironmentFile"]) == 0 || len(svc["ExecStart"]) == 0 || len(sections["Install"]["WantedBy"]) == 0 {
		t.Errorf("want EnvironmentFile, ExecStart and [Install] WantedBy")
	}

	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: the parse check above is all")
		return
	}
	// verify insists that ExecStart exists: point it at a stand-in binary.
	dir := t.TempDir()
	unit := filepath.Join(dir, "naskah.service")
	if err := os.WriteFile(unit, bytes.ReplaceAll(data, []byte("/usr/local/bin/naskah"), []byte("/bin/true")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", unit).CombinedOutput()
	// Unknown keys are only warned about (exit 0): any line naming our file fails.
	if err != nil || bytes.Contains(out, []byte(unit)) {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
