package postgres_test

// postgresNames pins the logical names (and so the URNs) of the Postgres
// component's resources in the prod stack.
const postgresNames = `
aws:cloudwatch/logGroup:LogGroup postgres-log-postgresql
aws:cloudwatch/logGroup:LogGroup postgres-log-upgrade
aws:ec2/securityGroup:SecurityGroup postgres
aws:iam/role:Role postgres-monitoring
aws:iam/rolePolicyAttachment:RolePolicyAttachment postgres-monitoring
aws:kms/alias:Alias postgres-key
aws:kms/key:Key postgres-key
aws:rds/instance:Instance postgres
aws:rds/parameterGroup:ParameterGroup postgres
aws:rds/subnetGroup:SubnetGroup postgres
aws:secretsmanager/secret:Secret postgres-camunda
aws:secretsmanager/secret:Secret postgres-kong
aws:secretsmanager/secret:Secret postgres-root
aws:secretsmanager/secretVersion:SecretVersion postgres-camunda
aws:secretsmanager/secretVersion:SecretVersion postgres-kong
aws:secretsmanager/secretVersion:SecretVersion postgres-root
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule postgres-from-bastion
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule postgres-from-nodes
aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule postgres-from-pods
bpa:databases:Postgres postgres
postgresql:index/database:Database postgres-camunda
postgresql:index/database:Database postgres-kong
postgresql:index/database:Database postgres-root
postgresql:index/grant:Grant postgres-camunda-no-public
postgresql:index/grant:Grant postgres-kong-no-public
postgresql:index/grant:Grant postgres-root-no-public
postgresql:index/role:Role postgres-camunda
postgresql:index/role:Role postgres-kong
postgresql:index/role:Role postgres-root
pulumi:providers:postgresql postgres-admin
random:index/randomPassword:RandomPassword postgres-camunda-password
random:index/randomPassword:RandomPassword postgres-kong-password
random:index/randomPassword:RandomPassword postgres-root-password
`
