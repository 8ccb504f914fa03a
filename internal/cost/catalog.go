package cost

import "strings"

// Class says how the estimate treats a resource type.
type Class string

const (
	// Priced types produce lines from their inputs (see pricers).
	Priced Class = "priced"
	// Free types carry no charge of their own.
	Free Class = "free"
	// Unpriced types do incur charges the estimate does not model; the
	// report lists them with the reason.
	Unpriced Class = "unpriced"
	// Unclassified types are unknown to this package: the report lists them
	// so that a new resource type cannot slip in at no cost.
	Unclassified Class = "unclassified"
)

// rule classifies one type: why it is free or unpriced, or how it is priced.
type rule struct {
	class  Class
	price  pricer // priced types only
	reason string // free and unpriced types: why
}

// catalog classifies every resource type the program registers. Types are
// matched exactly: a prefix rule such as "kubernetes:" would let a future
// LoadBalancer Service through as free. Only the program's own components
// and providers are matched by prefix (see Classify).
var catalog = map[string]rule{
	// --- priced ---------------------------------------------------------
	"aws:ec2/instance:Instance":                          {class: Priced, price: priceInstance},
	"aws:eks/nodeGroup:NodeGroup":                        {class: Priced, price: priceNodeGroup},
	"eks:index:Cluster":                                  {class: Priced, price: priceEKSCluster},
	"aws:eks/cluster:Cluster":                            {class: Priced, price: priceEKSCluster},
	"aws:ec2/natGateway:NatGateway":                      {class: Priced, price: priceNATGateway},
	"aws:ec2/eip:Eip":                                    {class: Priced, price: priceEIP},
	"aws:lb/loadBalancer:LoadBalancer":                   {class: Priced, price: priceLoadBalancer},
	"aws:ec2/vpcEndpoint:VpcEndpoint":                    {class: Priced, price: priceVPCEndpoint},
	"aws:rds/instance:Instance":                          {class: Priced, price: priceRDSInstance},
	"mongodbatlas:index/advancedCluster:AdvancedCluster": {class: Priced, price: priceAtlasCluster},
	"aws:kms/key:Key":                                    {class: Priced, price: priceKMSKey},
	"aws:secretsmanager/secret:Secret":                   {class: Priced, price: priceSecret},
	"aws:ebs/volume:Volume":                              {class: Priced, price: priceVolume},
	"aws:cloudwatch/logGroup:LogGroup":                   {class: Priced, price: priceLogGroup},
	"aws:wafv2/webAcl:WebAcl":                            {class: Priced, price: priceWebACL},

	// --- unpriced: charged, not modelled ----------------------------------
	"aws:ecr/repository:Repository": {class: Unpriced,
		reason: "ECR storage ($0.10/GB-month) depends on the size of the images pushed, which the plan does not show"},
	"kubernetes:helm.sh/v3:Release": {class: Unpriced,
		reason: "whatever the chart creates in AWS (LoadBalancer Services, EBS volumes for PersistentVolumeClaims) is billed but not visible in the plan; its pods run on the priced nodes"},
	"aws:s3/bucketV2:BucketV2": {class: Unpriced,
		reason: "S3 storage ($0.023/GB-month) of the load balancer's access logs and their versions (kept 30 days once noncurrent), which grow with the traffic, and of the BPA release bundle and its versions, neither of which the plan shows"},
	"mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint": {class: Unpriced,
		reason: "Atlas bills an hourly private-endpoint fee per region plus capacity units for the traffic; the rate is not in the table (the AWS interface endpoint is priced)"},

	// --- free: no charge of their own -------------------------------------
	"aws:ec2/launchTemplate:LaunchTemplate":                                {class: Free, reason: "priced through the node group that launches it (instances × desired size, its volumes)"},
	"aws:autoscaling/attachment:Attachment":                                {class: Free, reason: "registers instances with a target group"},
	"aws:wafv2/webAclAssociation:WebAclAssociation":                        {class: Free, reason: "associating a web ACL carries no charge; the web ACL and its rules are priced"},
	"aws:s3/bucketVersioningV2:BucketVersioningV2":                         {class: Free, reason: "configuration of the bucket, which is listed (old versions are storage, billed there)"},
	"aws:eks/addon:Addon":                                                  {class: Free, reason: "EKS add-ons carry no fee; their pods run on the priced nodes"},
	"aws:ec2/flowLog:FlowLog":                                              {class: Free, reason: "billed as ingestion into its log group, priced there"},
	"aws:ec2/vpc:Vpc":                                                      {class: Free, reason: "networking object"},
	"aws:ec2/subnet:Subnet":                                                {class: Free, reason: "networking object"},
	"aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation":      {class: Free, reason: "networking object"},
	"aws:ec2/internetGateway:InternetGateway":                              {class: Free, reason: "no hourly charge (data transfer excluded)"},
	"aws:ec2/route:Route":                                                  {class: Free, reason: "networking object"},
	"aws:ec2/routeTable:RouteTable":                                        {class: Free, reason: "networking object"},
	"aws:ec2/routeTableAssociation:RouteTableAssociation":                  {class: Free, reason: "networking object"},
	"aws:ec2/securityGroup:SecurityGroup":                                  {class: Free, reason: "networking object"},
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":                    {class: Free, reason: "networking object"},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":            {class: Free, reason: "networking object"},
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":              {class: Free, reason: "networking object"},
	"aws:lb/listener:Listener":                                             {class: Free, reason: "charged through the load balancer's hours and LCUs"},
	"aws:lb/targetGroup:TargetGroup":                                       {class: Free, reason: "charged through the load balancer's hours and LCUs"},
	"aws:iam/role:Role":                                                    {class: Free, reason: "IAM is free"},
	"aws:iam/policy:Policy":                                                {class: Free, reason: "IAM is free"},
	"aws:iam/rolePolicy:RolePolicy":                                        {class: Free, reason: "IAM is free"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":                    {class: Free, reason: "IAM is free"},
	"aws:iam/instanceProfile:InstanceProfile":                              {class: Free, reason: "IAM is free"},
	"aws:kms/alias:Alias":                                                  {class: Free, reason: "aliases are free; the key is priced"},
	"aws:secretsmanager/secretVersion:SecretVersion":                       {class: Free, reason: "versions are included in the secret's monthly fee"},
	"aws:rds/parameterGroup:ParameterGroup":                                {class: Free, reason: "configuration object"},
	"aws:rds/subnetGroup:SubnetGroup":                                      {class: Free, reason: "configuration object"},
	"aws:ecr/lifecyclePolicy:LifecyclePolicy":                              {class: Free, reason: "configuration object"},
	"aws:s3/bucketPolicy:BucketPolicy":                                     {class: Free, reason: "configuration of the bucket, which is listed"},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":               {class: Free, reason: "configuration of the bucket, which is listed"},
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":               {class: Free, reason: "configuration of the bucket, which is listed"},
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": {class: Free, reason: "configuration of the bucket, which is listed"},
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {class: Free,
		reason: "SSE-S3 encryption carries no charge"},
	"kubernetes:core/v1:Namespace":                        {class: Free, reason: "Kubernetes object inside the cluster"},
	"kubernetes:core/v1:Secret":                           {class: Free, reason: "Kubernetes object inside the cluster"},
	"kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig": {class: Free, reason: "Kubernetes object inside the cluster"},
	"mongodbatlas:index/project:Project":                  {class: Free, reason: "Atlas projects are free"},
	"mongodbatlas:index/databaseUser:DatabaseUser":        {class: Free, reason: "Atlas database users are free"},
	"mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService": {class: Free,
		reason: "Atlas's record of the AWS interface endpoint, which is priced"},
	"postgresql:index/role:Role":                 {class: Free, reason: "object inside the priced RDS instance"},
	"postgresql:index/database:Database":         {class: Free, reason: "object inside the priced RDS instance"},
	"postgresql:index/grant:Grant":               {class: Free, reason: "object inside the priced RDS instance"},
	"postgresql:index/grantRole:GrantRole":       {class: Free, reason: "object inside the priced RDS instance"},
	"random:index/randomPassword:RandomPassword": {class: Free, reason: "generated in the Pulumi state"},
}

// Classify says how the estimate treats a resource type, and why for free
// and unpriced types.
func Classify(typ string) (Class, string) {
	if r, ok := catalog[typ]; ok {
		return r.class, r.reason
	}
	switch {
	case strings.HasPrefix(typ, "bpa:"):
		return Free, "the program's own component: its children are classified one by one"
	case strings.HasPrefix(typ, "pulumi:providers:"):
		return Free, "provider configuration"
	}
	return Unclassified, "unknown to internal/cost: add it to the catalogue as priced, free or unpriced"
}
