package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/internal/cidr"
)

// Values of bpa:loadBalancerWaf. A string, not a boolean, because its
// default follows bpa:protect, and a Pulumi.yaml default cannot: auto says so.
const (
	WafAuto = "auto"
	WafOn   = "on"
	WafOff  = "off"
)

// minKubernetesMinor is the oldest minor still in EKS extended support (1.32
// until 2027-03-23; 1.31's ends 2026-11-26).
const minKubernetesMinor = 32

// Kubernetes allocates NodePorts from this range (kube-apiserver's default
// --service-node-port-range, which EKS does not change).
const nodePortMin, nodePortMax = 30000, 32767

// eniLimits are the ENIs per instance and IPv4 addresses per ENI of the
// instance types the nodes may use; max pods depend on them.
var eniLimits = map[string][2]int{
	"t3.medium": {3, 6}, "t3.large": {3, 12}, "t3.xlarge": {4, 15}, "t3.2xlarge": {4, 15},
	"m5.large": {3, 10}, "m5.xlarge": {4, 15}, "m5.2xlarge": {4, 15}, "m5.4xlarge": {8, 30},
	"m6i.large": {3, 10}, "m6i.xlarge": {4, 15}, "m6i.2xlarge": {4, 15}, "m6i.4xlarge": {8, 30},
	"m7i.large": {3, 10}, "m7i.xlarge": {4, 15}, "m7i.2xlarge": {4, 15}, "m7i.4xlarge": {8, 30},
	"r5.large": {3, 10}, "r5.xlarge": {4, 15}, "r5.2xlarge": {4, 15}, "r5.4xlarge": {8, 30},
	"r6i.large": {3, 10}, "r6i.xlarge": {4, 15}, "r6i.2xlarge": {4, 15}, "r6i.4xlarge": {8, 30},
	"r7i.large": {3, 10}, "r7i.xlarge": {4, 15}, "r7i.2xlarge": {4, 15}, "r7i.4xlarge": {8, 30},
}

// MaxPodsCustomNetworking is the pod limit of an instance type when pods take
// addresses from ENIConfig subnets: the primary ENI carries no pods, so
// (ENIs-1)*(IPs per ENI-1)+2 (the two host-network pods, aws-node and
// kube-proxy), capped at the 110 Kubernetes recommends.
func MaxPodsCustomNetworking(instanceType string) (int, bool) {
	l, ok := eniLimits[instanceType]
	if !ok {
		return 0, false
	}
	return min((l[0]-1)*(l[1]-1)+2, 110), true
}

var (
	k8sVersionPattern   = regexp.MustCompile(`^1\.([0-9]{2})$`)
	addonVersionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$`)
	roleArnPattern      = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	acmArnPattern       = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:acm:([a-z]{2}(-gov)?-[a-z]+-[0-9]):([0-9]{12}):certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	dataDirPattern      = regexp.MustCompile(`^([0-9]{1,10}):([0-9]{1,10}):(0?[0-7]{3})$`)
	healthPathPattern   = regexp.MustCompile(`^/[A-Za-z0-9/._~%!$&'()*+,;=:@-]{0,1000}$`)
)

func readCluster(r *reader, cfg *Config) cluster.Settings {
	c := cluster.Settings{
		KubernetesVersion: r.string("kubernetesVersion"),
		PublicAccessCidrs: r.strings("publicAccessCidrs", false),
		AdminRoleArns:     r.strings("adminRoleArns", false),
		ViewRoleArns:      r.strings("viewRoleArns", false),
		LogRetentionDays:  r.int("clusterLogRetentionDays"),
		PodEgressCidrs:    r.strings("podEgressCidrs", false),
		BpaNodes: cluster.BpaNodeArgs{
			InstanceType:         r.string("bpaNodeInstanceType"),
			RootVolumeGiB:        r.int("bpaNodeRootVolumeGiB"),
			DataVolumeGiB:        r.int("bpaNodeDataVolumeGiB"),
			DataVolumeIops:       r.int("bpaNodeDataVolumeIops"),
			DataVolumeThroughput: r.int("bpaNodeDataVolumeThroughput"),
		},
		GeneralNodes: cluster.GeneralNodeArgs{
			Count:         r.int("generalNodeCount"),
			InstanceType:  r.string("generalNodeInstanceType"),
			RootVolumeGiB: r.int("generalNodeRootVolumeGiB"),
		},
		LoadBalancer: cluster.LoadBalancerArgs{
			IngressCidrs:   r.strings("loadBalancerIngressCidrs", false),
			CertificateArn: r.requireString("certificateArn"),
			AccessLogDays:  r.int("loadBalancerAccessLogDays"),
		},
	}
	r.object("clusterAddonVersions", &c.AddonVersions)
	c.BundlePath = r.optionalString("bpaBundlePath")
	if c.BundlePath != "" {
		if info, err := os.Stat(c.BundlePath); err != nil || !info.IsDir() {
			r.fail("bpaBundlePath", "%q is not a directory holding the BPA release bundle", c.BundlePath)
		}
	}
	dirDefault := r.string("bpaDataDirectoryDefault")
	var dirOverrides map[string]string
	r.object("bpaDataDirectories", &dirOverrides)
	listeners := r.listeners("loadBalancerListeners")

	validateKubernetesVersion(r, c.KubernetesVersion)
	validateCidrs(r, "publicAccessCidrs", c.PublicAccessCidrs, false)
	validateCidrs(r, "loadBalancerIngressCidrs", c.LoadBalancer.IngressCidrs, true)
	validateCidrs(r, "podEgressCidrs", c.PodEgressCidrs, true)
	for key, arns := range map[string][]string{"adminRoleArns": c.AdminRoleArns, "viewRoleArns": c.ViewRoleArns} {
		for _, arn := range arns {
			if !roleArnPattern.MatchString(arn) {
				r.fail(key, "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", arn)
			}
		}
	}
	for _, arn := range c.ViewRoleArns {
		if slices.Contains(c.AdminRoleArns, arn) {
			r.fail("viewRoleArns", "%q is also in adminRoleArns; a role gets one access entry", arn)
		}
	}
	if !slices.Contains(logRetentionDays, c.LogRetentionDays) {
		r.fail("clusterLogRetentionDays", "%d is not a CloudWatch Logs retention period (one of %v)", c.LogRetentionDays, logRetentionDays)
	}
	for name, v := range map[string]string{"vpcCni": c.AddonVersions.VpcCni, "coreDns": c.AddonVersions.CoreDns,
		"kubeProxy": c.AddonVersions.KubeProxy, "ebsCsiDriver": c.AddonVersions.EbsCsiDriver} {
		if v != "" && !addonVersionPattern.MatchString(v) {
			r.fail("clusterAddonVersions", "%s version %q is not an EKS add-on version such as v1.19.2-eksbuild.1", name, v)
		}
	}

	var ok bool
	if c.BpaNodes.MaxPods, ok = MaxPodsCustomNetworking(c.BpaNodes.InstanceType); !ok {
		r.fail("bpaNodeInstanceType", "%q has no known ENI limits for custom networking; use one of %s", c.BpaNodes.InstanceType, knownInstanceTypes())
	}
	if c.GeneralNodes.MaxPods, ok = MaxPodsCustomNetworking(c.GeneralNodes.InstanceType); !ok {
		r.fail("generalNodeInstanceType", "%q has no known ENI limits for custom networking; use one of %s", c.GeneralNodes.InstanceType, knownInstanceTypes())
	}
	if g := c.GeneralNodes.RootVolumeGiB; g < 20 || g > 16384 {
		r.fail("generalNodeRootVolumeGiB", "%d must be between 20 and 16384 GiB (images and logs live there)", g)
	}
	if c.GeneralNodes.Count < 0 || c.GeneralNodes.Count > 100 {
		r.fail("generalNodeCount", "%d must be between 0 and 100", c.GeneralNodes.Count)
	}
	validateVolumes(r, c.BpaNodes)
	c.BpaNodes.DataDirectories = readDataDirectories(r, dirDefault, dirOverrides, cfg)

	if d := c.LoadBalancer.AccessLogDays; d < 0 || d > 3650 {
		r.fail("loadBalancerAccessLogDays", "%d must be between 1 and 3650 days, or 0 to turn access logs off", d)
	}
	switch waf := r.string("loadBalancerWaf"); waf {
	case WafAuto:
		c.LoadBalancer.Waf = cfg.Protect
	case WafOn:
		c.LoadBalancer.Waf = true
	case WafOff:
	default:
		r.fail("loadBalancerWaf", "%q must be auto (on when bpa:protect is true), on or off", waf)
	}
	c.LoadBalancer.Listeners = listeners
	validateListeners(r, listeners)
	validateCertificate(r, c.LoadBalancer.CertificateArn, cfg.Region)
	return c
}

func validateKubernetesVersion(r *reader, v string) {
	m := k8sVersionPattern.FindStringSubmatch(v)
	if m == nil {
		r.fail("kubernetesVersion", "%q is not a Kubernetes minor version such as 1.35", v)
		return
	}
	if minor, _ := strconv.Atoi(m[1]); minor < minKubernetesMinor {
		r.fail("kubernetesVersion", "%q is no longer supported by EKS; use 1.%d or later", v, minKubernetesMinor)
	}
}

// validateCidrs checks a list of source ranges (cidr.CheckSources). The
// whole internet is allowed only where anyone may legitimately connect (the
// load balancer's listeners), never for the Kubernetes API.
func validateCidrs(r *reader, key string, cidrs []string, allowAnywhere bool) {
	for _, problem := range cidr.CheckSources(cidrs, allowAnywhere) {
		r.fail(key, "%s", problem)
	}
}

func validateVolumes(r *reader, n cluster.BpaNodeArgs) {
	if n.RootVolumeGiB < 20 || n.RootVolumeGiB > 16384 {
		r.fail("bpaNodeRootVolumeGiB", "%d must be between 20 and 16384 GiB (images and logs live there)", n.RootVolumeGiB)
	}
	if n.DataVolumeGiB < 1 || n.DataVolumeGiB > 16384 {
		r.fail("bpaNodeDataVolumeGiB", "%d is not a gp3 volume size (1 to 16384 GiB)", n.DataVolumeGiB)
	}
	if n.DataVolumeIops < 3000 || n.DataVolumeIops > 16000 {
		r.fail("bpaNodeDataVolumeIops", "%d is not a gp3 IOPS setting (3000 to 16000)", n.DataVolumeIops)
	} else if n.DataVolumeIops > 3000 && n.DataVolumeIops > 500*n.DataVolumeGiB {
		r.fail("bpaNodeDataVolumeIops", "%d exceeds gp3's 500 IOPS per GiB for a %d GiB volume", n.DataVolumeIops, n.DataVolumeGiB)
	}
	if n.DataVolumeThroughput < 125 || n.DataVolumeThroughput > 1000 {
		r.fail("bpaNodeDataVolumeThroughput", "%d is not a gp3 throughput (125 to 1000 MiB/s)", n.DataVolumeThroughput)
	} else if n.DataVolumeThroughput > 125 && n.DataVolumeThroughput*4 > n.DataVolumeIops {
		r.fail("bpaNodeDataVolumeThroughput", "%d MiB/s needs at least %d IOPS (gp3 allows 0.25 MiB/s per IOPS)", n.DataVolumeThroughput, n.DataVolumeThroughput*4)
	}
}

// Ports the nodes use themselves: SSH, kubelet, kube-proxy and the CNI's
// metrics and introspection.
var reservedNodePorts = []int{22, 10249, 10250, 10256, 61678, 61679}

func validateListeners(r *reader, ls []cluster.Listener) {
	const key = "loadBalancerListeners"
	// A stack that sets the key replaces Pulumi.yaml's listeners as a whole,
	// so one that adds a port must list the guide's 443 again.
	if !slices.ContainsFunc(ls, func(l cluster.Listener) bool { return l.Port == 443 }) {
		r.fail(key, "has no 443 listener, where BPA is served; a stack that sets this key replaces the default listeners, so list \"443\" (and \"30101\") beside any new port")
	}
	targets := map[int]cluster.Listener{}
	for _, l := range ls {
		if l.Port < 1 || l.Port > 65535 {
			r.fail(key, "listener %d is not a TCP port", l.Port)
		}
		if l.Protocol != "HTTPS" && l.Protocol != "HTTP" {
			r.fail(key, "listener %d protocol %q must be HTTPS or HTTP", l.Port, l.Protocol)
		}
		if l.Protocol == "HTTP" && l.Port == 443 {
			r.fail(key, "listener 443 must be HTTPS")
		}
		if l.TargetProtocol != "HTTPS" && l.TargetProtocol != "HTTP" {
			r.fail(key, "listener %d targetProtocol %q must be HTTPS or HTTP", l.Port, l.TargetProtocol)
		}
		switch {
		case l.HostPort && (l.TargetPort < 1 || l.TargetPort > 65535 || slices.Contains(reservedNodePorts, l.TargetPort)):
			r.fail(key, "listener %d targetPort %d is not a port BPA may bind on the nodes (1-65535, not %v)", l.Port, l.TargetPort, reservedNodePorts)
		case !l.HostPort && (l.TargetPort < nodePortMin || l.TargetPort > nodePortMax):
			r.fail(key, "listener %d targetPort %d is not a Kubernetes NodePort (%d-%d); set hostPort: true if the chart binds it on the nodes", l.Port, l.TargetPort, nodePortMin, nodePortMax)
		}
		if prev, ok := targets[l.TargetPort]; ok && prev.TargetProtocol != l.TargetProtocol {
			r.fail(key, "listeners %d and %d forward to node port %d with different target protocols", prev.Port, l.Port, l.TargetPort)
		}
		targets[l.TargetPort] = l
		if !healthPathPattern.MatchString(l.HealthCheckPath) {
			r.fail(key, "listener %d healthCheckPath %q must be an absolute URL path", l.Port, l.HealthCheckPath)
		}
	}
}

func validateCertificate(r *reader, arn, region string) {
	if arn == "" {
		return // reported as missing by requireString
	}
	m := acmArnPattern.FindStringSubmatch(arn)
	if m == nil {
		r.fail("certificateArn", "%q is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)", arn)
		return
	}
	if region != "" && m[2] != region {
		r.fail("certificateArn", "%q is in %s; a load balancer in %s needs a certificate from its own region", arn, m[2], region)
	}
}

// listeners decodes an object keyed by listener port into listeners in port
// order, filling each one's omitted fields from the defaults. The guide's
// two ports (Pulumi.yaml) both go to NodePort 30101, where BPA's ingress
// controller listens on every node.
func (r *reader) listeners(key string) []cluster.Listener {
	raw, ok := r.raw(key, KindObject, false)
	if !ok {
		return nil
	}
	var byPort map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &byPort); err != nil {
		r.fail(key, "is not a valid object: %v", err)
		return nil
	}
	var out []cluster.Listener
	for port, body := range byPort {
		l := cluster.Listener{Protocol: "HTTPS", TargetProtocol: "HTTPS", HealthCheckPath: "/"}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			r.fail(key, "listener %q: %v", port, err)
			continue
		}
		n, err := strconv.Atoi(port)
		if err != nil {
			r.fail(key, "listener key %q is not a port number", port)
			continue
		}
		l.Port = n
		if l.TargetPort == 0 {
			l.TargetPort = n
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Port < out[j].Port })
	return out
}

func knownInstanceTypes() string {
	types := make([]string, 0, len(eniLimits))
	for t := range eniLimits {
		types = append(types, t)
	}
	sort.Strings(types)
	return fmt.Sprint(types)
}

// readDataDirectories gives every hostPath directory of the BPA nodes its
// owner and mode: the default, or its entry in bpaDataDirectories
// ("<uid>:<gid>:<mode>").
func readDataDirectories(r *reader, def string, overrides map[string]string, _ *Config) map[string]cluster.DataDirectory {
	parse := func(key, v string) (cluster.DataDirectory, bool) {
		m := dataDirPattern.FindStringSubmatch(v)
		if m == nil {
			r.fail(key, "%q must be <uid>:<gid>:<octal mode>, such as 1001:1001:0750", v)
			return cluster.DataDirectory{}, false
		}
		uid, _ := strconv.Atoi(m[1])
		gid, _ := strconv.Atoi(m[2])
		mode, _ := strconv.ParseUint(m[3], 8, 32)
		return cluster.DataDirectory{UID: uid, GID: gid, Mode: uint32(mode)}, true
	}
	base, _ := parse("bpaDataDirectoryDefault", def)
	out := map[string]cluster.DataDirectory{}
	for _, dir := range BpaDataDirectories {
		out[dir] = base
	}
	for _, dir := range slices.Sorted(maps.Keys(overrides)) {
		if !slices.Contains(BpaDataDirectories, dir) {
			r.fail("bpaDataDirectories", "%q is not a BPA data directory; the chart's are %v", dir, BpaDataDirectories)
			continue
		}
		if d, ok := parse("bpaDataDirectories", overrides[dir]); ok {
			out[dir] = d
		}
	}
	return out
}

// BpaDataDirectories are the chart's hostPath directories below
// /opt/bpa/data on the four BPA nodes, from the guide's node table
// (cluster.Nodes).
var BpaDataDirectories = func() []string {
	var dirs []string
	for _, n := range cluster.Nodes {
		dirs = append(dirs, n.DataDirs...)
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}()
