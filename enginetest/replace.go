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
	// hashicorp/terraform-provider-aws behind pulumi-aws v6.83.4 (5.99/5.100;
	// the flags were read in the v6.0.0 source, v5-only fields in 5.x),
	// internal/service/<service>/<resource>.go, ForceNew schema fields and
	// nested ForceNew paths. An RDS instance is renamed, and moved to another
	// subnet group, in place; its class and version change in place.
	// internal/service/rds/instance.go resourceInstance (identifier/engineVersion/instanceClass/dbSubnetGroupName are in-place)
	"aws:rds/instance:Instance": {"availabilityZone", "backupTarget", "characterSetName", "customIamInstanceProfile", "dbName", "engine", "kmsKeyId", "name", "ncharCharacterSetName", "restoreToPointInTime", "snapshotIdentifier", "storageEncrypted", "timezone", "username", "s3Import.bucketName", "s3Import.bucketPrefix", "s3Import.ingestionRole", "s3Import.sourceEngine", "s3Import.sourceEngineVersion"},
	// internal/service/rds/parameter_group.go resourceParameterGroup
	"aws:rds/parameterGroup:ParameterGroup": {"description", "family", "name", "namePrefix"},
	// internal/service/rds/subnet_group.go resourceSubnetGroup
	"aws:rds/subnetGroup:SubnetGroup": {"name", "namePrefix"},
	// internal/service/ec2/vpc_.go resourceVPC (+ instanceTenancy conditional, see below)
	"aws:ec2/vpc:Vpc": {"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"},
	// internal/service/ec2/vpc_subnet.go resourceSubnet
	"aws:ec2/subnet:Subnet": {"availabilityZone", "availabilityZoneId", "cidrBlock", "ipv6Native", "outpostArn", "vpcId"},
	// internal/service/ecr/repository.go resourceRepository
	"aws:ecr/repository:Repository": {"encryptionConfigurations", "name", "encryptionConfigurations.encryptionType", "encryptionConfigurations.kmsKey"},
	// internal/service/kms/key.go resourceKey
	"aws:kms/key:Key": {"customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"},
	// internal/service/kms/alias.go resourceAlias
	"aws:kms/alias:Alias": {"name", "namePrefix"},
	// internal/service/ec2/ec2_launch_template.go resourceLaunchTemplate
	"aws:ec2/launchTemplate:LaunchTemplate": {"name", "namePrefix"},
	// internal/service/eks/node_group.go resourceNodeGroup (launchTemplate.id/.name nested FN; .version in place)
	"aws:eks/nodeGroup:NodeGroup": {"amiType", "capacityType", "clusterName", "diskSize", "instanceTypes", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "remoteAccess", "subnetIds", "launchTemplate.id", "launchTemplate.name", "remoteAccess.ec2SshKey", "remoteAccess.sourceSecurityGroupIds"},
	// internal/service/eks/addon.go resourceAddon
	"aws:eks/addon:Addon": {"addonName", "clusterName"},
	// internal/service/eks/cluster.go resourceCluster
	"aws:eks/cluster:Cluster": {"bootstrapSelfManagedAddons", "name", "remoteNetworkConfig", "roleArn", "accessConfig.bootstrapClusterCreatorAdminPermissions", "kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr", "outpostConfig.controlPlaneInstanceType", "outpostConfig.controlPlanePlacement.groupName", "remoteNetworkConfig.remoteNodeNetworks.cidrs", "remoteNetworkConfig.remotePodNetworks.cidrs"},
	// internal/service/ec2/vpc_security_group.go resourceSecurityGroup
	"aws:ec2/securityGroup:SecurityGroup": {"description", "name", "namePrefix", "vpcId"},
	// internal/service/ec2/vpc_security_group_ingress_rule.go securityGroupRuleResource.Schema (RequiresReplace)
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {"securityGroupId"},
	// internal/service/ec2/vpc_security_group_egress_rule.go (shares securityGroupRuleResource.Schema)
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {"securityGroupId"},
	// internal/service/elbv2/load_balancer.go resourceLoadBalancer
	"aws:lb/loadBalancer:LoadBalancer": {"customerOwnedIpv4Pool", "internal", "loadBalancerType", "name", "namePrefix"},
	// internal/service/elbv2/target_group.go resourceTargetGroup
	"aws:lb/targetGroup:TargetGroup": {"ipAddressType", "name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId"},
	// internal/service/elbv2/listener.go resourceListener
	"aws:lb/listener:Listener": {"loadBalancerArn"},
	// internal/service/secretsmanager/secret.go resourceSecret
	"aws:secretsmanager/secret:Secret": {"name", "namePrefix"},
	// internal/service/secretsmanager/secret_version.go resourceSecretVersion
	"aws:secretsmanager/secretVersion:SecretVersion": {"secretBinary", "secretId", "secretString"},
	// internal/service/s3/bucket.go resourceBucket (aws_s3_bucket -> BucketV2 in pulumi-aws v6)
	"aws:s3/bucketV2:BucketV2": {"bucket", "bucketPrefix", "objectLockEnabled", "objectLockConfiguration.objectLockEnabled"},
	// internal/service/logs/group.go resourceGroup
	"aws:cloudwatch/logGroup:LogGroup": {"logGroupClass", "name", "namePrefix"},
	// internal/service/iam/role.go resourceRole
	"aws:iam/role:Role": {"name", "namePrefix", "path"},
	// internal/service/iam/role_policy.go resourceRolePolicy
	"aws:iam/rolePolicy:RolePolicy": {"name", "namePrefix", "role"},
	// internal/service/iam/role_policy_attachment.go resourceRolePolicyAttachment
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {"policyArn", "role"},
	// internal/service/ec2/vpc_endpoint.go resourceVPCEndpoint
	"aws:ec2/vpcEndpoint:VpcEndpoint": {"resourceConfigurationArn", "serviceName", "serviceNetworkArn", "serviceRegion", "vpcEndpointType", "vpcId"},
	// internal/service/ec2/vpc_nat_gateway.go resourceNATGateway
	"aws:ec2/natGateway:NatGateway": {"allocationId", "connectivityType", "privateIp", "subnetId"},
	// internal/service/ec2/ec2_eip.go resourceEIP ("vpc" is v5-only, FN)
	"aws:ec2/eip:Eip": {"address", "domain", "ipamPoolId", "networkBorderGroup", "publicIpv4Pool", "vpc"},
	// internal/service/ec2/ec2_instance.go resourceInstance (cpuCoreCount/cpuThreadsPerCore are v5-only, FN)
	"aws:ec2/instance:Instance": {"ami", "associatePublicIpAddress", "availabilityZone", "cpuCoreCount", "cpuThreadsPerCore", "ebsOptimized", "ephemeralBlockDevices", "hibernation", "hostId", "instanceMarketOptions", "ipv6Addresses", "keyName", "launchTemplate", "placementGroup", "placementPartitionNumber", "privateDnsNameOptions", "privateIp", "securityGroups", "subnetId", "tenancy", "cpuOptions.amdSevSnp", "cpuOptions.coreCount", "cpuOptions.threadsPerCore", "enclaveOptions.enabled", "networkInterfaces.deleteOnTermination", "networkInterfaces.deviceIndex", "networkInterfaces.networkCardIndex", "networkInterfaces.networkInterfaceId", "rootBlockDevice.encrypted", "rootBlockDevice.kmsKeyId"},
	// internal/service/ec2/ebs_volume.go resourceEBSVolume (size/iops/throughput/type in place)
	"aws:ebs/volume:Volume": {"availabilityZone", "encrypted", "kmsKeyId", "multiAttachEnabled", "outpostArn", "snapshotId"},
	// internal/service/ec2/ebs_volume_attachment.go resourceVolumeAttachment
	"aws:ec2/volumeAttachment:VolumeAttachment": {"deviceName", "instanceId", "volumeId"},
	// internal/service/autoscaling/attachment.go resourceAttachment
	"aws:autoscaling/attachment:Attachment": {"autoscalingGroupName", "elb", "lbTargetGroupArn"},
	// internal/service/ec2/vpc_flow_log.go resourceFlowLog ("logGroupName" is v5-only, FN)
	"aws:ec2/flowLog:FlowLog": {"deliverCrossAccountRole", "destinationOptions", "eniId", "iamRoleArn", "logDestination", "logDestinationType", "logFormat", "logGroupName", "maxAggregationInterval", "subnetId", "trafficType", "transitGatewayAttachmentId", "transitGatewayId", "vpcId", "destinationOptions.fileFormat", "destinationOptions.hiveCompatiblePartitions", "destinationOptions.perHourPartition"},
	// internal/service/ec2/vpc_route_table.go resourceRouteTable
	"aws:ec2/routeTable:RouteTable": {"vpcId"},
	// internal/service/ec2/vpc_route.go resourceRoute
	"aws:ec2/route:Route": {"destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId", "routeTableId"},
	// internal/service/ec2/vpc_internet_gateway.go resourceInternetGateway (vpcId attach/detach in place)
	"aws:ec2/internetGateway:InternetGateway": {},
	// internal/service/eks/access_entry.go resourceAccessEntry
	"aws:eks/accessEntry:AccessEntry": {"clusterName", "principalArn", "type"},
	// internal/service/eks/access_policy_association.go resourceAccessPolicyAssociation
	"aws:eks/accessPolicyAssociation:AccessPolicyAssociation": {"accessScope", "clusterName", "policyArn", "principalArn", "accessScope.namespaces", "accessScope.type"},
	// internal/service/wafv2/web_acl.go resourceWebACL
	"aws:wafv2/webAcl:WebAcl": {"name", "namePrefix", "scope"},
	// internal/service/wafv2/web_acl_association.go resourceWebACLAssociation
	"aws:wafv2/webAclAssociation:WebAclAssociation": {"resourceArn", "webAclArn"},
	// internal/service/s3/object.go resourceObject (aws_s3_object)
	"aws:s3/bucketObjectv2:BucketObjectv2": {"bucket", "key"},
	// internal/service/ec2/vpc_security_group_rule.go (read at
	// 0d90774d): every field but description.
	"aws:ec2/securityGroupRule:SecurityGroupRule": {"type", "protocol", "fromPort", "toPort", "cidrBlocks", "ipv6CidrBlocks", "prefixListIds", "securityGroupId", "self", "sourceSecurityGroupId"},
	// Not read in source, named as the other IAM resources are: a policy,
	// instance profile or OIDC provider is identified by its name (url).
	"aws:iam/policy:Policy":                               {"name", "namePrefix", "path", "description"},
	"aws:iam/instanceProfile:InstanceProfile":             {"name", "namePrefix", "path"},
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider": {"url"},
	// Not in the table read: an IPv4 CIDR association is replaced on any
	// change (internal/service/ec2/vpc_ipv4_cidr_block_association.go has
	// no update).
	"aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation": {"vpcId", "cidrBlock"},
	"aws:ec2/routeTableAssociation:RouteTableAssociation":             {"subnetId", "gatewayId"},

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
