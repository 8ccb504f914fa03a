package cost

import "sort"

// HoursPerMonth is the month every hourly price is multiplied by: AWS's own
// convention (365 × 24 / 12), used by its pricing calculator.
const HoursPerMonth = 730

// Price is one published figure and where it was read.
type Price struct {
	USD    float64 `json:"usd"`
	Unit   string  `json:"unit"`   // what one USD amount buys: "hour", "GB-month", ...
	Source string  `json:"source"` // the pricing page the figure comes from
	// Note flags a figure that was derived or could not be read off the page
	// when the table was written; check it first before quoting.
	Note string `json:"note,omitempty"`
}

// Prices is the price table of one region. Hourly prices are on-demand,
// Linux, USD; none includes tax, free tiers or discounts.
type Prices struct {
	Region string
	// Checked is when the figures were taken and how far to trust them.
	Checked string
	Date    string // YYYY-MM-DD; also the day the EKS support tier is judged on

	EC2 map[string]Price // per instance-hour, by instance type

	EBSgp3GB         Price // per GB-month
	EBSgp3IOPS       Price // per provisioned IOPS-month above the free 3000
	EBSgp3Throughput Price // per MiB/s-month above the free 125
	EBSgp2GB         Price // per GB-month
	// EC2DetailedMonitoring is per instance-month: the seven EC2 metrics at
	// one-minute resolution are billed as CloudWatch custom metrics.
	EC2DetailedMonitoring Price

	EKSStandard Price // per cluster-hour while the version is in standard support
	EKSExtended Price // per cluster-hour in extended support (includes the standard fee)
	// EKSStandardSupportEnds is the EKS version calendar: the last day of
	// standard support per Kubernetes minor version. Extended support lasts
	// twelve months more, after which EKS upgrades the cluster.
	EKSStandardSupportEnds map[string]string

	NATGateway        Price // per gateway-hour
	PublicIPv4        Price // per address-hour, in use or idle
	InterfaceEndpoint Price // per endpoint per AZ-hour
	ALB               Price // per load balancer-hour
	ALBLCU            Price // per LCU-hour

	RDSPostgres      map[string]Price // per Single-AZ instance-hour, by instance class
	RDSgp3GB         Price
	RDSgp3IOPS       Price // above the baseline (3000, or 12000 from 400 GiB)
	RDSgp3Throughput Price // above the baseline (125 MiB/s, or 500 from 400 GiB)
	RDSgp2GB         Price
	RDSio1GB         Price
	RDSio1IOPS       Price
	RDSio2GB         Price
	RDSio2IOPS       Price

	// Atlas is per hour of a three-node replica set of the tier on AWS in
	// this region, the figure Atlas's pricing page and cluster builder show.
	// It includes the tier's default storage, not backups.
	Atlas map[string]Price

	// AWS WAF: each web ACL and each rule or rule group in it per month;
	// requests are excluded like every other request charge.
	WAFWebACL   Price
	WAFRule     Price
	WAFRequests Price // per million requests inspected (not priced: see exclusions)

	KMSKey          Price // per customer managed key-month
	Secret          Price // per secret-month
	LogsIngestGB    Price // CloudWatch Logs standard ingestion, per GB
	LogsStoredGB    Price // CloudWatch Logs storage, per GB-month
	AtlasEncryption Price // not a price: the uplift factor for customer-KMS encryption at rest
}

const (
	srcEC2   = "Amazon EC2 On-Demand Pricing, Linux, US West (Oregon)"
	srcEBS   = "Amazon EBS pricing, US West (Oregon)"
	srcCW    = "Amazon CloudWatch pricing, US West (Oregon)"
	srcEKS   = "Amazon EKS pricing"
	srcEKSV  = "Amazon EKS User Guide, Kubernetes version lifecycle (release calendar)"
	srcVPC   = "Amazon VPC pricing, US West (Oregon): NAT gateway, public IPv4 address"
	srcPL    = "AWS PrivateLink pricing, US West (Oregon): interface endpoint"
	srcELB   = "Elastic Load Balancing pricing, US West (Oregon): Application Load Balancer"
	srcRDS   = "Amazon RDS for PostgreSQL pricing, US West (Oregon), Single-AZ"
	srcKMS   = "AWS Key Management Service pricing"
	srcSM    = "AWS Secrets Manager pricing"
	srcAtlas = "MongoDB Atlas pricing, dedicated clusters on AWS, US West (Oregon) us-west-2"
	srcWAF   = "AWS WAF pricing"

	derived = "not read off the pricing page: derived from neighbouring classes; verify"
	// wafNote: the AWS WAF pricing page could not be read; the figures are
	// the long-standing list prices as third-party pages and an AWS blog
	// quote them.
	wafNote = "confirmed only by third-party pages and an AWS blog, not the AWS WAF pricing page; verify"
)

// tables are the regions the estimate can price.
var tables = map[string]*Prices{"us-west-2": usWest2}

// usWest2 holds the figures known for US West (Oregon). They could not be
// read live while writing this table (no network access); they are the list
// prices as last published to the best of the author's knowledge,
// corroborated where public material was at hand.
var usWest2 = &Prices{
	Region:  "us-west-2",
	Date:    "2026-11-25",
	Checked: "list prices as published, checked 2026-11; verify before quoting",

	EC2: map[string]Price{
		"t3.micro":    {0.0104, "hour", srcEC2, ""},
		"t3.small":    {0.0208, "hour", srcEC2, ""},
		"t3.medium":   {0.0416, "hour", srcEC2, ""},
		"m6i.large":   {0.096, "hour", srcEC2, ""},
		"m6i.xlarge":  {0.192, "hour", srcEC2, ""},
		"m6i.2xlarge": {0.384, "hour", srcEC2, ""},
		"m6i.4xlarge": {0.768, "hour", srcEC2, ""},
	},

	EBSgp3GB:              Price{0.08, "GB-month", srcEBS, ""},
	EBSgp3IOPS:            Price{0.005, "IOPS-month", srcEBS, ""},
	EBSgp3Throughput:      Price{0.04, "MiB/s-month", srcEBS, ""},
	EBSgp2GB:              Price{0.10, "GB-month", srcEBS, ""},
	EC2DetailedMonitoring: Price{2.10, "instance-month", srcCW + ": 7 metrics × $0.30 per metric-month", ""},

	EKSStandard: Price{0.10, "hour", srcEKS, ""},
	EKSExtended: Price{0.60, "hour", srcEKS, ""},
	EKSStandardSupportEnds: map[string]string{
		"1.30": "2025-07-23",
		"1.31": "2025-11-26",
		"1.32": "2026-03-23",
		"1.33": "2026-07-29",
		"1.34": "2026-12-02",
		"1.35": "2027-03-27",
	},

	NATGateway:        Price{0.045, "hour", srcVPC, ""},
	PublicIPv4:        Price{0.005, "hour", srcVPC, ""},
	InterfaceEndpoint: Price{0.01, "AZ-hour", srcPL, ""},
	ALB:               Price{0.0225, "hour", srcELB, ""},
	ALBLCU:            Price{0.008, "LCU-hour", srcELB, ""},

	RDSPostgres: map[string]Price{
		"db.t4g.micro":   {0.016, "hour", srcRDS, ""},
		"db.t4g.small":   {0.032, "hour", srcRDS, ""},
		"db.t4g.medium":  {0.065, "hour", srcRDS, ""},
		"db.t4g.large":   {0.129, "hour", srcRDS, ""},
		"db.m5.large":    {0.178, "hour", srcRDS, ""},
		"db.m5.xlarge":   {0.356, "hour", srcRDS, ""},
		"db.m5.2xlarge":  {0.712, "hour", srcRDS, ""},
		"db.m5d.2xlarge": {0.838, "hour", srcRDS, derived + " (db.m5.2xlarge × the EC2 m5d/m5 ratio)"},
	},
	RDSgp3GB:         Price{0.115, "GB-month", srcRDS, ""},
	RDSgp3IOPS:       Price{0.02, "IOPS-month", srcRDS, ""},
	RDSgp3Throughput: Price{0.08, "MiB/s-month", srcRDS, ""},
	RDSgp2GB:         Price{0.115, "GB-month", srcRDS, ""},
	RDSio1GB:         Price{0.125, "GB-month", srcRDS, ""},
	RDSio1IOPS:       Price{0.10, "IOPS-month", srcRDS, ""},
	RDSio2GB:         Price{0.125, "GB-month", srcRDS, ""},
	RDSio2IOPS:       Price{0.10, "IOPS-month", srcRDS, ""},

	Atlas: map[string]Price{
		"M10": {0.08, "hour", srcAtlas, ""},
		"M20": {0.20, "hour", srcAtlas, ""},
		"M30": {0.54, "hour", srcAtlas, "the figure MongoDB's invoice documentation uses for M30 on AWS"},
		"M40": {1.04, "hour", srcAtlas, ""},
	},

	WAFWebACL:   Price{5.00, "web ACL-month", srcWAF, wafNote},
	WAFRule:     Price{1.00, "rule-month", srcWAF + ": per rule or rule group (AWS managed baseline and IP reputation groups carry no subscription fee)", wafNote},
	WAFRequests: Price{0.60, "million requests", srcWAF + ": up to 1,500 WCUs and the default body inspection size", wafNote},

	KMSKey:          Price{1.00, "key-month", srcKMS, "each of a key's first two rotations adds $1/month"},
	Secret:          Price{0.40, "secret-month", srcSM, ""},
	LogsIngestGB:    Price{0.50, "GB", srcCW + ": Logs standard ingestion (vended logs' first tier is the same)", ""},
	LogsStoredGB:    Price{0.03, "GB-month", srcCW + ": Logs storage (archival)", ""},
	AtlasEncryption: Price{0.15, "fraction of the cluster price", "MongoDB Atlas billing, additional services: encryption at rest with customer KMS", ""},
}

// Assumptions: usage that a plan cannot show, fixed so the estimate is
// reproducible. Each is printed with the report.
const (
	// LogGroupIngestGB is the ingestion assumed for every log group.
	LogGroupIngestGB = 5.0
	// LogRetentionCapMonths bounds stored logs for groups kept longer than a
	// year (or forever): the estimate is of a stack in its first year.
	LogRetentionCapMonths = 12.0
	// ALBLCUs is the load balancer's assumed average LCU consumption.
	ALBLCUs = 1.0
	// EnhancedMonitoringRecordKB is the assumed size of one RDS Enhanced
	// Monitoring record (OS metrics and process list) in CloudWatch Logs.
	EnhancedMonitoringRecordKB = 10.0
	// EnhancedMonitoringRetentionMonths: RDSOSMetrics keeps 30 days by default.
	EnhancedMonitoringRetentionMonths = 1.0
)

// entry names one price of a table, for listing and checking it.
type entry struct {
	Name string
	Price
}

// entries lists every price of the table in a stable order.
func (p *Prices) entries() []entry {
	out := []entry{
		{"EBS gp3 storage", p.EBSgp3GB}, {"EBS gp3 IOPS", p.EBSgp3IOPS}, {"EBS gp3 throughput", p.EBSgp3Throughput},
		{"EBS gp2 storage", p.EBSgp2GB}, {"EC2 detailed monitoring", p.EC2DetailedMonitoring},
		{"EKS standard support", p.EKSStandard}, {"EKS extended support", p.EKSExtended},
		{"NAT gateway", p.NATGateway}, {"public IPv4 address", p.PublicIPv4},
		{"interface VPC endpoint", p.InterfaceEndpoint}, {"ALB", p.ALB}, {"ALB LCU", p.ALBLCU},
		{"RDS gp3 storage", p.RDSgp3GB}, {"RDS gp3 IOPS", p.RDSgp3IOPS}, {"RDS gp3 throughput", p.RDSgp3Throughput},
		{"RDS gp2 storage", p.RDSgp2GB}, {"RDS io1 storage", p.RDSio1GB}, {"RDS io1 IOPS", p.RDSio1IOPS},
		{"RDS io2 storage", p.RDSio2GB}, {"RDS io2 IOPS", p.RDSio2IOPS},
		{"WAF web ACL", p.WAFWebACL}, {"WAF rule", p.WAFRule}, {"WAF requests", p.WAFRequests},
		{"KMS key", p.KMSKey}, {"Secrets Manager secret", p.Secret},
		{"CloudWatch Logs ingestion", p.LogsIngestGB}, {"CloudWatch Logs storage", p.LogsStoredGB},
		{"Atlas encryption-at-rest uplift", p.AtlasEncryption},
	}
	for _, group := range []struct {
		prefix string
		m      map[string]Price
	}{{"EC2 ", p.EC2}, {"RDS PostgreSQL ", p.RDSPostgres}, {"Atlas ", p.Atlas}} {
		keys := make([]string, 0, len(group.m))
		for k := range group.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, entry{group.prefix + k, group.m[k]})
		}
	}
	return out
}
