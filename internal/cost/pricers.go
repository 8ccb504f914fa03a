package cost

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/bpa-infra/bpa-infra/internal/harness"
)

const (
	launchTemplateType = "aws:ec2/launchTemplate:LaunchTemplate"
	subnetType         = "aws:ec2/subnet:Subnet"
)

// --- EC2 ---------------------------------------------------------------

// priceInstance prices a plain EC2 instance (the bastion): its hours, its
// EBS volumes and, when on, detailed monitoring.
func priceInstance(e *estimator, _ *harness.Resource, in inputs) ([]item, error) {
	typ, ok := in.str("instanceType")
	if !ok {
		return nil, missing("instanceType")
	}
	items, err := e.instances(typ, 1)
	if err != nil {
		return nil, err
	}
	root, ok := in.object("rootBlockDevice")
	if !ok {
		return nil, missing("rootBlockDevice")
	}
	vol, err := e.volume("root", root, 1)
	if err != nil {
		return nil, err
	}
	items = append(items, vol)
	devices, _ := in.list("ebsBlockDevices")
	for i, d := range devices {
		dev, _ := d.(map[string]any)
		name, _ := inputs(dev).str("deviceName")
		vol, err := e.volume(name, inputs(dev), 1)
		if err != nil {
			return nil, fmt.Errorf("ebsBlockDevices.%d: %w", i, err)
		}
		items = append(items, vol)
	}
	if on, _ := in.flag("monitoring"); on {
		items = append(items, e.detailedMonitoring(1))
	}
	return items, nil
}

// priceNodeGroup prices an EKS managed node group as its desired number of
// instances of the type in the node group or its launch template, with the
// template's volumes and monitoring. The launch template itself is free.
func priceNodeGroup(e *estimator, r *harness.Resource, in inputs) ([]item, error) {
	n, ok := in.num("scalingConfig.desiredSize")
	if !ok {
		return nil, missing("scalingConfig.desiredSize")
	}
	lt, err := e.launchTemplate(r, in)
	if err != nil {
		return nil, err
	}
	var tmpl inputs
	if lt != nil {
		tmpl = inputs(lt.Plain())
	}
	typ := ""
	if types, ok := in.list("instanceTypes"); ok && len(types) > 0 {
		typ, _ = types[0].(string)
	} else if lt != nil {
		typ, _ = tmpl.str("instanceType")
	}
	if typ == "" || typ == harness.UnknownMarker {
		if lt != nil {
			return nil, fmt.Errorf("%w (neither the node group's instanceTypes nor launch template %s's instanceType)", missing("instanceType"), lt.Name)
		}
		return nil, missing("instanceTypes")
	}
	if capacity, _ := in.str("capacityType"); capacity == "SPOT" {
		e.caveat(r, "Spot capacity priced at the on-demand rate")
	}
	items, err := e.instances(typ, n)
	if err != nil {
		return nil, err
	}
	mappings, _ := tmpl.list("blockDeviceMappings")
	if len(mappings) == 0 {
		e.caveat(r, "no block device mappings: the AMI's default root volume is not priced")
	}
	for i, m := range mappings {
		mapping := inputs(asMap(m))
		ebs, ok := mapping.object("ebs")
		if !ok {
			continue // an instance-store or no-device mapping costs nothing extra
		}
		dev, _ := mapping.str("deviceName")
		vol, err := e.volume(dev, ebs, n)
		if err != nil {
			return nil, fmt.Errorf("launch template %s blockDeviceMappings.%d: %w", lt.Name, i, err)
		}
		items = append(items, vol)
	}
	if on, _ := tmpl.flag("monitoring.enabled"); on {
		items = append(items, e.detailedMonitoring(n))
	}
	return items, nil
}

// launchTemplate finds the launch template a node group launches. Its id is
// unknown in a preview, but the engine records which resource the
// launchTemplate input came from; a template given by name is matched by
// its name input. A node group without a launch template returns nil.
func (e *estimator) launchTemplate(r *harness.Resource, in inputs) (*harness.Resource, error) {
	for _, u := range r.PropertyDependencies["launchTemplate"] {
		if lt := e.byURN[u]; lt != nil && lt.Type == launchTemplateType {
			return lt, nil
		}
	}
	if name, ok := in.str("launchTemplate.name"); ok {
		for _, lt := range e.rec.OfType(launchTemplateType) {
			if n, _ := inputs(lt.Plain()).str("name"); n == name {
				return lt, nil
			}
		}
	}
	if _, set := in["launchTemplate"]; set {
		return nil, fmt.Errorf("its launch template is not in the recording (no property dependency or name names one)")
	}
	return nil, nil
}

func (e *estimator) instances(typ string, n float64) ([]item, error) {
	p, ok := e.p.EC2[typ]
	if !ok {
		return nil, fmt.Errorf("no %s price for instance type %q: add it to the price table", e.p.Region, typ)
	}
	return []item{{
		desc:    fmt.Sprintf("%g × %s on-demand × %d h × %s/h", n, typ, HoursPerMonth, usd(p.USD)),
		monthly: n * hourly(p),
	}}, nil
}

// volume prices n EBS volumes of one mapping: gp3 storage plus the IOPS and
// throughput provisioned above gp3's free 3000 IOPS and 125 MiB/s.
func (e *estimator) volume(device string, v inputs, n float64) (item, error) {
	size, ok := v.num("volumeSize")
	if !ok {
		return item{}, missing("volumeSize")
	}
	typ, ok := v.str("volumeType")
	if !ok {
		return item{}, missing("volumeType")
	}
	label := fmt.Sprintf("%g × EBS %s %g GiB (%s)", n, typ, size, device)
	switch typ {
	case "gp3":
		monthly := size * e.p.EBSgp3GB.USD
		label += fmt.Sprintf(" × %s/GB-month", usd(e.p.EBSgp3GB.USD))
		if iops, _ := v.num("iops"); iops > 3000 {
			monthly += (iops - 3000) * e.p.EBSgp3IOPS.USD
			label += fmt.Sprintf(" + %g IOPS above 3000 × %s/IOPS-month", iops-3000, usd(e.p.EBSgp3IOPS.USD))
		}
		if tp, _ := v.num("throughput"); tp > 125 {
			monthly += (tp - 125) * e.p.EBSgp3Throughput.USD
			label += fmt.Sprintf(" + %g MiB/s above 125 × %s/MiB/s-month", tp-125, usd(e.p.EBSgp3Throughput.USD))
		}
		return item{label, n * monthly}, nil
	case "gp2":
		return item{label + fmt.Sprintf(" × %s/GB-month", usd(e.p.EBSgp2GB.USD)), n * size * e.p.EBSgp2GB.USD}, nil
	}
	return item{}, fmt.Errorf("no %s price for EBS volume type %q", e.p.Region, typ)
}

// priceVolume prices a standalone EBS volume (a BPA node's data volume).
func priceVolume(e *estimator, _ *harness.Resource, in inputs) ([]item, error) {
	for _, k := range []string{"size", "type"} {
		if _, ok := in[k]; !ok {
			return nil, missing(k)
		}
	}
	// The volume names size and type as a launch template's mapping does not.
	v := inputs{"volumeSize": in["size"], "volumeType": in["type"], "iops": in["iops"], "throughput": in["throughput"]}
	it, err := e.volume("data", v, 1)
	if err != nil {
		return nil, err
	}
	return []item{it}, nil
}

func (e *estimator) detailedMonitoring(n float64) item {
	return item{
		desc:    fmt.Sprintf("%g × EC2 detailed monitoring (7 CloudWatch metrics) × %s/month", n, usd(e.p.EC2DetailedMonitoring.USD)),
		monthly: n * e.p.EC2DetailedMonitoring.USD,
	}
}

// --- EKS ---------------------------------------------------------------

// priceEKSCluster prices the control plane at the standard or the extended
// support rate, by where its Kubernetes version stands in the EKS calendar
// on the price table's date.
func priceEKSCluster(e *estimator, r *harness.Resource, in inputs) ([]item, error) {
	version, ok := in.str("version")
	if !ok {
		return nil, missing("version")
	}
	extended, ends, err := e.p.eksExtendedSupport(version)
	if err != nil {
		return nil, err
	}
	price, support := e.p.EKSStandard, "standard support"
	switch {
	case ends == "":
		support = "standard support (newer than the version calendar)"
	case extended:
		if policy, _ := in.str("upgradePolicy.supportType"); policy == "STANDARD" {
			e.caveat(r, "Kubernetes %s left standard support on %s; with upgradePolicy STANDARD EKS upgrades the cluster instead of charging extended support", version, ends)
			break
		}
		price, support = e.p.EKSExtended, fmt.Sprintf("EXTENDED support (standard ended %s)", ends)
	default:
		support = fmt.Sprintf("standard support until %s", ends)
	}
	return []item{{
		desc:    fmt.Sprintf("EKS control plane, Kubernetes %s in %s × %d h × %s/h", version, support, HoursPerMonth, usd(price.USD)),
		monthly: hourly(price),
	}}, nil
}

// eksExtendedSupport says whether version is past standard support on the
// table's date, and when standard support ends ("" for a version newer than
// every calendar entry, which is in standard support).
func (p *Prices) eksExtendedSupport(version string) (bool, string, error) {
	ends, ok := p.EKSStandardSupportEnds[version]
	if !ok {
		newest := ""
		for v := range p.EKSStandardSupportEnds {
			if newest == "" || minorOf(v) > minorOf(newest) {
				newest = v
			}
		}
		if minorOf(version) > minorOf(newest) {
			return false, "", nil
		}
		return false, "", fmt.Errorf("the price table's EKS version calendar has no Kubernetes %q", version)
	}
	end, err := time.Parse(time.DateOnly, ends)
	if err != nil {
		return false, "", err
	}
	today, err := time.Parse(time.DateOnly, p.Date)
	if err != nil {
		return false, "", err
	}
	if !today.Before(end.AddDate(1, 0, 1)) {
		return false, "", fmt.Errorf("EKS extended support for Kubernetes %s is over (it ended a year after %s)", version, ends)
	}
	return today.After(end), ends, nil
}

// minorOf is the minor number of "1.33", or -1.
func minorOf(version string) int {
	_, minor, ok := strings.Cut(version, ".")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(minor)
	if err != nil {
		return -1
	}
	return n
}

// --- network -------------------------------------------------------------

// priceNATGateway prices the gateway's hours; its Elastic IP is priced as
// an Eip.
func priceNATGateway(e *estimator, _ *harness.Resource, _ inputs) ([]item, error) {
	p := e.p.NATGateway
	return []item{{fmt.Sprintf("NAT gateway × %d h × %s/h", HoursPerMonth, usd(p.USD)), hourly(p)}}, nil
}

// priceEIP prices the public IPv4 address an Elastic IP holds, charged
// whether or not it is attached.
func priceEIP(e *estimator, _ *harness.Resource, _ inputs) ([]item, error) {
	p := e.p.PublicIPv4
	return []item{{fmt.Sprintf("public IPv4 address (Elastic IP) × %d h × %s/h", HoursPerMonth, usd(p.USD)), hourly(p)}}, nil
}

// priceLoadBalancer prices an Application Load Balancer: its hours, the
// assumed LCU baseline, and, when internet-facing, the public IPv4 address
// it holds in each of its subnets.
func priceLoadBalancer(e *estimator, r *harness.Resource, in inputs) ([]item, error) {
	if typ, ok := in.str("loadBalancerType"); ok && typ != "application" {
		return nil, fmt.Errorf("no %s price for load balancer type %q", e.p.Region, typ)
	}
	items := []item{
		{fmt.Sprintf("Application Load Balancer × %d h × %s/h", HoursPerMonth, usd(e.p.ALB.USD)), hourly(e.p.ALB)},
		{fmt.Sprintf("%g LCU (assumed average) × %d h × %s/LCU-h", ALBLCUs, HoursPerMonth, usd(e.p.ALBLCU.USD)), ALBLCUs * hourly(e.p.ALBLCU)},
	}
	if internal, _ := in.flag("internal"); internal {
		return items, nil
	}
	n, ok := e.count(r, in, "subnets", subnetType)
	if !ok {
		if mappings, ok := in.list("subnetMappings"); ok {
			n = len(mappings)
		} else {
			return nil, missing("subnets")
		}
	}
	items = append(items, item{
		fmt.Sprintf("%d public IPv4 addresses (internet-facing, one per subnet) × %d h × %s/h", n, HoursPerMonth, usd(e.p.PublicIPv4.USD)),
		float64(n) * hourly(e.p.PublicIPv4),
	})
	return items, nil
}

// priceVPCEndpoint prices an interface endpoint per AZ it has a network
// interface in, one per subnet. Gateway endpoints (S3) are free.
func priceVPCEndpoint(e *estimator, r *harness.Resource, in inputs) ([]item, error) {
	typ, ok := in.str("vpcEndpointType")
	if !ok {
		typ = "Gateway" // the provider's default
	}
	service, ok := in.str("serviceName")
	if !ok {
		service = "(service name known after deployment)"
		for _, u := range r.PropertyDependencies["serviceName"] {
			if from := e.byURN[u]; from != nil {
				service = fmt.Sprintf("(the service of %s)", from.Name)
			}
		}
	}
	switch typ {
	case "Gateway":
		return []item{{fmt.Sprintf("gateway endpoint %s: no hourly charge", service), 0}}, nil
	case "Interface":
		azs, ok := e.count(r, in, "subnetIds", subnetType)
		if !ok {
			return nil, missing("subnetIds")
		}
		p := e.p.InterfaceEndpoint
		return []item{{
			fmt.Sprintf("interface endpoint %s in %d AZs × %d h × %s/AZ-h", service, azs, HoursPerMonth, usd(p.USD)),
			float64(azs) * hourly(p),
		}}, nil
	}
	return nil, fmt.Errorf("no %s price for VPC endpoint type %q", e.p.Region, typ)
}

// --- RDS -----------------------------------------------------------------

// priceRDSInstance prices a PostgreSQL instance: Multi-AZ keeps a standby,
// so instance hours, storage and provisioned IOPS are all billed twice.
func priceRDSInstance(e *estimator, r *harness.Resource, in inputs) ([]item, error) {
	engine, ok := in.str("engine")
	if !ok {
		return nil, missing("engine")
	}
	if engine != "postgres" {
		return nil, fmt.Errorf("no price table for RDS engine %q", engine)
	}
	class, ok := in.str("instanceClass")
	if !ok {
		return nil, missing("instanceClass")
	}
	p, ok := e.p.RDSPostgres[class]
	if !ok {
		return nil, fmt.Errorf("no %s price for RDS PostgreSQL instance class %q: add it to the price table", e.p.Region, class)
	}
	copies, deployment := 1.0, "Single-AZ"
	if multi, _ := in.flag("multiAz"); multi {
		copies, deployment = 2, "Multi-AZ (primary + standby: ×2)"
	}
	items := []item{{
		fmt.Sprintf("%s PostgreSQL %s × %d h × %s/h", class, deployment, HoursPerMonth, usd(p.USD)),
		copies * hourly(p),
	}}
	storage, err := e.rdsStorage(in, copies, deployment)
	if err != nil {
		return nil, err
	}
	items = append(items, storage...)

	if managed, _ := in.flag("manageMasterUserPassword"); managed {
		items = append(items, item{fmt.Sprintf("RDS-managed master user secret (Secrets Manager) × %s/month", usd(e.p.Secret.USD)), e.p.Secret.USD})
	}
	if interval, _ := in.num("monitoringInterval"); interval > 0 {
		// Enhanced Monitoring writes one record per interval to the
		// RDSOSMetrics log group, billed as CloudWatch Logs.
		gb := HoursPerMonth * 3600 / interval * EnhancedMonitoringRecordKB / (1024 * 1024)
		items = append(items, item{
			fmt.Sprintf("Enhanced Monitoring every %gs ≈ %.2f GB/month of CloudWatch Logs (assumed %g KB/record)", interval, gb, EnhancedMonitoringRecordKB),
			gb*e.p.LogsIngestGB.USD + gb*EnhancedMonitoringRetentionMonths*e.p.LogsStoredGB.USD,
		})
	}
	if pi, _ := in.flag("performanceInsightsEnabled"); pi {
		days, ok := in.num("performanceInsightsRetentionPeriod")
		if !ok || days <= 7 {
			items = append(items, item{"Performance Insights, 7-day retention: free", 0})
		} else {
			e.caveat(r, "Performance Insights retention of %g days is billed per vCPU-month; not priced", days)
		}
	}
	allocated, _ := in.num("allocatedStorage")
	if ceiling, _ := in.num("maxAllocatedStorage"); ceiling > allocated {
		e.caveat(r, "storage priced at the allocated %g GiB; autoscaling may grow it to %g GiB", allocated, ceiling)
	}
	if days, _ := in.num("backupRetentionPeriod"); days > 0 {
		e.caveat(r, "automated backups (%g days) are free up to the provisioned storage; backup storage beyond it is billed per GB-month, not priced", days)
	}
	return items, nil
}

// rdsStorage prices allocated storage and what is provisioned above the
// storage type's included performance.
func (e *estimator) rdsStorage(in inputs, copies float64, deployment string) ([]item, error) {
	typ, ok := in.str("storageType")
	if !ok {
		return nil, missing("storageType")
	}
	gb, ok := in.num("allocatedStorage")
	if !ok {
		return nil, missing("allocatedStorage")
	}
	iops, _ := in.num("iops")
	storage := func(p Price) item {
		return item{fmt.Sprintf("%s %g GiB × %s/GB-month, %s", typ, gb, usd(p.USD), deployment), copies * gb * p.USD}
	}
	provisioned := func(what string, n float64, p Price) item {
		return item{fmt.Sprintf("%s %g %s × %s/%s, %s", typ, n, what, usd(p.USD), p.Unit, deployment), copies * n * p.USD}
	}
	switch typ {
	case "gp3":
		// gp3 includes 3000 IOPS and 125 MiB/s, 12000 and 500 from 400 GiB.
		baseIOPS, baseThroughput := 3000.0, 125.0
		if gb >= 400 {
			baseIOPS, baseThroughput = 12000, 500
		}
		items := []item{storage(e.p.RDSgp3GB)}
		if iops > baseIOPS {
			items = append(items, provisioned(fmt.Sprintf("IOPS above %g", baseIOPS), iops-baseIOPS, e.p.RDSgp3IOPS))
		}
		if tp, _ := in.num("storageThroughput"); tp > baseThroughput {
			items = append(items, provisioned(fmt.Sprintf("MiB/s above %g", baseThroughput), tp-baseThroughput, e.p.RDSgp3Throughput))
		}
		return items, nil
	case "gp2":
		return []item{storage(e.p.RDSgp2GB)}, nil
	case "io1", "io2":
		gbPrice, iopsPrice := e.p.RDSio1GB, e.p.RDSio1IOPS
		if typ == "io2" {
			gbPrice, iopsPrice = e.p.RDSio2GB, e.p.RDSio2IOPS
		}
		if iops <= 0 {
			return nil, missing("iops")
		}
		return []item{storage(gbPrice), provisioned("provisioned IOPS", iops, iopsPrice)}, nil
	}
	return nil, fmt.Errorf("no %s price for RDS storage type %q", e.p.Region, typ)
}

// --- MongoDB Atlas ---------------------------------------------------------

// priceAtlasCluster prices each region configuration's nodes at the tier's
// hourly price, which Atlas quotes for a three-node replica set. Backup
// storage is not included.
func priceAtlasCluster(e *estimator, r *harness.Resource, in inputs) ([]item, error) {
	specs, ok := in.list("replicationSpecs")
	if !ok || len(specs) == 0 {
		return nil, missing("replicationSpecs")
	}
	var items []item
	for i, s := range specs {
		regions, ok := inputs(asMap(s)).list("regionConfigs")
		if !ok || len(regions) == 0 {
			return nil, missing(fmt.Sprintf("replicationSpecs.%d.regionConfigs", i))
		}
		for j, rc := range regions {
			cfg := inputs(asMap(rc))
			at := fmt.Sprintf("replicationSpecs.%d.regionConfigs.%d", i, j)
			provider, _ := cfg.str("providerName")
			region, _ := cfg.str("regionName")
			if provider != "AWS" || atlasRegion(region) != e.p.Region {
				return nil, fmt.Errorf("%s: no Atlas price for provider %q region %q (the table covers AWS %s)", at, provider, region, e.p.Region)
			}
			for _, kind := range []string{"electableSpecs", "readOnlySpecs", "analyticsSpecs"} {
				nodes, _ := cfg.num(kind + ".nodeCount")
				if nodes <= 0 {
					continue
				}
				size, ok := cfg.str(kind + ".instanceSize")
				if !ok {
					return nil, missing(at + "." + kind + ".instanceSize")
				}
				p, ok := e.p.Atlas[size]
				if !ok {
					return nil, fmt.Errorf("no Atlas price for tier %q on AWS %s: add it to the price table", size, e.p.Region)
				}
				if _, custom := cfg.num(kind + ".diskSizeGb"); custom {
					e.caveat(r, "custom %s disk size is billed on top of the tier price; not priced", kind)
				}
				items = append(items, item{
					fmt.Sprintf("Atlas %s × %g %s nodes on AWS %s × %d h × %s/h per 3-node replica set (backup not included)",
						size, nodes, strings.TrimSuffix(kind, "Specs"), region, HoursPerMonth, usd(p.USD)),
					nodes / 3 * hourly(p),
				})
			}
			if grow, _ := cfg.flag("autoScaling.diskGbEnabled"); grow {
				e.caveat(r, "disk autoscaling: storage grown beyond the tier's default is billed on top; not priced")
			}
			if grow, _ := cfg.flag("autoScaling.computeEnabled"); grow {
				e.caveat(r, "compute autoscaling may move the cluster to a larger tier; priced at the configured tier")
			}
		}
	}
	if len(items) == 0 {
		return nil, missing("replicationSpecs.*.regionConfigs.*.electableSpecs.nodeCount")
	}
	if provider, ok := in.str("encryptionAtRestProvider"); ok && provider != "NONE" {
		var cluster float64
		for _, it := range items {
			cluster += it.monthly
		}
		items = append(items, item{
			fmt.Sprintf("encryption at rest with customer KMS: +%g%% of the cluster price", e.p.AtlasEncryption.USD*100),
			cluster * e.p.AtlasEncryption.USD,
		})
	}
	if backup, _ := in.flag("backupEnabled"); backup {
		pit, _ := in.flag("pitEnabled")
		kind := "cloud backup snapshots"
		if pit {
			kind += " and continuous (point-in-time) backup"
		}
		e.caveat(r, "%s are billed per GB-month of backup storage; NOT included", kind)
	}
	if typ, _ := in.str("clusterType"); typ != "" && typ != "REPLICASET" {
		e.caveat(r, "%s cluster: config servers and routers are not priced", typ)
	}
	return items, nil
}

// atlasRegion turns Atlas's region name (US_WEST_2) into AWS's (us-west-2).
func atlasRegion(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "_", "-"))
}

// --- WAF -----------------------------------------------------------------

// priceWebACL prices an AWS WAF web ACL and each rule or rule group in it
// (AWS WAF pricing); its requests are excluded like other request charges.
func priceWebACL(e *estimator, _ *harness.Resource, in inputs) ([]item, error) {
	if _, inJSON := in.str("ruleJson"); inJSON {
		return nil, fmt.Errorf("rules given as ruleJson cannot be counted: give them as rules")
	}
	rules, _ := in.list("rules")
	n := float64(len(rules))
	return []item{{
		fmt.Sprintf("AWS WAF web ACL × %s/month + %g rules or rule groups × %s/month (requests excluded)",
			usd(e.p.WAFWebACL.USD), n, usd(e.p.WAFRule.USD)),
		e.p.WAFWebACL.USD + n*e.p.WAFRule.USD,
	}}, nil
}

// --- keys, secrets, logs -------------------------------------------------

func priceKMSKey(e *estimator, _ *harness.Resource, in inputs) ([]item, error) {
	desc := fmt.Sprintf("customer managed KMS key × %s/month", usd(e.p.KMSKey.USD))
	if rotate, _ := in.flag("enableKeyRotation"); rotate {
		desc += ", first year (rotation adds up to $2/month later)"
	}
	return []item{{desc, e.p.KMSKey.USD}}, nil
}

func priceSecret(e *estimator, _ *harness.Resource, _ inputs) ([]item, error) {
	return []item{{fmt.Sprintf("Secrets Manager secret × %s/month", usd(e.p.Secret.USD)), e.p.Secret.USD}}, nil
}

// priceLogGroup prices the assumed ingestion of every log group and what it
// keeps: ingestion × retention in months, at most a year.
func priceLogGroup(e *estimator, r *harness.Resource, in inputs) ([]item, error) {
	if class, ok := in.str("logGroupClass"); ok && class != "STANDARD" {
		e.caveat(r, "log group class %s priced at the standard rates", class)
	}
	months, kept := LogRetentionCapMonths, "never expires: first year"
	if days, ok := in.num("retentionInDays"); ok && days > 0 {
		months, kept = min(days/30, LogRetentionCapMonths), fmt.Sprintf("%g-day retention", days)
	}
	stored := LogGroupIngestGB * months
	return []item{{
		fmt.Sprintf("CloudWatch Logs: %g GB/month ingested (assumed) × %s/GB + %g GB kept (%s) × %s/GB-month",
			LogGroupIngestGB, usd(e.p.LogsIngestGB.USD), stored, kept, usd(e.p.LogsStoredGB.USD)),
		LogGroupIngestGB*e.p.LogsIngestGB.USD + stored*e.p.LogsStoredGB.USD,
	}}, nil
}

// usd formats a unit price: whole cents as $0.50, finer ones as they are
// published ($0.0104).
func usd(v float64) string {
	if c := v * 100; c == math.Trunc(c) {
		return fmt.Sprintf("$%.2f", v)
	}
	return fmt.Sprintf("$%g", v)
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
