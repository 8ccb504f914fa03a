package deploytime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// Types used by the hand-built recordings and the stack checks.
const (
	vpcT        = "aws:ec2/vpc:Vpc"
	subnetT     = "aws:ec2/subnet:Subnet"
	natT        = "aws:ec2/natGateway:NatGateway"
	kmsT        = "aws:kms/key:Key"
	rolePolT    = "aws:iam/rolePolicy:RolePolicy"
	rdsT        = "aws:rds/instance:Instance"
	endpointT   = "aws:ec2/vpcEndpoint:VpcEndpoint"
	eksT        = "eks:index:Cluster"
	nodeGroupT  = "aws:eks/nodeGroup:NodeGroup"
	attachT     = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	pgRoleT     = "postgresql:index/role:Role"
	pgDatabaseT = "postgresql:index/database:Database"
	pgGrantT    = "postgresql:index/grant:Grant"
	addonT      = "aws:eks/addon:Addon"
	eniT        = "kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig"
	nsT         = "kubernetes:core/v1:Namespace"
	releaseT    = "kubernetes:helm.sh/v3:Release"
	k8sProvT    = "pulumi:providers:kubernetes"
	atlasT      = "mongodbatlas:index/advancedCluster:AdvancedCluster"
	plEndT      = "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint"
	plSvcT      = "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService"
	postgresC   = "bpa:databases:Postgres"
	mongoC      = "bpa:databases:Mongo"
	workloadC   = "bpa:workload:Bpa"
)

// --- hand-built recordings -------------------------------------------------

func urn(name string) string { return "urn:pulumi:test::bpa::" + name }

// custom is a custom resource named name waiting for deps (by name).
func custom(name, typ string, deps ...string) *harness.Resource {
	r := &harness.Resource{URN: urn(name), Type: typ, Name: name, Custom: true}
	for _, d := range deps {
		r.Dependencies = append(r.Dependencies, urn(d))
	}
	return r
}

func component(name, typ string, deps ...string) *harness.Resource {
	r := custom(name, typ, deps...)
	r.Custom = false
	return r
}

func under(parent string, r *harness.Resource) *harness.Resource {
	r.Parent = urn(parent)
	return r
}

func recording(rs ...*harness.Resource) *harness.Recording {
	return &harness.Recording{Project: "bpa", Stack: "test", Resources: rs}
}

// names renders a chain as "name@start+duration" for readable failures.
func names(chain []Step) string {
	var parts []string
	for _, s := range chain {
		parts = append(parts, fmt.Sprintf("%s@%d+%d", s.Name, s.StartSeconds, s.DurationSeconds))
	}
	return strings.Join(parts, " -> ")
}

func TestChainAddsUpAlongTheDependencies(t *testing.T) {
	t.Parallel()
	res := Analyze(recording(
		custom("vpc", vpcT),
		custom("subnet", subnetT, "vpc"),
		custom("nat", natT, "subnet"),
	))
	if got, want := names(res.Chain), "vpc@0+10 -> subnet@10+5 -> nat@15+90"; got != want {
		t.Errorf("chain %s, want %s", got, want)
	}
	if res.CriticalPathSeconds != 105 || res.SerialSeconds != 105 || res.Resources != 3 {
		t.Errorf("critical %d serial %d resources %d, want 105 105 3", res.CriticalPathSeconds, res.SerialSeconds, res.Resources)
	}
}

func TestDiamondFollowsTheLongerBranch(t *testing.T) {
	t.Parallel()
	res := Analyze(recording(
		custom("vpc", vpcT),
		custom("key", kmsT, "vpc"),       // 20 s
		custom("subnet", subnetT, "vpc"), // 5 s
		custom("db", rdsT, "key", "subnet"),
	))
	if got, want := names(res.Chain), "vpc@0+10 -> key@10+20 -> db@30+420"; got != want {
		t.Errorf("chain %s, want %s", got, want)
	}
	if res.CriticalPathSeconds != 450 || res.SerialSeconds != 455 {
		t.Errorf("critical %d serial %d, want 450 455", res.CriticalPathSeconds, res.SerialSeconds)
	}
	if s, _ := res.At(urn("subnet")); s.StartSeconds != 10 || s.FinishSeconds != 15 {
		t.Errorf("off-path subnet scheduled %+v", s)
	}
}

func TestTiesBreakByURN(t *testing.T) {
	t.Parallel()
	rec := recording(
		custom("vpc", vpcT),
		custom("subnet-b", subnetT, "vpc"),
		custom("subnet-a", subnetT, "vpc"),
		custom("nat", natT, "subnet-b", "subnet-a"),
	)
	first := Analyze(rec)
	if got, want := names(first.Chain), "vpc@0+10 -> subnet-a@10+5 -> nat@15+90"; got != want {
		t.Errorf("chain %s, want %s", got, want)
	}
	rec.Resources[1], rec.Resources[2] = rec.Resources[2], rec.Resources[1]
	if again := Analyze(rec); !reflect.DeepEqual(first, again) {
		t.Errorf("order of registration changed the result:\n%+v\n%+v", first, again)
	}
}

// A resource cannot be created before its provider is configured, and the
// kubernetes provider waits for the cluster's kubeconfig.
func TestProviderIsAnEdge(t *testing.T) {
	t.Parallel()
	cluster := custom("eks", eksT)
	cluster.Custom, cluster.Remote = false, true
	provider := custom("k8s", k8sProvT, "eks")
	ns := custom("ns", nsT) // no recorded dependency at all
	ns.Provider = provider.URN
	res := Analyze(recording(cluster, provider, ns))
	if got, want := names(res.Chain), "eks@0+660 -> k8s@660+0 -> ns@660+2"; got != want {
		t.Errorf("chain %s, want %s", got, want)
	}
	if res.CriticalPathSeconds != 662 {
		t.Errorf("critical path %d, want 662", res.CriticalPathSeconds)
	}
}

// A dependency on a local component is one on its descendants, through
// nested components, stopping at custom resources (whose own children the
// dependant does not wait for); a remote component stays one node.
func TestComponentDependencyWaitsForItsDescendants(t *testing.T) {
	t.Parallel()
	rec := recording(
		component("net", "bpa:network:Network"),
		under("net", custom("nat", natT)),       // 90 s
		under("nat", custom("nat-child", kmsT)), // child of a custom resource
		under("net", component("inner", "bpa:inner:Inner")),
		under("inner", custom("key", kmsT)), // 20 s
		custom("app", subnetT, "net"),       // waits for nat and key
		func() *harness.Resource { r := custom("eks", eksT); r.Custom, r.Remote = false, true; return r }(),
		custom("ng", nodeGroupT, "eks"),
	)
	g := Build(rec)
	if got, want := g.Node(urn("app")).Preds, []string{urn("key"), urn("nat")}; !reflect.DeepEqual(got, want) {
		t.Errorf("app waits for %v, want %v", got, want)
	}
	if g.Node(urn("net")) != nil || g.Node(urn("inner")) != nil {
		t.Error("local components must not be nodes")
	}
	if got := g.Node(urn("nat-child")).Preds; !reflect.DeepEqual(got, []string{urn("nat")}) {
		t.Errorf("a child of a custom resource waits for %v, want its parent", got)
	}
	if got := g.Node(urn("ng")).Preds; !reflect.DeepEqual(got, []string{urn("eks")}) {
		t.Errorf("remote component dependency became %v", got)
	}
	res := g.Analyze()
	if s, _ := res.At(urn("app")); s.StartSeconds != 90 {
		t.Errorf("app starts at %d, want 90 (after the component's NAT gateway)", s.StartSeconds)
	}
	if res.CriticalPathSeconds != 660+240 {
		t.Errorf("critical path %d, want %d", res.CriticalPathSeconds, 660+240)
	}
}

// Children of a component wait for the component's own dependencies: the
// component is registered only once they exist, and its children after it.
func TestChildrenWaitForTheirComponentsDependencies(t *testing.T) {
	t.Parallel()
	res := Analyze(recording(
		custom("vpc", vpcT),
		component("db", postgresC, "vpc"),
		under("db", custom("key", kmsT)),
	))
	if got, want := names(res.Chain), "vpc@0+10 -> key@10+20"; got != want {
		t.Errorf("chain %s, want %s", got, want)
	}
}

func TestCyclesAndMissingDependenciesAreReportedNotFatal(t *testing.T) {
	t.Parallel()
	res := Analyze(recording(
		custom("a", subnetT, "b"),
		custom("b", subnetT, "a", "ghost"),
	))
	if len(res.CycleEdges) != 1 {
		t.Errorf("cycle edges %v, want one", res.CycleEdges)
	}
	if !reflect.DeepEqual(res.MissingDependencies, []string{urn("ghost")}) {
		t.Errorf("missing %v", res.MissingDependencies)
	}
	if res.CriticalPathSeconds != 10 {
		t.Errorf("critical path %d, want 10", res.CriticalPathSeconds)
	}
}

func TestUnlistedTypesFallBackToTheDefaultAndAreListed(t *testing.T) {
	t.Parallel()
	rec := recording(
		custom("vpc", vpcT),
		custom("thing", "aws:shiny/newThing:NewThing", "vpc"),
		component("comp", "bpa:some:Component"),
		custom("prov", "pulumi:providers:aws"),
	)
	if got := Unmodelled(rec); !reflect.DeepEqual(got, []string{"aws:shiny/newThing:NewThing"}) {
		t.Errorf("Unmodelled = %v", got)
	}
	res := Analyze(rec)
	if !reflect.DeepEqual(res.UnmodelledTypes, []string{"aws:shiny/newThing:NewThing"}) || res.CriticalPathSeconds != 10+DefaultSeconds {
		t.Errorf("unmodelled %v, critical %d", res.UnmodelledTypes, res.CriticalPathSeconds)
	}
	var out bytes.Buffer
	if err := res.WriteText(&out); err != nil || !strings.Contains(out.String(), "aws:shiny/newThing:NewThing") {
		t.Errorf("text does not name the unmodelled type (%v):\n%s", err, out.String())
	}
}

func TestInputsRefineTheEstimate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		typ    string
		inputs resource.PropertyMap
		want   int
	}{
		{rdsT, resource.PropertyMap{"multiAz": resource.NewBoolProperty(true), "storageType": resource.NewStringProperty("io2")}, 900},
		{rdsT, resource.PropertyMap{"multiAz": resource.NewBoolProperty(false)}, 420},
		{rdsT, resource.PropertyMap{}, 420},
		{endpointT, resource.PropertyMap{"vpcEndpointType": resource.NewStringProperty("Interface")}, 120},
		{endpointT, resource.PropertyMap{"vpcEndpointType": resource.NewStringProperty("Gateway")}, 10},
	}
	for _, c := range cases {
		r := custom("r", c.typ)
		r.Inputs = c.inputs
		if got, why, ok := EstimateOf(r); got != c.want || !ok || why == "" {
			t.Errorf("%s %v: %d s (%q, modelled %v), want %d", c.typ, c.inputs, got, why, ok, c.want)
		}
	}
}

func TestTableIsWellFormed(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, e := range Durations {
		if seen[e.Type] {
			t.Errorf("%s listed twice", e.Type)
		}
		seen[e.Type] = true
		if strings.TrimSpace(e.Why) == "" || e.Seconds < 0 {
			t.Errorf("%s: %d s without a reason", e.Type, e.Seconds)
		}
	}
	for typ, want := range map[string]int{
		"pulumi:providers:kubernetes": 0, "random:index/randomPassword:RandomPassword": 0,
		"kubernetes:core/v1:Secret": 2, releaseT: 600, "postgresql:index/role:Role": 2,
	} {
		if got, _, _ := EstimateOf(custom("x", typ)); got != want {
			t.Errorf("%s: %d s, want %d", typ, got, want)
		}
	}
}

func TestJSONAndTextShapes(t *testing.T) {
	t.Parallel()
	res := Analyze(recording(custom("vpc", vpcT), custom("subnet", subnetT, "vpc")))
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"resources", "serialSeconds", "criticalPathSeconds", "chain", "nodeRoll"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	step := m["chain"].([]any)[0].(map[string]any)
	for _, k := range []string{"urn", "type", "name", "durationSeconds", "startSeconds", "finishSeconds"} {
		if _, ok := step[k]; !ok {
			t.Errorf("chain step lacks %q: %s", k, b)
		}
	}
	var out bytes.Buffer
	if err := res.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	want := "Serial sum: 15s  Critical path: 15s (2 resources)\n" +
		"     start  duration  resource\n" +
		"     00:00       10s  aws:ec2/vpc:Vpc  vpc\n" +
		"     00:10        5s  aws:ec2/subnet:Subnet  subnet\n"
	if out.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", out.String(), want)
	}
	if empty, _ := json.Marshal(Analyze(recording())); !strings.Contains(string(empty), `"chain":[]`) {
		t.Errorf("empty recording: %s", empty)
	}
}

// A node roll takes NodeUpdateSeconds per node group in the longest chain
// of node groups waiting for one another, through anything between them;
// groups that do not wait for each other roll alongside.
func TestNodeRollFollowsTheLongestChainOfNodeGroups(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		rec   *harness.Recording
		chain []string
	}{
		"a chain of four": {recording(
			custom("eks", eksT),
			custom("ng-1", nodeGroupT, "eks"),
			custom("ng-2", nodeGroupT, "eks", "ng-1"),
			custom("ng-3", nodeGroupT, "eks", "ng-2"),
			custom("ng-4", nodeGroupT, "eks", "ng-3"),
		), []string{"ng-1", "ng-2", "ng-3", "ng-4"}},
		"four independent groups": {recording(
			custom("eks", eksT),
			custom("ng-1", nodeGroupT, "eks"),
			custom("ng-2", nodeGroupT, "eks"),
			custom("ng-3", nodeGroupT, "eks"),
			custom("ng-4", nodeGroupT, "eks"),
		), []string{"ng-1"}},
		"through another resource": {recording(
			custom("eks", eksT),
			custom("ng-1", nodeGroupT, "eks"),
			custom("addon", addonT, "ng-1"),
			custom("ng-2", nodeGroupT, "addon"),
			custom("ng-3", nodeGroupT, "eks"),
		), []string{"ng-1", "ng-2"}},
		"the longer of two branches": {recording(
			custom("a", nodeGroupT),
			custom("b", nodeGroupT, "a"),
			custom("x", nodeGroupT),
			custom("y", nodeGroupT, "x"),
			custom("z", nodeGroupT, "y"),
		), []string{"x", "y", "z"}},
		"no node groups": {recording(custom("eks", eksT), custom("addon", addonT, "eks")), nil},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			roll := Analyze(c.rec).NodeRoll
			if len(roll.Chain) != len(c.chain) || (len(c.chain) > 0 && !reflect.DeepEqual(roll.Chain, c.chain)) {
				t.Errorf("roll chain %v, want %v", roll.Chain, c.chain)
			}
			if want := len(c.chain) * NodeUpdateSeconds; roll.Seconds != want {
				t.Errorf("roll %d s, want %d s", roll.Seconds, want)
			}
			var text bytes.Buffer
			if err := Analyze(c.rec).WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if rolls := strings.Contains(text.String(), "Rolling every node"); rolls != (len(c.chain) > 0) {
				t.Errorf("text names a roll: %v, want %v:\n%s", rolls, len(c.chain) > 0, text.String())
			}
			if len(c.chain) > 0 && !strings.Contains(text.String(), human(roll.Seconds)+", "+strings.Join(c.chain, " -> ")) {
				t.Errorf("text does not give the roll's time and order:\n%s", text.String())
			}
		})
	}
}

// In both stacks the four BPA node groups wait for one another in node
// order, so a launch template change rolls them one at a time: 4 ×
// NodeUpdateSeconds. Without those waits they would roll together, the
// roll as long as one node's.
func TestNodeRollIsTheFourBPANodesInOrder(t *testing.T) {
	t.Parallel()
	bpaNodes := []string{"cluster-bpa-node-1", "cluster-bpa-node-2", "cluster-bpa-node-3", "cluster-bpa-node-4"}
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		res := Analyze(rec)
		if !reflect.DeepEqual(res.NodeRoll.Chain, bpaNodes) {
			t.Errorf("roll chain %v, want %v", res.NodeRoll.Chain, bpaNodes)
		}
		if want := len(bpaNodes) * NodeUpdateSeconds; res.NodeRoll.Seconds != want {
			t.Errorf("roll %d s, want %d s", res.NodeRoll.Seconds, want)
		}
		// Each waits for the one before directly, not for any later one.
		g := Build(rec)
		for i, name := range bpaNodes {
			ng := rec.Find(nodeGroupT, name)
			if ng == nil {
				t.Fatalf("no node group %s", name)
			}
			if i > 0 && !slices.Contains(g.Node(ng.URN).Preds, rec.Find(nodeGroupT, bpaNodes[i-1]).URN) {
				t.Errorf("%s does not wait for %s", name, bpaNodes[i-1])
			}
			for _, later := range bpaNodes[i+1:] {
				if g.WaitsFor(ng.URN, rec.Find(nodeGroupT, later).URN) {
					t.Errorf("%s waits for the later %s", name, later)
				}
			}
		}

		// The same graph without the waits between node groups.
		groups := map[string]bool{}
		for _, ng := range rec.OfType(nodeGroupT) {
			groups[ng.URN] = true
		}
		apart := *rec
		apart.Resources = make([]*harness.Resource, len(rec.Resources))
		for i, r := range rec.Resources {
			apart.Resources[i] = r
			if groups[r.URN] {
				c := *r
				c.Dependencies = slices.DeleteFunc(slices.Clone(r.Dependencies), func(u string) bool { return groups[u] })
				apart.Resources[i] = &c
			}
		}
		if roll := Analyze(&apart).NodeRoll; roll.Seconds != NodeUpdateSeconds || len(roll.Chain) != 1 {
			t.Errorf("without the waits: roll %d s over %v, want one group, %d s", roll.Seconds, roll.Chain, NodeUpdateSeconds)
		}
	})
}

// The first deployment creates each BPA node group after the one before,
// and CoreDNS after all of them.
func TestBPANodeGroupsAreCreatedOneAfterAnother(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		res := Analyze(rec)
		prev := Step{}
		for i := 1; i <= 4; i++ {
			ng := rec.Find(nodeGroupT, fmt.Sprintf("cluster-bpa-node-%d", i))
			if ng == nil {
				t.Fatalf("no BPA node group %d", i)
			}
			s, _ := res.At(ng.URN)
			if i > 1 && s.StartSeconds < prev.FinishSeconds {
				t.Errorf("%s starts at %d s, before %s finishes at %d s", s.Name, s.StartSeconds, prev.Name, prev.FinishSeconds)
			}
			prev = s
		}
		coredns := rec.Find(addonT, "cluster-addon-coredns")
		if coredns == nil {
			t.Fatal("no CoreDNS add-on")
		}
		for _, ng := range rec.OfType(nodeGroupT) {
			n, _ := res.At(ng.URN)
			if c, _ := res.At(coredns.URN); c.StartSeconds < n.FinishSeconds {
				t.Errorf("CoreDNS starts at %d s, before %s is ready at %d s", c.StartSeconds, n.Name, n.FinishSeconds)
			}
		}
	})
}

// --- the real stacks ---------------------------------------------------------

// criticalPath is the model's answer for both stacks, by resource name:
// the secrets KMS key and the control plane's policy on it (the VPC and
// private subnets are ready sooner, so the network is not the binding
// start), the EKS component, the VPC CNI add-on, an ENIConfig, then the
// four BPA node groups one after another (each waits for the one before, so
// that ZooKeeper and Kafka keep their quorum when the nodes roll), CoreDNS
// (ACTIVE only once nodes run it) and the release, which waits for it. Dev
// and prod differ only in the branches off this path. The durations are not
// listed here: each step takes what the table gives its type.
var criticalPath = []string{
	"cluster-secrets-key", "cluster-control-plane-secrets-key", "cluster-eks",
	"cluster-addon-vpc-cni", "cluster-eniconfig-us-west-2a",
	"cluster-bpa-node-1", "cluster-bpa-node-2", "cluster-bpa-node-3", "cluster-bpa-node-4",
	"cluster-addon-coredns", "bpa-release",
}

func TestCriticalPathIsTheEKSChainPlusTheRelease(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		g := Build(rec)
		res := g.Analyze()
		var text bytes.Buffer
		_ = res.WriteText(&text)
		t.Logf("%s\n%s", stack, text.String())

		var got []string
		for _, s := range res.Chain {
			got = append(got, s.Name)
		}
		if !reflect.DeepEqual(got, criticalPath) {
			t.Errorf("chain\n  %s\nwant\n  %s", names(res.Chain), strings.Join(criticalPath, " -> "))
		}
		// The chain is contiguous from 0, each step as long as the table
		// says, each waiting for the one before; so the critical path is
		// the sum of the steps' table durations.
		clock := 0
		for i, s := range res.Chain {
			secs, _, _ := EstimateOf(rec.ByURN(s.URN))
			if s.StartSeconds != clock || s.DurationSeconds != secs || s.FinishSeconds != clock+secs {
				t.Errorf("step %s@%d+%d, want @%d+%d", s.Name, s.StartSeconds, s.DurationSeconds, clock, secs)
			}
			if i > 0 && !slices.Contains(g.Node(s.URN).Preds, res.Chain[i-1].URN) {
				t.Errorf("%s does not wait for %s", s.Name, res.Chain[i-1].Name)
			}
			clock += secs
		}
		if res.CriticalPathSeconds != clock {
			t.Errorf("critical path %d s, want the chain's %d s", res.CriticalPathSeconds, clock)
		}
		if len(res.UnmodelledTypes) > 0 || len(res.CycleEdges) > 0 || len(res.MissingDependencies) > 0 {
			t.Errorf("unmodelled %v, cycles %v, missing %v", res.UnmodelledTypes, res.CycleEdges, res.MissingDependencies)
		}

		// Ends at the workload's release; starts at time 0 with nothing
		// to wait for; and the network is upstream of the cluster.
		end := res.Chain[len(res.Chain)-1]
		if end.Type != releaseT || !within(rec, rec.ByURN(end.URN), workloadC) {
			t.Errorf("chain ends at %s %s, want the workload's Helm release", end.Type, end.Name)
		}
		first := res.Chain[0]
		for _, p := range g.Node(first.URN).Preds {
			if s, _ := res.At(p); s.FinishSeconds != 0 {
				t.Errorf("chain starts at %s, which waits for %s until %d s", first.Name, s.Name, s.FinishSeconds)
			}
		}
		eks := only(t, rec, eksT)
		vpc := only(t, rec, vpcT)
		if !g.WaitsFor(eks.URN, vpc.URN) {
			t.Error("the EKS cluster does not wait for the network's VPC")
		}

		// The EKS chain plus the release, and nothing of the databases.
		types := map[string]bool{}
		for _, s := range res.Chain {
			types[s.Type] = true
			r := rec.ByURN(s.URN)
			if isDatabase(rec, r) {
				t.Errorf("database resource %s %s on the critical path", s.Type, s.Name)
			}
			if s.Type == nodeGroupT && !strings.Contains(s.Name, "bpa-node") {
				t.Errorf("critical node group %s is not a BPA node group", s.Name)
			}
		}
		for _, must := range []string{eksT, nodeGroupT, releaseT} {
			if !types[must] {
				t.Errorf("critical path skips %s", must)
			}
		}

		// How much room the databases leave: the latest database
		// predecessor of the release against the release's start.
		release := rec.ByURN(end.URN)
		latest := Step{}
		for _, p := range g.Node(release.URN).Preds {
			if s, _ := res.At(p); isDatabase(rec, rec.ByURN(p)) && s.FinishSeconds > latest.FinishSeconds {
				latest = s
			}
		}
		t.Logf("%s: serial %d s; databases ready for the release at %d s (%s), %d s before it starts at %d s",
			stack, res.SerialSeconds, latest.FinishSeconds, latest.Name, end.StartSeconds-latest.FinishSeconds, end.StartSeconds)
		if latest.FinishSeconds > end.StartSeconds {
			t.Errorf("the databases, not the nodes, hold up the release")
		}
	})
}

func TestNoNeedlessEdges(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		g := Build(rec)
		explain := func(a, b string) string {
			var parts []string
			for _, u := range g.WaitChain(a, b) {
				parts = append(parts, u[strings.LastIndex(u, "::")+2:])
			}
			return strings.Join(parts, " -> ")
		}
		eks := only(t, rec, eksT)
		cluster := append([]*harness.Resource{eks}, rec.OfType(nodeGroupT)...)
		var dbs []*harness.Resource
		for _, r := range rec.Resources {
			if (r.Custom || r.Remote) && isDatabase(rec, r) {
				dbs = append(dbs, r)
			}
		}
		if len(dbs) < 20 {
			t.Fatalf("only %d database resources found", len(dbs))
		}
		for _, db := range dbs {
			for _, c := range cluster {
				if g.WaitsFor(db.URN, c.URN) {
					t.Errorf("%s %s waits for %s %s: %s", db.Type, db.Name, c.Type, c.Name, explain(db.URN, c.URN))
				}
				if g.WaitsFor(c.URN, db.URN) {
					t.Errorf("%s %s waits for %s %s: %s", c.Type, c.Name, db.Type, db.Name, explain(c.URN, db.URN))
				}
			}
		}

		// Positive control: the checks above and below are not vacuous.
		rds := only(t, rec, rdsT)
		release := only(t, rec, releaseT)
		// The release waits for the cluster DNS, every node group, the
		// registry's pull policy attachment, every database login (role,
		// database, grant) and the PrivateLink link.
		if !g.WaitsFor(release.URN, eks.URN) {
			t.Errorf("the release does not wait for %s %s", eks.Type, eks.Name)
		}
		waitsFor := []*harness.Resource{rds, only(t, rec, plSvcT), rec.Find(addonT, "cluster-addon-coredns"),
			rec.Find(attachT, "registry-pull")}
		waitsFor = append(waitsFor, rec.OfType(nodeGroupT)...)
		for _, typ := range []string{pgRoleT, pgDatabaseT, pgGrantT} {
			if len(rec.OfType(typ)) != 3 {
				t.Errorf("%d %s, want one per login (root, kong, camunda)", len(rec.OfType(typ)), typ)
			}
			waitsFor = append(waitsFor, rec.OfType(typ)...)
		}
		for _, on := range waitsFor {
			if on == nil {
				t.Error("a resource the release must wait for is missing")
			} else if !slices.Contains(g.Node(release.URN).Preds, on.URN) {
				t.Errorf("the release does not wait directly for %s %s", on.Type, on.Name)
			}
		}

		atlasSide := []*harness.Resource{only(t, rec, atlasT), only(t, rec, plEndT), only(t, rec, plSvcT)}
		for _, ep := range rec.OfType(endpointT) {
			if within(rec, ep, mongoC) { // the AWS side of the PrivateLink
				atlasSide = append(atlasSide, ep)
			}
		}
		if len(atlasSide) != 4 {
			t.Fatalf("Atlas side: %d resources", len(atlasSide))
		}
		for _, a := range atlasSide {
			if g.WaitsFor(a.URN, rds.URN) {
				t.Errorf("%s %s waits for the RDS instance: %s", a.Type, a.Name, explain(a.URN, rds.URN))
			}
			if g.WaitsFor(rds.URN, a.URN) {
				t.Errorf("the RDS instance waits for %s %s: %s", a.Type, a.Name, explain(rds.URN, a.URN))
			}
		}
	})
}

func TestRecordedDependenciesNeverNameLocalComponents(t *testing.T) {
	t.Parallel()
	// The Go SDK expands a dependency on a local component into its custom
	// and remote descendants before registering (addDependency in
	// sdk/go/pulumi/rpc.go); Build expands them too, for other recordings.
	for _, stack := range stacktest.Stacks(t) {
		rec := stacktest.Preview(t, stack)
		for _, r := range rec.Resources {
			for _, d := range r.Dependencies {
				if o := rec.ByURN(d); o != nil && !o.Custom && !o.Remote {
					t.Errorf("%s: %s depends on component %s", stack, r.Name, o.Name)
				}
			}
		}
	}
}

func TestAnalyzeIsDeterministic(t *testing.T) {
	t.Parallel()
	rec := stacktest.Preview(t, stacktest.Live)
	a, _ := json.Marshal(Analyze(rec))
	for range 5 {
		if b, _ := json.Marshal(Analyze(rec)); !bytes.Equal(a, b) {
			t.Fatal("two analyses of one recording differ")
		}
	}
}

func BenchmarkAnalyze(b *testing.B) {
	for _, stack := range stacktest.Stacks(b) {
		rec := stacktest.Preview(b, stack)
		b.Run(stack, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Analyze(rec)
			}
		})
	}
}

// isDatabase reports whether r belongs to the databases: an RDS, PostgreSQL
// or Atlas resource, or anything inside the Postgres or Mongo component.
func isDatabase(rec *harness.Recording, r *harness.Resource) bool {
	if r == nil {
		return false
	}
	for _, p := range []string{"aws:rds/", "postgresql:", "mongodbatlas:"} {
		if strings.HasPrefix(r.Type, p) {
			return true
		}
	}
	return within(rec, r, postgresC) || within(rec, r, mongoC)
}

// within reports whether r sits (at any depth) in a component of that type.
func within(rec *harness.Recording, r *harness.Resource, componentType string) bool {
	for cur := rec.ByURN(r.Parent); cur != nil; cur = rec.ByURN(cur.Parent) {
		if cur.Type == componentType {
			return true
		}
	}
	return false
}

func only(t *testing.T, rec *harness.Recording, typ string) *harness.Resource {
	t.Helper()
	rs := rec.OfType(typ)
	if len(rs) != 1 {
		t.Fatalf("want one %s, got %d", typ, len(rs))
	}
	return rs[0]
}

// The web ACL is an API call; its association waits for WAF to see a load
// balancer and web ACL made moments before. Neither is on the critical path:
// the release does not wait for them.
func TestWebACLIsSecondsAndOffTheCriticalPath(t *testing.T) {
	t.Parallel()
	for typ, want := range map[string]int{"aws:wafv2/webAcl:WebAcl": 5, "aws:wafv2/webAclAssociation:WebAclAssociation": 30} {
		if got, why, ok := EstimateOf(custom("x", typ)); got != want || !ok || why == "" {
			t.Errorf("%s: %d s (%q, modelled %v), want %d", typ, got, why, ok, want)
		}
	}
	rec := stacktest.Preview(t, stacktest.Live)
	res := Analyze(rec)
	for _, s := range res.Chain {
		if strings.HasPrefix(s.Type, "aws:wafv2/") {
			t.Errorf("%s %s is on the critical path", s.Type, s.Name)
		}
	}
	if len(rec.OfType("aws:wafv2/webAclAssociation:WebAclAssociation")) != 1 {
		t.Error("prod has no web ACL association to time")
	}
}
