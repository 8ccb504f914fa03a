package config_test

import (
	"testing"

	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/internal/config"
)

// The keys decode into cluster.Settings: the Live fixture's values, plus
// what the program derives from them (max pods, data directory owners).
func TestClusterSettingsDecodeFromTheirKeys(t *testing.T) {
	t.Parallel()
	cfg, err := parse(minimal())
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Cluster
	listeners := c.LoadBalancer.Listeners
	checks := map[string]bool{
		"kubernetes 1.35":                   c.KubernetesVersion == "1.35",
		"public API endpoint for one range": len(c.PublicAccessCidrs) == 1 && c.PublicAccessCidrs[0] == "198.51.100.0/24",
		"no extra admins":                   len(c.AdminRoleArns) == 0,
		"control plane logs kept a year":    c.LogRetentionDays == 365,
		"BPA nodes m6i.2xlarge":             c.BpaNodes.InstanceType == "m6i.2xlarge",
		"max pods for custom networking":    c.BpaNodes.MaxPods == 44,
		"2 TB data volumes":                 c.BpaNodes.DataVolumeGiB == 2048,
		"6000 IOPS and 250 MiB/s":           c.BpaNodes.DataVolumeIops == 6000 && c.BpaNodes.DataVolumeThroughput == 250,
		"data directories the guide's 777":  len(c.BpaNodes.DataDirectories) == 11 && c.BpaNodes.DataDirectories["kafka1"] == cluster.DataDirectory{UID: 0, GID: 0, Mode: 0o777},
		"pods reach anywhere, as the guide": len(c.PodEgressCidrs) == 1 && c.PodEgressCidrs[0] == "0.0.0.0/0",
		"no view roles":                     len(c.ViewRoleArns) == 0,
		"three general nodes":               c.GeneralNodes.Count == 3 && c.GeneralNodes.InstanceType == "m6i.xlarge" && c.GeneralNodes.RootVolumeGiB == 50,
		"listeners open to one range":       len(c.LoadBalancer.IngressCidrs) == 1 && c.LoadBalancer.IngressCidrs[0] == "198.51.100.0/24",
		"listeners 443 and 30101":           len(listeners) == 2 && listeners[0].Port == 443 && listeners[1].Port == 30101,
		// A target group on node port 443 would need a pod on hostPort 443.
		"both listeners to NodePort 30101": len(listeners) == 2 && listeners[0].TargetPort == 30101 && listeners[1].TargetPort == 30101 &&
			listeners[0].Protocol == "HTTPS" && listeners[1].TargetProtocol == "HTTPS",
		"add-on versions left to EKS": c.AddonVersions == cluster.AddonVersions{},
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("want %s, got %+v", what, c)
		}
	}
}

func TestListenerFieldsDefaultPerListener(t *testing.T) {
	t.Parallel()
	cfg := minimal()
	cfg["bpa:loadBalancerListeners"] = `{"443":{"targetPort":30443}}`
	c, err := parse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := c.Cluster.LoadBalancer.Listeners
	if len(l) != 1 || l[0] != (cluster.Listener{Port: 443, Protocol: "HTTPS", TargetPort: 30443, TargetProtocol: "HTTPS", HealthCheckPath: "/"}) {
		t.Errorf("listeners %+v", l)
	}
}

func TestMaxPodsFollowTheInstanceTypesEnis(t *testing.T) {
	t.Parallel()
	for typ, want := range map[string]int{"t3.medium": 12, "m6i.xlarge": 44, "m6i.4xlarge": 110} {
		if got, ok := config.MaxPodsCustomNetworking(typ); !ok || got != want {
			t.Errorf("%s: max pods %d, want %d", typ, got, want)
		}
	}
}

func TestEveryInvalidClusterSettingIsReportedByKey(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		key, value string
		says       string
	}{
		"version malformed":        {"kubernetesVersion", "v1.33", "not a Kubernetes minor version"},
		"version unsupported":      {"kubernetesVersion", "1.31", "no longer supported"},
		"api open to internet":     {"publicAccessCidrs", `["0.0.0.0/0"]`, "whole internet"},
		"api cidr malformed":       {"publicAccessCidrs", `["10.0.0.0/33"]`, "not an IPv4 CIDR"},
		"api cidr host bits":       {"publicAccessCidrs", `["198.51.100.7/24"]`, "host bits"},
		"api cidr twice":           {"publicAccessCidrs", `["198.51.100.0/24","198.51.100.0/24"]`, "listed twice"},
		"admin not a role":         {"adminRoleArns", `["arn:aws:iam::123456789012:user/bob"]`, "not an IAM role ARN"},
		"retention not allowed":    {"clusterLogRetentionDays", "10", "retention period"},
		"access log days negative": {"loadBalancerAccessLogDays", "-1", "or 0 to turn access logs off"},
		"access log days too long": {"loadBalancerAccessLogDays", "4000", "between 1 and 3650"},
		"addon version malformed":  {"clusterAddonVersions", `{"coreDns":"1.11"}`, "coreDns version"},
		"addon unknown":            {"clusterAddonVersions", `{"metricsServer":"v1.0.0-eksbuild.1"}`, "not a valid object"},
		"bpa type unknown":         {"bpaNodeInstanceType", "x1.huge", "no known ENI limits"},
		"general type unknown":     {"generalNodeInstanceType", "x1.huge", "no known ENI limits"},
		"general count negative":   {"generalNodeCount", "-1", "between 0 and 100"},
		"root too small":           {"bpaNodeRootVolumeGiB", "8", "between 20"},
		"data too big":             {"bpaNodeDataVolumeGiB", "20000", "gp3 volume size"},
		"iops too high":            {"bpaNodeDataVolumeIops", "20000", "gp3 IOPS"},
		"throughput too high":      {"bpaNodeDataVolumeThroughput", "2000", "gp3 throughput"},
		"data default malformed":   {"bpaDataDirectoryDefault", "1000:1000", "<uid>:<gid>:<octal mode>"},
		"data mode not octal":      {"bpaDataDirectories", `{"kafka1":"1001:1001:0790"}`, "<octal mode>"},
		"data directory unknown":   {"bpaDataDirectories", `{"kafka4":"1001:1001:0750"}`, "not a BPA data directory"},
		"bundle missing":           {"bpaBundlePath", "/nonexistent/bundle", "not a directory"},
		"view not a role":          {"viewRoleArns", `["arn:aws:iam::123456789012:user/bob"]`, "not an IAM role ARN"},
		"pod egress malformed":     {"podEgressCidrs", `["10.0.0.0/33"]`, "not an IPv4 CIDR"},
		"lb cidr malformed":        {"loadBalancerIngressCidrs", `["everyone"]`, "not an IPv4 CIDR"},
		"certificate missing":      {"certificateArn", "", "is required"},
		"certificate not acm":      {"certificateArn", "arn:aws:iam::123456789012:server-certificate/bpa", "not an ACM certificate ARN"},
		"certificate elsewhere":    {"certificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000", "its own region"},
		"listeners empty":          {"loadBalancerListeners", `{}`, "no 443 listener"},
		// A stack's object replaces Pulumi.yaml's whole: adding a port
		// alone would drop 443.
		"only a new port":           {"loadBalancerListeners", `{"8443":{"targetPort":30101}}`, "no 443 listener"},
		"listener port text":        {"loadBalancerListeners", `{"https":{}}`, "not a port number"},
		"listener unknown field":    {"loadBalancerListeners", `{"443":{"target":1}}`, "unknown field"},
		"listener 443 plain":        {"loadBalancerListeners", `{"443":{"protocol":"HTTP"}}`, "must be HTTPS"},
		"listener protocol":         {"loadBalancerListeners", `{"443":{"protocol":"TCP"}}`, "HTTPS or HTTP"},
		"listener to node port 443": {"loadBalancerListeners", `{"443":{"targetPort":443}}`, "not a Kubernetes NodePort"},
		"host port to kubelet":      {"loadBalancerListeners", `{"443":{"targetPort":10250,"hostPort":true}}`, "not a port BPA may bind"},
		"shared target, two protocols": {"loadBalancerListeners", `{"443":{"targetPort":30101},"30101":{"targetProtocol":"HTTP"}}`,
			"different target protocols"},
		"listener health path": {"loadBalancerListeners", `{"443":{"healthCheckPath":"healthz"}}`, "absolute URL path"},
	}
	keyCases := map[string]keyErrorCase{}
	for name, tc := range cases {
		key := "bpa:" + tc.key
		change := set(map[string]string{key: tc.value})
		if tc.value == "" {
			change = func(c map[string]string) { delete(c, key) }
		}
		keyCases[name] = keyErrorCase{change, key, tc.says}
	}
	keyCases["throughput needs iops"] = keyErrorCase{set(map[string]string{
		"bpa:bpaNodeDataVolumeThroughput": "1000", "bpa:bpaNodeDataVolumeIops": "3000",
	}), "bpa:bpaNodeDataVolumeThroughput", "needs at least 4000 IOPS"}
	expectKeyErrors(t, keyCases)
}

// A chart whose ingress controller binds a host port says so per listener.
func TestListenerMayTargetAHostPort(t *testing.T) {
	t.Parallel()
	cfg := minimal()
	cfg["bpa:loadBalancerListeners"] = `{"443":{"targetPort":443,"hostPort":true}}`
	if _, err := parse(cfg); err != nil {
		t.Fatal(err)
	}
}

func TestViewRoleIsNotAlsoAnAdmin(t *testing.T) {
	t.Parallel()
	arn := `["arn:aws:iam::123456789012:role/ci"]`
	expectKeyErrors(t, map[string]keyErrorCase{
		"view and admin": {set(map[string]string{"bpa:adminRoleArns": arn, "bpa:viewRoleArns": arn}), "bpa:viewRoleArns", "also in adminRoleArns"},
	})
}

func TestDataDirectoriesTakeTheDefaultOrTheirOwn(t *testing.T) {
	t.Parallel()
	cfg := minimal()
	cfg["bpa:bpaDataDirectoryDefault"] = "1000:1000:0770"
	cfg["bpa:bpaDataDirectories"] = `{"metrics/grafana":"472:472:0750"}`
	c, err := parse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dirs := c.Cluster.BpaNodes.DataDirectories
	if dirs["metrics/grafana"] != (cluster.DataDirectory{UID: 472, GID: 472, Mode: 0o750}) || dirs["kafka2"] != (cluster.DataDirectory{UID: 1000, GID: 1000, Mode: 0o770}) {
		t.Errorf("directories %+v", dirs)
	}
	if len(dirs) != len(config.BpaDataDirectories) {
		t.Errorf("%d directories, want every one of %v", len(dirs), config.BpaDataDirectories)
	}
}

// The web ACL follows bpa:protect unless the stack says on or off.
func TestLoadBalancerWafFollowsProtectUnlessSet(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		protect, mode string
		want          bool
	}{
		{"true", "", true}, {"false", "", false}, {"true", "auto", true}, {"false", "auto", false},
		{"false", "on", true}, {"true", "off", false},
	} {
		cfg := minimal()
		cfg["bpa:protect"] = c.protect
		if c.mode != "" {
			cfg["bpa:loadBalancerWaf"] = c.mode
		}
		got, err := parse(cfg)
		if err != nil {
			t.Fatalf("protect %s, waf %q: %v", c.protect, c.mode, err)
		}
		if got.Cluster.LoadBalancer.Waf != c.want {
			t.Errorf("protect %s, waf %q: web ACL %v, want %v", c.protect, c.mode, got.Cluster.LoadBalancer.Waf, c.want)
		}
	}
	expectKeyErrors(t, map[string]keyErrorCase{
		"waf a boolean": {set(map[string]string{"bpa:loadBalancerWaf": "true"}), "bpa:loadBalancerWaf", "must be auto"},
	})
}
