package cluster_test

import (
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
	"github.com/bpa-infra/bpa-infra/internal/component"
	"github.com/bpa-infra/bpa-infra/internal/config"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// componentZones are the zones of the component run outside the program.
var componentZones = []string{"us-west-2a", "us-west-2b", "us-west-2c"}

// componentArgs are valid arguments for the cluster on its own, outside the
// program, with generalNodes general nodes; runUnit adds the AWS provider.
func componentArgs(generalNodes int) *cluster.Args {
	dirs := map[string]cluster.DataDirectory{}
	for _, d := range config.BpaDataDirectories {
		dirs[d] = cluster.DataDirectory{UID: 0, GID: 0, Mode: 0o777}
	}
	ids := func(kind string) pulumi.StringArray {
		var out pulumi.StringArray
		for _, az := range componentZones {
			out = append(out, pulumi.String("subnet-"+kind+"-"+az))
		}
		return out
	}
	return &cluster.Args{
		Stack:             component.Stack{NamePrefix: "acme-test", Region: "us-west-2", Account: pulumi.String(cloudfake.AccountID).ToStringOutput()},
		AvailabilityZones: componentZones,
		VpcId:             pulumi.String("vpc-0123"), VpcCidr: "10.0.0.0/16", PodCidr: "100.64.0.0/16",
		PrivateSubnetIds: ids("private"), PublicSubnetIds: ids("public"), PodSubnetIds: ids("pod"),
		BastionSecurityGroupId: pulumi.String("sg-bastion"),
		LogsKeyArn:             pulumi.String("arn:aws:kms:us-west-2:123456789012:key/logs"),
		Settings: cluster.Settings{
			KubernetesVersion: "1.35", LogRetentionDays: 30, PodEgressCidrs: []string{"0.0.0.0/0"},
			BpaNodes: cluster.BpaNodeArgs{
				InstanceType: "m6i.xlarge", MaxPods: 44, RootVolumeGiB: 30,
				DataVolumeGiB: 100, DataVolumeIops: 3000, DataVolumeThroughput: 125, DataDirectories: dirs,
			},
			GeneralNodes: cluster.GeneralNodeArgs{Count: generalNodes, InstanceType: "m6i.xlarge", MaxPods: 44, RootVolumeGiB: 30},
			LoadBalancer: cluster.LoadBalancerArgs{
				IngressCidrs:   []string{"203.0.113.0/24"},
				CertificateArn: "arn:aws:acm:us-west-2:123456789012:certificate/00000000-0000-0000-0000-000000000000",
				Listeners:      []cluster.Listener{{Port: 443, Protocol: "HTTPS", TargetPort: 30101, TargetProtocol: "HTTPS", HealthCheckPath: "/"}},
			},
		},
	}
}

// componentOutputs are what New returned, by logical name.
type componentOutputs struct {
	mu            sync.Mutex
	ready, groups []string
	labels        []map[string]string
}

func runComponent(t *testing.T, generalNodes int) (*harness.Recording, *componentOutputs) {
	t.Helper()
	out := &componentOutputs{}
	names := func(rs []pulumi.Resource, into *[]string) {
		var urns []any
		for _, r := range rs {
			urns = append(urns, r.URN())
		}
		pulumi.All(urns...).ApplyT(func(v []any) error {
			out.mu.Lock()
			defer out.mu.Unlock()
			for _, u := range v {
				*into = append(*into, string(u.(pulumi.URN)))
			}
			return nil
		})
	}
	rec, err := runUnit(componentArgs(generalNodes), harness.Options{Stack: "test", Resolve: true}, func(c *cluster.Cluster) {
		names(c.Ready, &out.ready)
		names(c.BpaNodeGroups, &out.groups)
		out.labels = c.NodeLabels
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec, out
}

// name is the logical name of a recorded URN.
func name(rec *harness.Recording, urn string) string {
	if r := rec.ByURN(urn); r != nil {
		return r.Type + " " + r.Name
	}
	return urn
}

func TestReadyIsEveryNodeGroupAndClusterDNS(t *testing.T) {
	t.Parallel()
	for _, general := range []int{0, 2} {
		rec, out := runComponent(t, general)
		var got []string
		for _, u := range out.ready {
			got = append(got, name(rec, u))
		}
		want := []string{
			nodeGroupType + " cluster-bpa-node-1", nodeGroupType + " cluster-bpa-node-2",
			nodeGroupType + " cluster-bpa-node-3", nodeGroupType + " cluster-bpa-node-4",
			addonType + " cluster-addon-coredns",
		}
		if general > 0 {
			want = append(want, nodeGroupType+" cluster-general")
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("with %d general nodes Ready is %v, want %v", general, got, want)
		}
	}
}

func TestBpaNodeGroupsAndNodeLabelsAreInNodeOrder(t *testing.T) {
	t.Parallel()
	rec, out := runComponent(t, 0)
	if len(out.groups) != len(cluster.Nodes) || len(out.labels) != len(cluster.Nodes) {
		t.Fatalf("%d node groups and %d label sets, want %d", len(out.groups), len(out.labels), len(cluster.Nodes))
	}
	for i, n := range cluster.Nodes {
		if got := name(rec, out.groups[i]); got != nodeGroupType+" cluster-bpa-"+n.Name {
			t.Errorf("BpaNodeGroups[%d] is %s, want %s's", i, got, n.Name)
		}
		// What the node sets on itself, not what its group carries.
		if want := map[string]string{cluster.NodeLabelKey: n.Name}; !maps.Equal(out.labels[i], want) {
			t.Errorf("NodeLabels[%d] = %v, want %v", i, out.labels[i], want)
		}
	}
}

func TestKubernetesProviderAppliesServerSideAndUpdatesSecretsInPlace(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		p := stacktest.Must(t, rec, k8sProvider, "cluster-k8s")
		if stacktest.Input(p, "enableServerSideApply") != true || stacktest.Input(p, "enableSecretMutable") != true {
			t.Errorf("kubernetes provider server-side apply %v, mutable secrets %v",
				stacktest.Input(p, "enableServerSideApply"), stacktest.Input(p, "enableSecretMutable"))
		}
		if !dependsOnInput(p, "kubeconfig", stacktest.Must(t, rec, eksType, "cluster-eks")) {
			t.Error("kubernetes provider does not use the cluster's kubeconfig")
		}
	})
}

// runUnit runs the cluster alone, with an AWS provider of its own, and
// hands what New returned to use.
func runUnit(args *cluster.Args, opts harness.Options, use func(*cluster.Cluster)) (*harness.Recording, error) {
	return harness.Run(func(ctx *pulumi.Context) error {
		if args != nil {
			provider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("us-west-2")})
			if err != nil {
				return err
			}
			args.AWSProvider = provider
		}
		c, err := cluster.New(ctx, "cluster", args)
		if err == nil && use != nil {
			use(c)
		}
		return err
	}, opts)
}

// The component's own checks, which config.Load's stricter ones shadow in
// the program: every problem at once, nothing registered.
func TestComponentArgsAreCheckedBeforeAnythingIsRegistered(t *testing.T) {
	t.Parallel()
	base := func() *cluster.Args { return componentArgs(1) }
	type change = stacktest.Refusal[*cluster.Args]
	run := func(a *cluster.Args) (*harness.Recording, error) {
		rec, err := runUnit(a, harness.Options{Stack: "unit"}, nil)
		// The AWS provider is the test's, not the component's.
		rec.Resources = slices.DeleteFunc(rec.Resources, func(r *harness.Resource) bool {
			return r.Type == "pulumi:providers:aws" && r.Name == "aws"
		})
		return rec, err
	}
	stacktest.ExpectRefused(t, base, run, map[string]change{
		"nil args":  {Says: []string{"args are required"}},
		"no stack":  {Change: func(a *cluster.Args) { a.Stack = component.Stack{} }, Says: []string{"NamePrefix is required", "Region is required", "Account id is required"}},
		"two zones": {Change: func(a *cluster.Args) { a.AvailabilityZones = a.AvailabilityZones[:2] }, Says: []string{"want 3 zones, got 2"}},
		"no network inputs": {Change: func(a *cluster.Args) {
			a.VpcId, a.PodSubnetIds, a.BastionSecurityGroupId, a.LogsKeyArn = nil, nil, nil, nil
		}, Says: []string{"VpcId is required", "PodSubnetIds are required", "BastionSecurityGroupId is required", "LogsKeyArn is required"}},
		"address, not a range":        {Change: func(a *cluster.Args) { a.VpcCidr = "10.0.0.0" }, Says: []string{`VpcCidr: "10.0.0.0" is not a CIDR block`}},
		"API open to the internet":    {Change: func(a *cluster.Args) { a.PublicAccessCidrs = []string{"0.0.0.0/0"} }, Says: []string{"PublicAccessCidrs", "opens the Kubernetes API to the whole internet"}},
		"ingress with host bits":      {Change: func(a *cluster.Args) { a.LoadBalancer.IngressCidrs = []string{"203.0.113.7/24"} }, Says: []string{"LoadBalancer.IngressCidrs", "host bits set"}},
		"no version or log retention": {Change: func(a *cluster.Args) { a.KubernetesVersion, a.LogRetentionDays = "", 0 }, Says: []string{"KubernetesVersion is required", "LogRetentionDays must be positive"}},
		"data directory without owner": {Change: func(a *cluster.Args) {
			delete(a.BpaNodes.DataDirectories, config.BpaDataDirectories[0])
		}, Says: []string{"no owner and mode for " + config.BpaDataDirectories[0]}},
		"no bundle there":              {Change: func(a *cluster.Args) { a.BundlePath = "testdata/no-such-bundle" }, Says: []string{`BundlePath: "testdata/no-such-bundle" is not a directory`}},
		"general nodes without a type": {Change: func(a *cluster.Args) { a.GeneralNodes.InstanceType = "" }, Says: []string{"GeneralNodes: InstanceType, MaxPods and RootVolumeGiB are required"}},
		"no listeners":                 {Change: func(a *cluster.Args) { a.LoadBalancer.Listeners = nil }, Says: []string{"at least one is required"}},
		"HTTPS without a certificate":  {Change: func(a *cluster.Args) { a.LoadBalancer.CertificateArn = "" }, Says: []string{"listener 443: HTTPS needs LoadBalancer.CertificateArn"}},
		"listener protocol and port": {Change: func(a *cluster.Args) {
			a.LoadBalancer.Listeners[0].Protocol, a.LoadBalancer.Listeners[0].TargetPort = "TCP", 70000
		}, Says: []string{`listener 443: protocol "TCP"`, "listener 443: ports out of range"}},
	})
}
