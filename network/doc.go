// Package network builds the VPC that every other BPA component lives in.
//
// It creates, over exactly three availability zones:
//   - a VPC with DNS support and hostnames, and the pod range as a secondary CIDR;
//   - per zone a public subnet (load balancer, NAT), a private node subnet,
//     a pod subnet in the secondary range (VPC CNI custom networking) and a
//     data subnet (RDS, the Atlas PrivateLink endpoint) with no route out;
//   - an internet gateway and one NAT gateway per zone, or one per stack;
//   - VPC flow logs to a KMS-encrypted CloudWatch log group;
//   - a gateway endpoint for S3 and, when enabled, interface endpoints so
//     nodes reach ECR, STS, EC2, CloudWatch Logs and SSM without the NAT;
//   - a bastion instance reached only through SSM Session Manager: no
//     inbound rule, no public address, IMDSv2, encrypted disk.
//
// It refuses arguments that do not describe three zones with one subnet per
// tier each. It owns the security groups of its own tiers (endpoints,
// bastion) and locks the VPC's default security group; other tiers' groups
// belong to the components that own those tiers.
package network
