// Package databases builds BPA's two data stores, each as its own component
// so that neither waits for the other.
//
// Postgres (bpa:databases:Postgres, NewPostgres) replaces the guide's RDS
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
// rotates it in one pulumi up (RotationKeeper gives the order and why no
// Secrets Manager rotation Lambda is used).
//
// In stacks with protection on (prod) the instance, its parameter group,
// KMS key, roles and databases are protected, and the instance has deletion
// protection and takes a final snapshot.
//
// Mongo (bpa:databases:Mongo, NewMongo) builds the MongoDB Atlas project and
// dedicated cluster and reaches it only through an AWS PrivateLink endpoint
// in the data subnets, admitted from the pod range and the nodes.
//
// Both refuse incomplete arguments before registering anything. They create
// no Kubernetes objects: the workload component turns their outputs into
// the chart's secrets.
package databases
