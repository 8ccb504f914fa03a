package enginetest

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// replaceOn are, per type, the top-level inputs whose change the real
// provider cannot apply in place: a change to one replaces the resource.
// Types not listed update in place on any change. Each entry names where it
// was read; bridged providers take it from the upstream Terraform
// provider's ForceNew / RequiresReplace flags.
var replaceOn = map[string][]string{
	// hashicorp/terraform-provider-aws v5 (behind pulumi-aws v6.83.4),
	// internal/service/<service>/<resource>.go, ForceNew schema fields.
	"aws:rds/instance:Instance":                                       {"identifier", "identifierPrefix", "engine", "username", "dbName", "storageEncrypted", "kmsKeyId", "availabilityZone", "characterSetName", "ncharCharacterSetName", "timezone", "snapshotIdentifier", "restoreToPointInTime", "s3Import", "replicateSourceDb", "customIamInstanceProfile"},
	"aws:rds/parameterGroup:ParameterGroup":                           {"name", "namePrefix", "family", "description"},
	"aws:rds/subnetGroup:SubnetGroup":                                 {"name", "namePrefix"},
	"aws:ec2/vpc:Vpc":                                                 {"cidrBlock", "instanceTenancy", "ipv4IpamPoolId", "ipv4NetmaskLength"},
	"aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation": {"vpcId", "cidrBlock"},
	"aws:ec2/subnet:Subnet":                                           {"vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "ipv6Native", "outpostArn"},
	"aws:ec2/securityGroup:SecurityGroup":                             {"name", "namePrefix", "description", "vpcId"},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":       {"securityGroupId"},
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":         {"securityGroupId"},
	"aws:ec2/securityGroupRule:SecurityGroupRule":                     {"type", "protocol", "fromPort", "toPort", "cidrBlocks", "ipv6CidrBlocks", "prefixListIds", "securityGroupId", "self", "sourceSecurityGroupId", "description"},
	"aws:ec2/natGateway:NatGateway":                                   {"allocationId", "subnetId", "connectivityType", "privateIp"},
	"aws:ec2/eip:Eip":                                                 {"domain", "vpc", "publicIpv4Pool", "networkBorderGroup", "address", "customerOwnedIpv4Pool"},
	"aws:ec2/routeTable:RouteTable":                                   {"vpcId"},
	"aws:ec2/route:Route":                                             {"routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"},
	"aws:ec2/routeTableAssociation:RouteTableAssociation":             {"subnetId", "gatewayId"},
	"aws:ec2/vpcEndpoint:VpcEndpoint":                                 {"vpcId", "serviceName", "vpcEndpointType", "serviceRegion"},
	"aws:ec2/flowLog:FlowLog":                                         {"vpcId", "subnetId", "eniId", "transitGatewayId", "logDestination", "logDestinationType", "logFormat", "trafficType", "iamRoleArn", "maxAggregationInterval", "destinationOptions", "deliverCrossAccountRole"},
	"aws:ec2/instance:Instance":                                       {"ami", "availabilityZone", "subnetId", "keyName", "privateIp", "placementGroup", "tenancy", "hostId", "ipv6Addresses", "networkInterfaces", "ebsBlockDevices", "ephemeralBlockDevices", "associatePublicIpAddress", "cpuOptions", "launchTemplate"},
	"aws:ec2/launchTemplate:LaunchTemplate":                           {"name", "namePrefix"},
	"aws:kms/key:Key":                                                 {"customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"},
	"aws:kms/alias:Alias":                                             {"name", "namePrefix"},
	"aws:ecr/repository:Repository":                                   {"name", "encryptionConfigurations"},
	"aws:eks/nodeGroup:NodeGroup":                                     {"clusterName", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "subnetIds", "amiType", "capacityType", "diskSize", "instanceTypes", "remoteAccess"},
	"aws:eks/addon:Addon":                                             {"clusterName", "addonName"},
	"aws:eks/cluster:Cluster":                                         {"name", "roleArn", "encryptionConfig", "kubernetesNetworkConfig", "outpostConfig", "bootstrapSelfManagedAddons"},
	"aws:eks/accessEntry:AccessEntry":                                 {"clusterName", "principalArn", "type"},
	"aws:eks/accessPolicyAssociation:AccessPolicyAssociation":         {"clusterName", "principalArn", "policyArn"},
	"aws:lb/loadBalancer:LoadBalancer":                                {"name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool"},
	"aws:lb/targetGroup:TargetGroup":                                  {"name", "namePrefix", "port", "protocol", "protocolVersion", "vpcId", "targetType", "ipAddressType"},
	"aws:lb/listener:Listener":                                        {"loadBalancerArn"},
	"aws:autoscaling/attachment:Attachment":                           {"autoscalingGroupName", "lbTargetGroupArn", "elb"},
	"aws:secretsmanager/secret:Secret":                                {"name", "namePrefix"},
	"aws:secretsmanager/secretVersion:SecretVersion":                  {"secretId", "secretString", "secretBinary"},
	"aws:s3/bucketV2:BucketV2":                                        {"bucket", "bucketPrefix", "objectLockEnabled"},
	"aws:cloudwatch/logGroup:LogGroup":                                {"name", "namePrefix", "logGroupClass"},
	"aws:iam/role:Role":                                               {"name", "namePrefix", "path"},
	"aws:iam/rolePolicy:RolePolicy":                                   {"name", "namePrefix", "role"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":               {"role", "policyArn"},
	"aws:iam/policy:Policy":                                           {"name", "namePrefix", "path", "description"},
	"aws:iam/instanceProfile:InstanceProfile":                         {"name", "namePrefix", "path"},
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider":             {"url"},

	// pulumi-kubernetes v4.32.0: a Helm release is replaced only for a new
	// name or namespace (provider/pkg/provider/helm_release.go, Diff, line
	// 907); every other change is a helm upgrade.
	"kubernetes:helm.sh/v3:Release": {"name", "namespace"},

	// cyrilgdn/terraform-provider-postgresql v1.25.0 (behind
	// pulumi-postgresql v3.15.0): resource_postgresql_grant_role.go:39-51,
	// resource_postgresql_database.go (template, encoding, lc_collate,
	// lc_ctype), resource_postgresql_grant.go (all but privileges). A role's
	// name and password change in place.
	"postgresql:index/grantRole:GrantRole": {"role", "grantRole", "withAdminOption"},
	"postgresql:index/database:Database":   {"template", "encoding", "lcCollate", "lcCtype"},
	"postgresql:index/grant:Grant":         {"role", "database", "schema", "objectType", "objects", "columns", "withGrantOption"},

	// mongodb/terraform-provider-mongodbatlas v1.30.0 (behind
	// pulumi-mongodbatlas v3.30.0), internal/service/<resource>: the
	// cluster's tier and version, the project's name and a user's password
	// and roles change in place.
	"mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint":               {"projectId", "providerName", "region"},
	"mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService": {"projectId", "providerName", "privateLinkId", "endpointServiceId", "gcpProjectId"},
	"mongodbatlas:index/advancedCluster:AdvancedCluster":                       {"projectId", "name"},
	"mongodbatlas:index/project:Project":                                       {"orgId"},
	"mongodbatlas:index/databaseUser:DatabaseUser":                             {"projectId", "username", "authDatabaseName"},

	// pulumi-random v4: every input of a generated password forces a new one
	// (its resources have no Update).
	"random:index/randomPassword:RandomPassword": {"length", "special", "upper", "lower", "numeric", "number", "minUpper", "minLower", "minNumeric", "minSpecial", "overrideSpecial", "keepers"},
}

// replacePaths are the input paths ("metadata.name") whose change replaces
// a resource of typ.
func replacePaths(typ string, providerConfig property.Map) []string {
	if strings.HasPrefix(typ, "kubernetes:") && typ != "kubernetes:helm.sh/v3:Release" {
		return kubernetesReplacePaths(typ, providerConfig)
	}
	return replaceOn[typ]
}

// kubernetesReplacePaths follow pulumi-kubernetes v4.32.0's diff
// (provider/pkg/provider/diff.go): a new apiVersion, kind, name or
// namespace replaces an object; a Secret's type always does, and its data
// too unless the provider sets enableSecretMutable (diff.go:23-38, 155-157,
// 207-212; provider.go:712-726).
func kubernetesReplacePaths(typ string, providerConfig property.Map) []string {
	paths := []string{"apiVersion", "kind", "metadata.name", "metadata.namespace"}
	if typ != "kubernetes:core/v1:Secret" {
		return paths
	}
	paths = append(paths, "type", "immutable")
	mutable, _ := providerConfig.GetOk("enableSecretMutable")
	if !(mutable.IsBool() && mutable.AsBool()) && !(mutable.IsString() && mutable.AsString() == "true") {
		paths = append(paths, "data", "stringData")
	}
	return paths
}
