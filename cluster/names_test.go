package cluster_test

import (
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// Logical names are part of each resource's URN: renaming one replaces it
// (for the EKS cluster, a new cluster).
func TestClusterLogicalNamesAreStable(t *testing.T) {
	t.Parallel()
	stacktest.ExpectLogicalNames(t, stacktest.Preview(t, stacktest.Live), "cluster", func(n string) bool { return strings.HasPrefix(n, "cluster") }, clusterNames)
}

// clusterNames pins the logical names of the cluster's resources in prod.
const clusterNames = `
aws:autoscaling/attachment:Attachment cluster-tg-30101-node-1
aws:autoscaling/attachment:Attachment cluster-tg-30101-node-2
aws:autoscaling/attachment:Attachment cluster-tg-30101-node-3
aws:autoscaling/attachment:Attachment cluster-tg-30101-node-4
aws:autoscaling/attachment:Attachment cluster-tg-443-node-1
aws:autoscaling/attachment:Attachment cluster-tg-443-node-2
aws:autoscaling/attachment:Attachment cluster-tg-443-node-3
aws:autoscaling/attachment:Attachment cluster-tg-443-node-4
aws:cloudwatch/logGroup:LogGroup cluster-control-plane-logs
aws:ebs/volume:Volume cluster-data-node-1
aws:ebs/volume:Volume cluster-data-node-2
aws:ebs/volume:Volume cluster-data-node-3
aws:ebs/volume:Volume cluster-data-node-4
aws:ec2/launchTemplate:LaunchTemplate cluster-bpa-node-1
aws:ec2/launchTemplate:LaunchTemplate cluster-bpa-node-2
aws:ec2/launchTemplate:LaunchTemplate cluster-bpa-node-3
aws:ec2/launchTemplate:LaunchTemplate cluster-bpa-node-4
aws:ec2/launchTemplate:LaunchTemplate cluster-general
aws:ec2/securityGroup:SecurityGroup cluster-alb
aws:ec2/securityGroup:SecurityGroup cluster-control-plane
aws:ec2/securityGroup:SecurityGroup cluster-nodes
aws:ec2/securityGroup:SecurityGroup cluster-pods
aws:eks/addon:Addon cluster-addon-aws-ebs-csi-driver
aws:eks/addon:Addon cluster-addon-coredns
aws:eks/addon:Addon cluster-addon-kube-proxy
aws:eks/addon:Addon cluster-addon-vpc-cni
aws:eks/nodeGroup:NodeGroup cluster-bpa-node-1
aws:eks/nodeGroup:NodeGroup cluster-bpa-node-2
aws:eks/nodeGroup:NodeGroup cluster-bpa-node-3
aws:eks/nodeGroup:NodeGroup cluster-bpa-node-4
aws:eks/nodeGroup:NodeGroup cluster-general
aws:iam/role:Role cluster-control-plane
aws:iam/role:Role cluster-ebs-csi
aws:iam/role:Role cluster-nodes
aws:iam/rolePolicy:RolePolicy cluster-control-plane-secrets-key
aws:iam/rolePolicy:RolePolicy cluster-nodes-bpa-data
aws:iam/rolePolicy:RolePolicy cluster-nodes-eks-images
aws:iam/rolePolicyAttachment:RolePolicyAttachment cluster-control-plane-AmazonEKSClusterPolicy
aws:iam/rolePolicyAttachment:RolePolicyAttachment cluster-ebs-csi
aws:iam/rolePolicyAttachment:RolePolicyAttachment cluster-nodes-AmazonEKSWorkerNodePolicy
aws:iam/rolePolicyAttachment:RolePolicyAttachment cluster-nodes-AmazonEKS_CNI_Policy
aws:iam/rolePolicyAttachment:RolePolicyAttachment cluster-nodes-AmazonSSMManagedInstanceCore
aws:kms/alias:Alias cluster-secrets-key
aws:kms/key:Key cluster-secrets-key
aws:lb/listener:Listener cluster-listener-30101
aws:lb/listener:Listener cluster-listener-443
aws:lb/loadBalancer:LoadBalancer cluster-alb
aws:lb/targetGroup:TargetGroup cluster-tg-30101
aws:lb/targetGroup:TargetGroup cluster-tg-443
aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2 cluster-alb-logs
aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2 cluster-bundle
aws:s3/bucketOwnershipControls:BucketOwnershipControls cluster-alb-logs
aws:s3/bucketPolicy:BucketPolicy cluster-alb-logs
aws:s3/bucketPolicy:BucketPolicy cluster-bundle
aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock cluster-alb-logs
aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock cluster-bundle
aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2 cluster-alb-logs
aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2 cluster-bundle
aws:s3/bucketV2:BucketV2 cluster-alb-logs
aws:s3/bucketV2:BucketV2 cluster-bundle
aws:s3/bucketVersioningV2:BucketVersioningV2 cluster-alb-logs
aws:s3/bucketVersioningV2:BucketVersioningV2 cluster-bundle
aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule cluster-alb-to-bpa-30101
aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule cluster-control-plane-to-kubelet
aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule cluster-control-plane-to-webhooks
aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule cluster-control-plane-to-webhooks-443
aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule cluster-nodes-to-https
aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule cluster-nodes-to-pods
aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule cluster-nodes-to-vpc
aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule cluster-pods-to-https
aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule cluster-pods-to-out-0-0-0-0-0
aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule cluster-pods-to-pods
aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule cluster-pods-to-vpc
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-alb-30101-from-198-51-100-0-24
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-alb-443-from-198-51-100-0-24
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-control-plane-api-from-bastion
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-control-plane-api-from-nodes
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-control-plane-api-from-pods
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-nodes-bpa-30101-from-alb
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-nodes-from-nodes
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-nodes-from-pods
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-nodes-kubelet-from-control-plane
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-pods-from-nodes
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-pods-from-pods
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-pods-webhooks-443-from-control-plane
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule cluster-pods-webhooks-from-control-plane
aws:wafv2/webAcl:WebAcl cluster-waf
aws:wafv2/webAclAssociation:WebAclAssociation cluster-waf
bpa:cluster:Cluster cluster
eks:index:Cluster cluster-eks
kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig cluster-eniconfig-us-west-2a
kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig cluster-eniconfig-us-west-2b
kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig cluster-eniconfig-us-west-2c
pulumi:providers:kubernetes cluster-k8s
`
