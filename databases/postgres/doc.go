// Package postgres is BPA's PostgreSQL: the Postgres component
// (bpa:databases:Postgres, New) replaces the guide's RDS
// console walkthrough, parameter-group edit and manual CREATE USER/DATABASE:
//   - an RDS for PostgreSQL instance in the data subnets, not publicly
//     accessible, encrypted with its own rotating KMS key, with automated
//     backups, Performance Insights, enhanced monitoring, CloudWatch log
//     exports to encrypted log groups, CA rds-ca-rsa2048-g1, IAM database
//     authentication accepted beside passwords, and the master password
//     generated and kept by RDS in Secrets Manager;
//   - a parameter group of the engine's family with password_encryption=md5
//     (Camunda needs it), forced TLS and logging settings, attached at
//     creation so that every application password is hashed with md5;
//   - a security group admitting 5432 only from the cluster's node security
//     group, the pod range and the bastion (for SSM port forwarding);
//   - through an explicit postgresql provider (TLS required, master user not
//     a superuser, host and port overridable for a port forward), the
//     chart's root, Kong and Camunda login roles with generated passwords,
//     their databases owned by them with nothing granted to PUBLIC, and one
//     KMS-encrypted Secrets Manager secret per application holding its
//     connection facts.
//
// Every generated password (the three logins' and the Atlas user's) has a
// rotation keeper, its label in bpa:credentialsRotation: a new label
// rotates it in one pulumi up (password.RotationKeeper gives the order and why no
// Secrets Manager rotation Lambda is used).
//
// In stacks with protection on (prod) the instance, its parameter group,
// KMS key, roles and databases are protected, and the instance has deletion
// protection and takes a final snapshot.
//
// Its type token keeps the databases module of the design's folders
// (bpa:databases:<Type>: one module, two components), so its URNs are
// those enginetest/testdata records. It waits for nothing of the other data
// store, refuses incomplete arguments before registering anything and
// creates no Kubernetes objects: the workload component turns its outputs
// into the chart's secrets.
package postgres
