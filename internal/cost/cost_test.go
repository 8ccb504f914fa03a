package cost

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
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

// The totals change only when a stack's configuration or the price table
// changes; either should be a deliberate edit of these figures.
func TestTotalsPerStack(t *testing.T) {
	want := map[string]map[string]float64{
		"dev": {
			"bpa": 0, "cluster": 720.51, "mongo": 81.70, "network": 51.12, "postgres": 57.47, "registry": 1.00,
			"TOTAL": 911.80,
		},
		"prod": {
			"bpa": 0, "cluster": 2431.34, "mongo": 417.50, "network": 300.97, "postgres": 1934.50, "registry": 1.00,
			"TOTAL": 5085.31,
		},
	}
	for _, stack := range stacktest.Stacks {
		t.Run(stack, func(t *testing.T) {
			rep := estimateStack(t, stack)
			got := map[string]float64{"TOTAL": rep.Total}
			var sum float64
			for _, c := range rep.Components {
				got[c.Component] = c.Monthly
				sum += c.Monthly
			}
			for _, k := range harness.SortedKeys(want[stack]) {
				if got[k] != want[stack][k] {
					t.Errorf("%s: %.2f, want %.2f", k, got[k], want[stack][k])
				}
			}
			for _, k := range harness.SortedKeys(got) {
				if _, ok := want[stack][k]; !ok {
					t.Errorf("unexpected component %s (%.2f)", k, got[k])
				}
			}
			if cents(sum) != rep.Total {
				t.Errorf("components add up to %.2f, total is %.2f", sum, rep.Total)
			}
		})
	}
}

// dev is prod's shape made cheap: smaller nodes and data volumes, one NAT
// gateway, no interface endpoints, a small single-AZ database and M10. It
// comes to about a quarter of prod; the fixed costs both pay (control
// plane, load balancer) keep it from going much lower.
func TestDevIsWellUnderProd(t *testing.T) {
	dev, prod := estimateStack(t, "dev"), estimateStack(t, "prod")
	if ratio := dev.Total / prod.Total; ratio >= 0.30 || ratio < 0.15 {
		t.Errorf("dev %.2f is %.0f%% of prod %.2f, want 15%%-30%%", dev.Total, ratio*100, prod.Total)
	}
	for _, comp := range []string{"cluster", "network", "postgres", "mongo"} {
		if dev.ComponentTotal(comp) >= prod.ComponentTotal(comp) {
			t.Errorf("%s: dev %.2f is not under prod %.2f", comp, dev.ComponentTotal(comp), prod.ComponentTotal(comp))
		}
	}
}

func TestEveryTypeIsClassifiedAndEveryPricedTypePriced(t *testing.T) {
	for _, stack := range stacktest.Stacks {
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
	rec := stacktest.Preview(t, "dev")
	extra := *rec
	extra.Resources = append(append([]*harness.Resource(nil), rec.Resources...), &harness.Resource{
		URN:  "urn:pulumi:dev::bpa::bpa:network:Network$aws:ec2/transitGateway:TransitGateway::network-tgw",
		Type: "aws:ec2/transitGateway:TransitGateway", Name: "network-tgw", Custom: true,
		Parent: rec.Find("bpa:network:Network", "network").URN, Inputs: resource.PropertyMap{},
	})
	rep, err := Estimate(&extra)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Unclassified) != 1 || rep.Unclassified[0].Type != "aws:ec2/transitGateway:TransitGateway" || rep.Unclassified[0].Count != 1 {
		t.Fatalf("unclassified = %+v", rep.Unclassified)
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

func TestProdBPANodesAreFourInstancesOfTheConfiguredType(t *testing.T) {
	rep := estimateStack(t, "prod")
	nodes := linesOf(rep, "aws:eks/nodeGroup:NodeGroup", "cluster-bpa-node-", "m6i.2xlarge on-demand")
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
	data := linesOf(rep, "aws:eks/nodeGroup:NodeGroup", "cluster-bpa-node-", "/dev/xvdb")
	if len(data) != 4 || data[0].Monthly != 183.84 {
		t.Errorf("data volume lines = %+v, want 4 × 183.84", data)
	}
	general := linesOf(rep, "aws:eks/nodeGroup:NodeGroup", "cluster-general", "m6i.xlarge on-demand")
	if len(general) != 1 || general[0].Monthly != 420.48 || !strings.HasPrefix(general[0].Description, "3 × ") {
		t.Errorf("general nodes = %+v, want 3 × m6i.xlarge = 420.48", general)
	}
}

func TestRDSMultiAZDoublesInstanceAndStorage(t *testing.T) {
	prod := estimateStack(t, "prod")
	for desc, want := range map[string]float64{
		"db.m5d.2xlarge PostgreSQL Multi-AZ": 2 * 0.838 * HoursPerMonth,
		"io2 400 GiB":                        2 * 400 * 0.125,
		"io2 3000 provisioned IOPS":          2 * 3000 * 0.10,
	} {
		l := linesOf(prod, "aws:rds/instance:Instance", "postgres", desc)
		if len(l) != 1 || math.Abs(l[0].Monthly-want) > 0.005 {
			t.Errorf("prod %q = %+v, want %.2f", desc, l, want)
		}
	}
	dev := estimateStack(t, "dev")
	for desc, want := range map[string]float64{
		"db.t4g.medium PostgreSQL Single-AZ": 0.065 * HoursPerMonth,
		"gp3 20 GiB":                         20 * 0.115,
	} {
		l := linesOf(dev, "aws:rds/instance:Instance", "postgres", desc)
		if len(l) != 1 || math.Abs(l[0].Monthly-want) > 0.005 {
			t.Errorf("dev %q = %+v, want %.2f", desc, l, want)
		}
	}
}

func TestNATGatewayPerAZInProdSingleInDev(t *testing.T) {
	for stack, want := range map[string]int{"prod": 3, "dev": 1} {
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
// AZ count comes from the subnets its value was computed from. prod has
// eight AWS service endpoints and Atlas's, dev only Atlas's.
func TestInterfaceEndpointsArePricedPerAZ(t *testing.T) {
	for stack, want := range map[string]int{"prod": 9, "dev": 1} {
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
	}{"prod": {"M30", 394.20, true}, "dev": {"M10", 58.40, false}} {
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
	for _, stack := range stacktest.Stacks {
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
	rec := modified(stacktest.Preview(t, "dev"), "pulumi:providers:aws", "aws", func(r *harness.Resource) {
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
	prod := stacktest.Preview(t, "prod")
	cases := map[string]struct {
		rec  *harness.Recording
		want []string
	}{
		"launch template without instance type": {
			modified(prod, launchTemplateType, "cluster-bpa-node-2", func(r *harness.Resource) { delete(r.Inputs, "instanceType") }),
			[]string{"cluster-bpa-node-2", "instanceType"},
		},
		"node group whose launch template cannot be found": {
			modified(prod, "aws:eks/nodeGroup:NodeGroup", "cluster-general", func(r *harness.Resource) {
				delete(r.PropertyDependencies, "launchTemplate")
			}),
			[]string{"cluster-general", "launch template"},
		},
		"instance type without a price": {
			modified(prod, launchTemplateType, "cluster-general", func(r *harness.Resource) {
				r.Inputs["instanceType"] = resource.NewProperty("x9.huge")
			}),
			[]string{"cluster-general", `"x9.huge"`},
		},
		"unknown desired size": {
			modified(prod, "aws:eks/nodeGroup:NodeGroup", "cluster-bpa-node-1", func(r *harness.Resource) {
				r.Inputs["scalingConfig"] = resource.MakeComputed(resource.NewProperty(""))
			}),
			[]string{"cluster-bpa-node-1", "scalingConfig.desiredSize"},
		},
		"RDS instance class without a price": {
			modified(prod, "aws:rds/instance:Instance", "postgres", func(r *harness.Resource) {
				r.Inputs["instanceClass"] = resource.NewProperty("db.x9.huge")
			}),
			[]string{"postgres", `"db.x9.huge"`},
		},
		"Atlas cluster without replication specs": {
			modified(prod, "mongodbatlas:index/advancedCluster:AdvancedCluster", "mongo-cluster", func(r *harness.Resource) {
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
	for _, stack := range stacktest.Stacks {
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
	rep := estimateStack(t, "prod")
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"5,085.31", "us-west-2", "2026-11-25", "verify before quoting", "data transfer",
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
	if doc["total"] != 5085.31 {
		t.Errorf("JSON total = %v", doc["total"])
	}
	if strings.Contains(string(b), harness.GeneratedPasswordPrefix) || strings.Contains(text.String(), harness.GeneratedPasswordPrefix) {
		t.Error("the report carries a generated password")
	}
}
