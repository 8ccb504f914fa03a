package mongo

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-mongodbatlas/sdk/v3/go/mongodbatlas"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/password"

	"github.com/bpa-infra/bpa-infra/internal/kmskey"
)

// user is BPA's SCRAM user: readWrite on the configured databases only,
// valid on this cluster only, with a password generated once and kept in
// state as a secret, made anew when its rotation keeper changes (the order
// of a rotation is password.RotationKeeper's). Atlas deploys a changed user to the
// cluster asynchronously: a pod restarted the moment the update returns may
// be refused until it retries.
func (b *builder) user() error {
	// URL-unreserved characters only: the password goes into connection
	// strings and Helm values without escaping.
	pw, err := password.Generate(b.ctx, b.name+"-user-password", password.Spec{Specials: "-_.~", MinSpecial: 2},
		b.args.PasswordRotation, b.parent)
	if err != nil {
		return fmt.Errorf("generate user password: %w", err)
	}
	b.password = pw

	roles := mongodbatlas.DatabaseUserRoleArray{}
	for _, db := range b.args.Databases {
		roles = append(roles, &mongodbatlas.DatabaseUserRoleArgs{
			RoleName:     pulumi.String("readWrite"),
			DatabaseName: pulumi.String(db),
		})
	}
	b.userRes, err = mongodbatlas.NewDatabaseUser(b.ctx, b.name+"-user", &mongodbatlas.DatabaseUserArgs{
		ProjectId: b.projectID,
		// SCRAM users authenticate against admin; x509, LDAP, OIDC and AWS
		// IAM stay off (their *Type fields default to NONE).
		AuthDatabaseName: pulumi.String("admin"),
		Username:         pulumi.String(b.physicalName()),
		Password:         pw,
		Roles:            roles,
		Scopes: mongodbatlas.DatabaseUserScopeArray{
			&mongodbatlas.DatabaseUserScopeArgs{Name: b.clusterRes.Name, Type: pulumi.String("CLUSTER")},
		},
	}, b.onAtlas()...)
	if err != nil {
		return fmt.Errorf("create database user: %w", err)
	}
	return nil
}

// connectionString reads the cluster's private-endpoint SRV string. The
// cluster's own connectionStrings output is read when the cluster is
// created, which can be before the endpoint is linked, and is then empty;
// the lookup runs only after the endpoint service registration exists.
func (b *builder) connectionString() error {
	found := mongodbatlas.LookupAdvancedClusterOutput(b.ctx, mongodbatlas.LookupAdvancedClusterOutputArgs{
		ProjectId: b.clusterRes.ProjectId,
		Name:      b.clusterRes.Name,
	}, b.parent, pulumi.Provider(b.atlas), pulumi.DependsOn([]pulumi.Resource{b.endpointService}))

	srv := pulumi.All(found.ConnectionStrings(), b.vpcEndpointID).ApplyT(func(v []any) (string, error) {
		strs, endpointID := v[0].([]mongodbatlas.GetAdvancedClusterConnectionString), string(v[1].(pulumi.ID))
		for _, cs := range strs {
			for _, pe := range cs.PrivateEndpoints {
				for _, e := range pe.Endpoints {
					if e.EndpointId == endpointID && pe.SrvConnectionString != "" {
						return pe.SrvConnectionString, nil
					}
				}
			}
		}
		return "", fmt.Errorf("no private SRV connection string from Atlas for VPC endpoint %s yet; run `pulumi up` again once the endpoint is AVAILABLE", endpointID)
	}).(pulumi.StringOutput)
	b.connString = pulumi.ToSecret(srv).(pulumi.StringOutput)
	return nil
}

// userSecret keeps the user's credentials and the private connection
// string in Secrets Manager for operators and for workloads that read
// secrets from AWS. It is encrypted with a key of its own, so reading it
// needs kms:Decrypt on this key as well as access to the secret.
func (b *builder) userSecret() error {
	a := b.args
	key, err := kmskey.New(b.ctx, b.name+"-secrets-key", kmskey.Args{
		Description: a.NamePrefix + " MongoDB Atlas credentials in Secrets Manager",
		Alias:       a.NamePrefix + "-mongo-secrets",
		Tags:        b.tags("mongo-secrets-key"),
		Region:      a.Region,
		Account:     a.Account,
		Protect:     a.Protect,
	}, b.parent)
	if err != nil {
		return err
	}

	recovery := 0 // a throw-away stack can be recreated at once
	if a.Protect {
		recovery = 30
	}
	secret, err := secretsmanager.NewSecret(b.ctx, b.name+"-user", &secretsmanager.SecretArgs{
		Name:                 pulumi.String(a.NamePrefix + "/mongodb/bpa"),
		Description:          pulumi.String("BPA's MongoDB Atlas user, password and private SRV connection string"),
		KmsKeyId:             key.Arn,
		RecoveryWindowInDays: pulumi.Int(recovery),
		Tags:                 b.tags("mongo-user"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create user secret: %w", err)
	}
	value := pulumi.JSONMarshal(pulumi.Map{
		"username":         b.userRes.Username,
		"password":         b.password,
		"authSource":       b.userRes.AuthDatabaseName,
		"connectionString": b.connString,
	})
	if _, err := secretsmanager.NewSecretVersion(b.ctx, b.name+"-user", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(value).(pulumi.StringOutput),
	}, b.parent); err != nil {
		return fmt.Errorf("store user secret: %w", err)
	}
	b.secretArn = secret.Arn
	return nil
}
