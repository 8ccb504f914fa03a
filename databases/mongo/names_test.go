package mongo_test

// names pins the logical names (and so the URNs) of the Mongo
// component's resources in the prod stack.
const names = `
aws:ec2/securityGroup:SecurityGroup mongo-endpoint
aws:ec2/vpcEndpoint:VpcEndpoint mongo-endpoint
aws:kms/alias:Alias mongo-secrets-key
aws:kms/key:Key mongo-secrets-key
aws:secretsmanager/secret:Secret mongo-user
aws:secretsmanager/secretVersion:SecretVersion mongo-user
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule mongo-endpoint-from-nodes
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule mongo-endpoint-from-pods
bpa:databases:Mongo mongo
mongodbatlas:index/advancedCluster:AdvancedCluster mongo-cluster
mongodbatlas:index/databaseUser:DatabaseUser mongo-user
mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint mongo-privatelink
mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService mongo-endpoint-service
mongodbatlas:index/project:Project mongo-project
pulumi:providers:mongodbatlas mongo-atlas
random:index/randomPassword:RandomPassword mongo-user-password
`
