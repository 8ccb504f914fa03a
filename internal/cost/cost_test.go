package cost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func estimateStack(t *testing.T, stack string) *Report {
	t.Helper()
	rep, err := Estimate(stacktest.Preview(t, stack))
	if err != nil {
		t.Fatalf("estimate %s: %v", stack, err)
	}
	return rep
}

// components are the program's components, each listed even when nothing
// in it is priced.
var components = []string{"bpa", "cluster", "mongo", "network", "postgres", "registry"}

// Every component is listed once, its total is the sum of its lines, and
// the stack's total the sum of the components. The workload's resources
// live inside the cluster (their pods run on the priced nodes), so it costs
// nothing of its own; the registry's only priced resource is its KMS key
// (ECR storage depends on what is pushed and is listed as unpriced).
func TestTotalsAddUpPerComponent(t *testing.T) {
	for _, stack := range stacktest.Stacks(t) {
		t.Run(stack, func(t *testing.T) {
			rep := estimateStack(t, stack)
			var listed []string
			var sum float64
			for _, c := range rep.Components {
				listed = append(listed, c.Component)
				sum += c.Monthly
				var lines float64
				for _, l := range rep.Lines {
					if l.Component == c.Component {
						lines += l.Monthly
					}
				}
				if cents(lines) != c.Monthly {
					t.Errorf("%s: lines add up to %.2f, component total is %.2f", c.Component, lines, c.Monthly)
				}
			}
			if !slices.Equal(listed, components) {
				t.Errorf("components %v, want %v", listed, components)
			}
			if cents(sum) != rep.Total {
				t.Errorf("components add up to %.2f, total is %.2f", sum, rep.Total)
			}
			if rep.Total <= 0 {
				t.Errorf("total %.2f", rep.Total)
			}
			if got := rep.ComponentTotal("bpa"); got != 0 {
				t.Errorf("bpa: %.2f, want 0", got)
			}
			if got, want := rep.ComponentTotal("registry"), cents(usWest2.KMSKey.USD); got != want {
				t.Errorf("registry: %.2f, want its KMS key %.2f", got, want)
			}
		})
	}
}

// lab is live's shape made cheap: smaller nodes and data volumes, one NAT
// gateway, no interface endpoints, a small single-AZ database and M10. It
// comes to about a quarter of live; the fixed costs both pay (control
// plane, load balancer) keep it from going much lower.
func TestLabIsWellUnderLive(t *testing.T) {
	lab, live := estimateStack(t, stacktest.Lab), estimateStack(t, stacktest.Live)
	if ratio := lab.Total / live.Total; ratio >= 0.30 || ratio < 0.15 {
		t.Errorf("lab %.2f is %.0f%% of live %.2f, want 15%%-30%%", lab.Total, ratio*100, live.Total)
	}
	for _, comp := range []string{"cluster", "network", "postgres", "mongo"} {
		if lab.ComponentTotal(comp) >= live.ComponentTotal(comp) {
			t.Errorf("%s: lab %.2f is not under live %.2f", comp, lab.ComponentTotal(comp), live.ComponentTotal(comp))
		}
	}
}

func TestEveryTypeIsClassifiedAndEveryPricedTypePriced(t *testing.T) {
	for _, stack := range stacktest.Stacks(t) {
		t.Run(stack, func(t *testing.T) {
			rec := stacktest.Preview(t, stack)
			rep := estimateStack(t, stack)
			if len(rep.Unclassified) > 0 {
				t.Errorf("unclassified types: %+v", rep.Unclassified)
			}
			lines := map[string]int{}
			for _, l := range rep.Lines {
				lines[l.Type]++
			}
			present := map[string]bool{}
			for _, r := range rec.Resources {
				present[r.Type] = true
			}
			for _, typ := range harness.SortedKeys(present) {
				class, reason := Classify(typ)
				switch class {
				case Unclassified:
					t.Errorf("%s is not classified", typ)
				case Priced:
					if lines[typ] == 0 {
						t.Errorf("priced type %s produced no line", typ)
					}
				case Free, Unpriced:
					if reason == "" {
						t.Errorf("%s is %s without a reason", typ, class)
					}
					if lines[typ] > 0 {
						t.Errorf("%s is %s but has lines", typ, class)
					}
				}
			}
			for _, u := range rep.Unpriced {
				if class, _ := Classify(u.Type); class != Unpriced || u.Reason == "" || !present[u.Type] {
					t.Errorf("unpriced entry %+v", u)
				}
			}
		})
	}
}

func TestUnknownTypeIsReportedNotIgnored(t *testing.T) {
	rec := stacktest.Preview(t, stacktest.Lab)
	extra := *rec
	extra.Resources = append(append([]*harness.Resource(nil), rec.Resources...), &harness.Resource{
		URN:  "urn:pulumi:lab::bpa::bpa:network:Network$aws:ec2/transitGateway:TransitGateway::network-tgw",
		Type: "aws:ec2/transitGateway:TransitGateway", Name: "network-tgw", Custom: true,
		Parent: rec.Find("bpa:network:Network", "network").URN, Inputs: resource.PropertyMap{},
	})
	base := estimateStack(t, stacktest.Lab)
	rep, err := Estimate(&extra)
	if err != nil {
		t.Fatal(err)
	}
	// Exactly the added type joins whatever the stack itself leaves
	// unclassified (nothing, see TestEveryTypeIsClassifiedAndEveryPricedTypePriced).
	want := append([]TypeNote{{Type: "aws:ec2/transitGateway:TransitGateway", Count: 1}}, base.Unclassified...)
	sort.Slice(want, func(i, j int) bool { return want[i].Type < want[j].Type })
	if len(rep.Unclassified) != len(want) {
		t.Fatalf("unclassified = %+v, want the stack's %+v and the transit gateway", rep.Unclassified, base.Unclassified)
	}
	for i, u := range rep.Unclassified {
		if u.Type != want[i].Type || u.Count != want[i].Count || u.Reason == "" {
			t.Errorf("unclassified[%d] = %+v, want %s ×%d with a reason", i, u, want[i].Type, want[i].Count)
		}
	}
	if rep.Total != base.Total {
		t.Errorf("an unclassified type changed the total: %.2f, was %.2f", rep.Total, base.Total)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "UNCLASSIFIED") || !strings.Contains(text.String(), "transitGateway") {
		t.Errorf("the text does not show the unclassified type:\n%s", text.String())
	}
}

func linesOf(rep *Report, typ, namePrefix, descContains string) []Line {
	var out []Line
	for _, l := range rep.Lines {
		if l.Type == typ && strings.HasPrefix(l.Name, namePrefix) && strings.Contains(l.Description, descContains) {
			out = append(out, l)
		}
	}
	return out
}

const (
	nodeGroupType = "aws:eks/nodeGroup:NodeGroup"
	volumeType    = "aws:ebs/volume:Volume"
	secretType    = "aws:secretsmanager/secret:Secret"
)

// bpaNodes are the four BPA node groups, each with its own data volume.
var bpaNodes = []string{"node-1", "node-2", "node-3", "node-4"}

// gp3Monthly is what AWS bills for one gp3 volume a month: its size, and
// the IOPS and throughput provisioned above the 3000 IOPS and 125 MiB/s
// every gp3 volume includes.
func gp3Monthly(p *Prices, gib, iops, mibps int) float64 {
	return float64(gib)*p.EBSgp3GB.USD +
		float64(max(iops-3000, 0))*p.EBSgp3IOPS.USD +
		float64(max(mibps-125, 0))*p.EBSgp3Throughput.USD
}

// Every BPA node is priced as one instance of the configured type with its
// root volume; its data volume is no longer in the launch template, so the
// node group carries no second EBS line (the volume is priced on its own).
func TestEveryBPANodeIsPricedWithItsInstanceAndRootVolume(t *testing.T) {
	for _, stack := range stacktest.Stacks(t) {
		t.Run(stack, func(t *testing.T) {
			n := stacktest.Config(t, stack).Cluster.BpaNodes
			rep := estimateStack(t, stack)
			instance := cents(usWest2.EC2[n.InstanceType].USD * HoursPerMonth)
			root := cents(gp3Monthly(usWest2, n.RootVolumeGiB, 3000, 125))
			if instance == 0 {
				t.Fatalf("no price for %s", n.InstanceType)
			}
			for _, node := range bpaNodes {
				name := "cluster-bpa-" + node
				all := linesOf(rep, nodeGroupType, name, "")
				inst := linesOf(rep, nodeGroupType, name, "1 × "+n.InstanceType+" on-demand")
				ebs := linesOf(rep, nodeGroupType, name, "EBS")
				rootLine := linesOf(rep, nodeGroupType, name, fmt.Sprintf("EBS gp3 %d GiB (/dev/xvda)", n.RootVolumeGiB))
				if len(all) == 0 || all[0].Component != "cluster" {
					t.Errorf("%s: lines %+v, want them in the cluster", name, all)
				}
				if len(inst) != 1 || inst[0].Monthly != instance {
					t.Errorf("%s: instance lines %+v, want one %s at %.2f", name, inst, n.InstanceType, instance)
				}
				if len(ebs) != 1 || len(rootLine) != 1 || rootLine[0].Monthly != root {
					t.Errorf("%s: EBS lines %+v, want only the %d GiB root volume at %.2f", name, ebs, n.RootVolumeGiB, root)
				}
				for _, l := range all {
					if strings.Contains(l.Description, "/dev/xvdb") || strings.Contains(l.Description, fmt.Sprintf(" %d GiB", n.DataVolumeGiB)) {
						t.Errorf("%s prices a data volume in its launch template: %q", name, l.Description)
					}
				}
			}
		})
	}
}

// Each BPA node's data volume is an aws:ebs/volume:Volume of its own,
// priced once at the configured gp3 size, IOPS and throughput.
func TestEachDataVolumeIsPricedOnceAtTheConfiguredSize(t *testing.T) {
	for _, stack := range stacktest.Stacks(t) {
		t.Run(stack, func(t *testing.T) {
			n := stacktest.Config(t, stack).Cluster.BpaNodes
			rec := stacktest.Preview(t, stack)
			rep := estimateStack(t, stack)
			want := cents(gp3Monthly(usWest2, n.DataVolumeGiB, n.DataVolumeIops, n.DataVolumeThroughput))
			volumes := rec.OfType(volumeType)
			if len(volumes) != len(bpaNodes) {
				t.Fatalf("%d data volumes, want %d", len(volumes), len(bpaNodes))
			}
			var lines []Line
			for _, l := range rep.Lines {
				if l.Type == volumeType {
					lines = append(lines, l)
				}
			}
			if len(lines) != len(bpaNodes) {
				t.Errorf("volume lines %+v, want one per BPA node", lines)
			}
			for _, node := range bpaNodes {
				name := "cluster-data-" + node
				if rec.Find(volumeType, name) == nil {
					t.Errorf("no data volume %s", name)
					continue
				}
				l := linesOf(rep, volumeType, name, "")
				if len(l) != 1 {
					t.Errorf("%s: lines %+v, want exactly one", name, l)
					continue
				}
				if l[0].Component != "cluster" || l[0].Monthly != want ||
					!strings.Contains(l[0].Description, fmt.Sprintf("1 × EBS gp3 %d GiB", n.DataVolumeGiB)) {
					t.Errorf("%s: %s %q %.2f, want cluster, %d GiB gp3 at %.2f", name, l[0].Component, l[0].Description, l[0].Monthly, n.DataVolumeGiB, want)
				}
			}
		})
	}
}

// Live's data volumes provision IOPS and throughput above gp3's baseline,
// which must show in the line; lab's stay at the baseline and pay for size
// only.
func TestDataVolumePerformanceAboveTheBaselineIsPriced(t *testing.T) {
	live := stacktest.Config(t, stacktest.Live).Cluster.BpaNodes
	if live.DataVolumeIops <= 3000 || live.DataVolumeThroughput <= 125 {
		t.Fatalf("live data volumes at %d IOPS, %d MiB/s: the check needs both above the baseline", live.DataVolumeIops, live.DataVolumeThroughput)
	}
	l := linesOf(estimateStack(t, stacktest.Live), volumeType, "cluster-data-node-1", "")
	if len(l) != 1 ||
		!strings.Contains(l[0].Description, fmt.Sprintf("+ %d IOPS above 3000", live.DataVolumeIops-3000)) ||
		!strings.Contains(l[0].Description, fmt.Sprintf("+ %d MiB/s above 125", live.DataVolumeThroughput-125)) {
		t.Errorf("live data volume %+v does not price its IOPS and throughput above the baseline", l)
	}
	if size := cents(gp3Monthly(usWest2, live.DataVolumeGiB, 3000, 125)); len(l) == 1 && l[0].Monthly <= size {
		t.Errorf("live data volume %.2f, not above its storage alone %.2f", l[0].Monthly, size)
	}

	lab := stacktest.Config(t, stacktest.Lab).Cluster.BpaNodes
	d := linesOf(estimateStack(t, stacktest.Lab), volumeType, "cluster-data-node-1", "")
	if lab.DataVolumeIops == 3000 && lab.DataVolumeThroughput == 125 {
		if len(d) != 1 || strings.Contains(d[0].Description, "above") || d[0].Monthly != cents(float64(lab.DataVolumeGiB)*usWest2.EBSgp3GB.USD) {
			t.Errorf("lab data volume %+v, want %d GiB of storage only", d, lab.DataVolumeGiB)
		}
	}
}

func TestLiveBPANodesAreFourInstancesOfTheConfiguredType(t *testing.T) {
	rep := estimateStack(t, stacktest.Live)
	nodes := linesOf(rep, nodeGroupType, "cluster-bpa-node-", "m6i.2xlarge on-demand")
	if len(nodes) != 4 {
		t.Fatalf("BPA node instance lines = %d, want 4: %+v", len(nodes), nodes)
	}
	var sum float64
	for _, l := range nodes {
		if l.Component != "cluster" || l.Monthly != 280.32 { // 0.384 $/h × 730 h
			t.Errorf("%s: %s %.2f, want cluster 280.32", l.Name, l.Component, l.Monthly)
		}
		sum += l.Monthly
	}
	if want := 4 * 0.384 * HoursPerMonth; math.Abs(sum-want) > 0.005 {
		t.Errorf("BPA nodes %.2f, want %.2f", sum, want)
	}
	// Each data volume: 2048 GiB gp3 plus 3000 IOPS and 125 MiB/s above the
	// free baseline: 163.84 + 15 + 5.
	data := linesOf(rep, volumeType, "cluster-data-node-", "2048 GiB")
	if len(data) != 4 || data[0].Monthly != 183.84 {
		t.Errorf("data volume lines = %+v, want 4 × 183.84", data)
	}
	general := linesOf(rep, nodeGroupType, "cluster-general", "m6i.xlarge on-demand")
	if len(general) != 1 || general[0].Monthly != 420.48 || !strings.HasPrefix(general[0].Description, "3 × ") {
		t.Errorf("general nodes = %+v, want 3 × m6i.xlarge = 420.48", general)
	}
}

// Every Secrets Manager secret is priced once at the table's monthly fee,
// and PostgreSQL keeps one per login the chart uses: root, kong, camunda.
func TestEverySecretIsPricedOnce(t *testing.T) {
	for _, stack := range stacktest.Stacks(t) {
		t.Run(stack, func(t *testing.T) {
			rec := stacktest.Preview(t, stack)
			rep := estimateStack(t, stack)
			secrets := rec.OfType(secretType)
			if len(secrets) == 0 {
				t.Fatal("no secrets")
			}
			for _, r := range secrets {
				l := linesOf(rep, secretType, r.Name, "")
				var mine []Line
				for _, x := range l {
					if x.Name == r.Name {
						mine = append(mine, x)
					}
				}
				if len(mine) != 1 || mine[0].Monthly != usWest2.Secret.USD {
					t.Errorf("%s: lines %+v, want one at %.2f", r.Name, mine, usWest2.Secret.USD)
				}
			}
			if got := len(linesOf(rep, secretType, "", "")); got != len(secrets) {
				t.Errorf("%d secret lines for %d secrets", got, len(secrets))
			}
			for _, login := range []string{"root", "kong", "camunda"} {
				l := linesOf(rep, secretType, "postgres-"+login, "")
				if len(l) != 1 || l[0].Component != "postgres" {
					t.Errorf("PostgreSQL login %s: secret lines %+v, want one in postgres", login, l)
				}
			}
		})
	}
}

func TestRDSMultiAZDoublesInstanceAndStorage(t *testing.T) {
	live := estimateStack(t, stacktest.Live)
	for desc, want := range map[string]float64{
		"db.m5d.2xlarge PostgreSQL Multi-AZ": 2 * 0.838 * HoursPerMonth,
		"io2 400 GiB":                        2 * 400 * 0.125,
		"io2 3000 provisioned IOPS":          2 * 3000 * 0.10,
	} {
		l := linesOf(live, "aws:rds/instance:Instance", "postgres", desc)
		if len(l) != 1 || math.Abs(l[0].Monthly-want) > 0.005 {
			t.Errorf("live %q = %+v, want %.2f", desc, l, want)
		}
	}
	lab := estimateStack(t, stacktest.Lab)
	for desc, want := range map[string]float64{
		"db.t4g.medium PostgreSQL Single-AZ": 0.065 * HoursPerMonth,
		"gp3 20 GiB":                         20 * 0.115,
	} {
		l := linesOf(lab, "aws:rds/instance:Instance", "postgres", desc)
		if len(l) != 1 || math.Abs(l[0].Monthly-want) > 0.005 {
			t.Errorf("lab %q = %+v, want %.2f", desc, l, want)
		}
	}
}

func TestNATGatewayPerAZInLiveSingleInLab(t *testing.T) {
	for stack, want := range map[string]int{stacktest.Live: 3, stacktest.Lab: 1} {
		rep := estimateStack(t, stack)
		nat := linesOf(rep, "aws:ec2/natGateway:NatGateway", "network-nat-", "NAT gateway")
		eip := linesOf(rep, "aws:ec2/eip:Eip", "network-nat-", "public IPv4")
		if len(nat) != want || len(eip) != want {
			t.Errorf("%s: %d NAT gateway and %d EIP lines, want %d each", stack, len(nat), len(eip), want)
		}
		for _, l := range append(nat, eip...) {
			if w := map[string]float64{"aws:ec2/natGateway:NatGateway": 32.85, "aws:ec2/eip:Eip": 3.65}[l.Type]; l.Monthly != w {
				t.Errorf("%s %s: %.2f, want %.2f", stack, l.Name, l.Monthly, w)
			}
		}
	}
}

// The Atlas endpoint's subnetIds are unknown as a whole in a preview; the
// AZ count comes from the subnets its value was computed from. live has
// eight AWS service endpoints and Atlas's, lab only Atlas's.
func TestInterfaceEndpointsArePricedPerAZ(t *testing.T) {
	for stack, want := range map[string]int{stacktest.Live: 9, stacktest.Lab: 1} {
		rep := estimateStack(t, stack)
		endpoints := linesOf(rep, "aws:ec2/vpcEndpoint:VpcEndpoint", "", "interface endpoint")
		if len(endpoints) != want {
			t.Errorf("%s: %d interface endpoints, want %d", stack, len(endpoints), want)
		}
		for _, l := range endpoints {
			if l.Monthly != 21.90 || !strings.Contains(l.Description, "in 3 AZs") {
				t.Errorf("%s %s: %q %.2f, want 3 AZs = 21.90", stack, l.Name, l.Description, l.Monthly)
			}
		}
		mongo := linesOf(rep, "aws:ec2/vpcEndpoint:VpcEndpoint", "mongo-endpoint", "")
		if len(mongo) != 1 || mongo[0].Component != "mongo" {
			t.Errorf("%s: Atlas PrivateLink endpoint = %+v", stack, mongo)
		}
	}
}

func TestAtlasTierAndBackupCaveat(t *testing.T) {
	for stack, want := range map[string]struct {
		tier    string
		monthly float64
		backup  bool
	}{stacktest.Live: {"M30", 394.20, true}, stacktest.Lab: {"M10", 58.40, false}} {
		rep := estimateStack(t, stack)
		l := linesOf(rep, "mongodbatlas:index/advancedCluster:AdvancedCluster", "mongo-cluster", "Atlas "+want.tier+" × 3 electable")
		if len(l) != 1 || l[0].Monthly != want.monthly {
			t.Errorf("%s: Atlas lines %+v, want %s = %.2f", stack, l, want.tier, want.monthly)
		}
		backup := false
		for _, c := range rep.Caveats {
			if c.Name == "mongo-cluster" && strings.Contains(c.Text, "backup") && strings.Contains(c.Text, "NOT included") {
				backup = true
			}
		}
		if backup != want.backup {
			t.Errorf("%s: backup caveat %v, want %v (%+v)", stack, backup, want.backup, rep.Caveats)
		}
	}
}

func TestEKSSupportTierFollowsTheCalendar(t *testing.T) {
	p := *usWest2 // dated 2026-11-25
	for version, want := range map[string]bool{"1.33": true, "1.34": false, "1.35": false, "1.39": false} {
		extended, _, err := p.eksExtendedSupport(version)
		if err != nil || extended != want {
			t.Errorf("%s: extended %v (%v), want %v", version, extended, err, want)
		}
	}
	if _, _, err := p.eksExtendedSupport("1.29"); err == nil {
		t.Error("1.29 is not in the calendar, yet no error")
	}
	p.Date = "2027-08-01" // a year after 1.33 left standard support
	if _, _, err := p.eksExtendedSupport("1.33"); err == nil {
		t.Error("1.33 past extended support, yet no error")
	}
	for _, stack := range stacktest.Stacks(t) {
		l := linesOf(estimateStack(t, stack), "eks:index:Cluster", "cluster-eks", "1.35 in standard support until 2027-03-27")
		if len(l) != 1 || l[0].Monthly != 73 {
			t.Errorf("%s: control plane = %+v, want Kubernetes 1.35 at the standard rate 73.00", stack, l)
		}
	}
}

// modified copies rec and changes one resource's copy; recordings are
// shared between tests and must stay as they are.
func modified(rec *harness.Recording, typ, name string, change func(r *harness.Resource)) *harness.Recording {
	out := *rec
	out.Resources = make([]*harness.Resource, len(rec.Resources))
	for i, r := range rec.Resources {
		out.Resources[i] = r
		if r.Type == typ && r.Name == name {
			c := *r
			c.Inputs = r.Inputs.Copy()
			c.PropertyDependencies = maps.Clone(r.PropertyDependencies)
			change(&c)
			out.Resources[i] = &c
		}
	}
	return &out
}

func TestUnsupportedRegionIsAnError(t *testing.T) {
	rec := modified(stacktest.Preview(t, stacktest.Lab), "pulumi:providers:aws", "aws", func(r *harness.Resource) {
		r.Inputs["region"] = resource.NewProperty("eu-central-1")
	})
	_, err := Estimate(rec)
	if err == nil || !strings.Contains(err.Error(), `"eu-central-1"`) {
		t.Fatalf("err = %v, want one naming eu-central-1", err)
	}
}

// A priced resource whose price-relevant input is gone fails the estimate,
// naming the resource and the input, rather than pricing it at nothing.
func TestMissingPricedInputIsAnError(t *testing.T) {
	live := stacktest.Preview(t, stacktest.Live)
	cases := map[string]struct {
		rec  *harness.Recording
		want []string
	}{
		"launch template without instance type": {
			modified(live, launchTemplateType, "cluster-bpa-node-2", func(r *harness.Resource) { delete(r.Inputs, "instanceType") }),
			[]string{"cluster-bpa-node-2", "instanceType"},
		},
		"node group whose launch template cannot be found": {
			modified(live, nodeGroupType, "cluster-general", func(r *harness.Resource) {
				delete(r.PropertyDependencies, "launchTemplate")
			}),
			[]string{"cluster-general", "launch template"},
		},
		"instance type without a price": {
			modified(live, launchTemplateType, "cluster-general", func(r *harness.Resource) {
				r.Inputs["instanceType"] = resource.NewProperty("x9.huge")
			}),
			[]string{"cluster-general", `"x9.huge"`},
		},
		"unknown desired size": {
			modified(live, "aws:eks/nodeGroup:NodeGroup", "cluster-bpa-node-1", func(r *harness.Resource) {
				r.Inputs["scalingConfig"] = resource.MakeComputed(resource.NewProperty(""))
			}),
			[]string{"cluster-bpa-node-1", "scalingConfig.desiredSize"},
		},
		"data volume without a size": {
			modified(live, volumeType, "cluster-data-node-3", func(r *harness.Resource) { delete(r.Inputs, "size") }),
			// The error names the volume's size; priceVolume reads it as a
			// launch template's volumeSize, which is what it quotes.
			[]string{"cluster-data-node-3", "ize"},
		},
		"data volume of a type without a price": {
			modified(live, volumeType, "cluster-data-node-2", func(r *harness.Resource) {
				r.Inputs["type"] = resource.NewProperty("st1")
			}),
			[]string{"cluster-data-node-2", `"st1"`},
		},
		"RDS instance class without a price": {
			modified(live, "aws:rds/instance:Instance", "postgres", func(r *harness.Resource) {
				r.Inputs["instanceClass"] = resource.NewProperty("db.x9.huge")
			}),
			[]string{"postgres", `"db.x9.huge"`},
		},
		"Atlas cluster without replication specs": {
			modified(live, "mongodbatlas:index/advancedCluster:AdvancedCluster", "mongo-cluster", func(r *harness.Resource) {
				delete(r.Inputs, "replicationSpecs")
			}),
			[]string{"mongo-cluster", "replicationSpecs"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Estimate(c.rec)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

// A resolved recording knows ids and outputs a preview does not; the
// estimate reads only what both know.
func TestResolvedRecordingEstimatesTheSame(t *testing.T) {
	for _, stack := range stacktest.Stacks(t) {
		resolved, err := Estimate(stacktest.Resolved(t, stack))
		if err != nil {
			t.Fatal(err)
		}
		if preview := estimateStack(t, stack); resolved.Total != preview.Total {
			t.Errorf("%s: resolved %.2f, preview %.2f", stack, resolved.Total, preview.Total)
		}
	}
}

func TestPriceTableIsSourcedAndDated(t *testing.T) {
	for region, p := range tables {
		if p.Region != region || p.Date == "" || !strings.Contains(p.Checked, "verify") {
			t.Errorf("%s: region %q date %q note %q", region, p.Region, p.Date, p.Checked)
		}
		for _, e := range p.entries() {
			if e.USD <= 0 || e.Unit == "" || e.Source == "" {
				t.Errorf("%s %s: %+v", region, e.Name, e.Price)
			}
		}
	}
}

func TestReportTextAndJSON(t *testing.T) {
	rep := estimateStack(t, stacktest.Live)
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"USD " + Money(rep.Total) + " ", "TOTAL per month", "us-west-2", "2026-11-25", "verify before quoting", "data transfer",
		"cluster", "network", "postgres", "mongo", "registry", "Charged but not priced", "aws:ecr/repository:Repository",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q", want)
		}
	}

	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"stack", "region", "pricesDate", "lines", "components", "total", "exclusions", "assumptions", "unpriced", "caveats"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
	if doc["total"] != rep.Total {
		t.Errorf("JSON total = %v, want %v", doc["total"], rep.Total)
	}
	if lines, _ := doc["lines"].([]any); len(lines) != len(rep.Lines) {
		t.Errorf("JSON has %d lines, the report %d", len(lines), len(rep.Lines))
	}
	if strings.Contains(string(b), harness.GeneratedPasswordPrefix) || strings.Contains(text.String(), harness.GeneratedPasswordPrefix) {
		t.Error("the report carries a generated password")
	}
}

// The load balancer's web ACL costs $5 a month plus $1 per rule group
// (AWS WAF pricing; requests excluded); only live, which protects its
// resources, has one by default. The association is free.
func TestWebACLIsPricedPerACLAndRuleGroup(t *testing.T) {
	const aclType, assocType = "aws:wafv2/webAcl:WebAcl", "aws:wafv2/webAclAssociation:WebAclAssociation"
	if class, _ := Classify(assocType); class != Free {
		t.Errorf("%s is %s, want free", assocType, class)
	}
	for stack, want := range map[string][]float64{stacktest.Live: {8.00}, stacktest.Lab: nil} {
		var got []float64
		for _, l := range linesOf(estimateStack(t, stack), aclType, "", "") {
			got = append(got, l.Monthly)
			if l.Component != "cluster" || !strings.Contains(l.Description, "3 rules or rule groups") || !strings.Contains(l.Description, "requests excluded") {
				t.Errorf("%s: line %+v", stack, l)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: web ACL lines %v, want %v", stack, got, want)
		}
	}
	if want := usWest2.WAFWebACL.USD + 3*usWest2.WAFRule.USD; want != 8.00 {
		t.Errorf("web ACL with three rule groups %.2f, want 8.00", want)
	}
	for _, p := range []Price{usWest2.WAFWebACL, usWest2.WAFRule, usWest2.WAFRequests} {
		if !strings.Contains(p.Source, "AWS WAF pricing") || !strings.Contains(p.Note, "third-party") {
			t.Errorf("WAF price %+v is not cited with its caveat", p)
		}
	}
	if !slices.ContainsFunc(exclusions(), func(s string) bool { return strings.Contains(s, "AWS WAF") }) {
		t.Error("WAF request charges are not listed as excluded")
	}
}
