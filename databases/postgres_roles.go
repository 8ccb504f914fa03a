package databases

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-postgresql/sdk/v3/go/postgresql"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PostgresPasswordSpecials are the only symbols in generated passwords:
// URL-safe, so the passwords also fit connection strings unescaped.
const PostgresPasswordSpecials = "-_"

// RotationKeeper is the key of a generated password's keepers that holds
// its rotation label (bpa:credentialsRotation). pulumi-random replaces a
// password whose keepers change, and everything that reads it follows in
// the same pulumi up, in the order the graph gives:
//
//  1. the new password is generated (the old one is deleted only at the end);
//  2. the login takes it in place: ALTER ROLE ... PASSWORD for PostgreSQL,
//     an update of the Atlas database user; sessions already open stay up;
//  3. its Secrets Manager secret gets a new version (the secret and its ARN
//     stay) and its Kubernetes secret is updated in place (the cluster's
//     provider sets enableSecretMutable);
//  4. the Helm release, which waits for the logins, is upgraded with the
//     new password in its values, so pods whose spec carries it roll.
//
// Pods that read the Kubernetes secrets by name do not notice a change of
// data: restart them after the update (kubectl -n <namespace> rollout
// restart deployment,statefulset). Until they restart they hold their open
// connections; a new connection with the old password is refused.
//
// Secrets Manager's own rotation (a rotation Lambda) is not used: Pulumi is
// the source of these passwords and writes them to the login, the secret,
// the Kubernetes secret and the chart's values. A Lambda would change the
// login and the secret behind Pulumi's back; the next pulumi up would set
// the old password again, and the Kubernetes secrets and pods would hold a
// password the database no longer takes.
const RotationKeeper = "rotation"

// rotationKeepers are a generated password's keepers.
func rotationKeepers(label string) pulumi.StringMap {
	return pulumi.StringMap{RotationKeeper: pulumi.String(label)}
}

// PostgresConnectTimeoutSeconds makes a run without a route to the
// database (a laptop without the port forward) fail fast.
const PostgresConnectTimeoutSeconds = 15

// provider is the explicit postgresql provider the roles and databases are
// created through, set up for RDS as it is: TLS enforced and a master user
// that is not a superuser.
func (b *postgresBuilder) provider() error {
	// The master password lives only in the RDS-managed secret, read at
	// every run (RDS rotates it) and kept secret.
	version := secretsmanager.LookupSecretVersionOutput(b.ctx, secretsmanager.LookupSecretVersionOutputArgs{
		SecretId: b.masterSecretArn,
	}, b.parent)
	password := pulumi.ToSecret(version.SecretString().ApplyT(postgresMasterPassword)).(pulumi.StringOutput)

	host, port := pulumi.StringInput(b.db.Address), pulumi.IntInput(b.db.Port)
	if b.args.AdminHost != "" {
		host, port = pulumi.String(b.args.AdminHost), pulumi.Int(b.args.AdminPort)
	}
	var err error
	b.pg, err = postgresql.NewProvider(b.ctx, b.name+"-admin", &postgresql.ProviderArgs{
		Host: host,
		Port: port,
		// Every PostgreSQL instance has it; RDS creates no other database.
		Database: pulumi.String("postgres"),
		Username: pulumi.String(b.args.MasterUsername),
		Password: password,
		Sslmode:  pulumi.String(PostgresSSLMode),
		// The RDS master user has rds_superuser, not SUPERUSER.
		Superuser:       pulumi.Bool(false),
		ExpectedVersion: pulumi.String(b.args.EngineVersion),
		ConnectTimeout:  pulumi.Int(PostgresConnectTimeoutSeconds),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create postgresql provider: %w", err)
	}
	return nil
}

// postgresMasterPassword takes the password out of the RDS master secret
// ({"username":..., "password":...}); errors never quote the secret.
func postgresMasterPassword(secretString string) (string, error) {
	var v struct {
		Password string `json:"password"`
	}
	if err := json.Unmarshal([]byte(secretString), &v); err != nil {
		return "", errors.New("RDS master secret is not the JSON RDS writes")
	}
	if v.Password == "" {
		return "", errors.New("RDS master secret has no password")
	}
	return v.Password, nil
}

// applications creates each login the chart uses, its database and secret:
// the chart's root login first, then Kong and Camunda.
func (b *postgresBuilder) applications() error {
	for _, app := range []struct {
		label string
		login PostgresAppDatabase
		// root may create databases and roles, as the guide's
		// PG_INITDB_ROOT_USERNAME could.
		root bool
	}{{"root", b.args.Root, true}, {"kong", b.args.Kong, false}, {"camunda", b.args.Camunda, false}} {
		login, err := b.application(app.label, app.login, app.root)
		if err != nil {
			return fmt.Errorf("%s: %w", app.label, err)
		}
		b.logins = append(b.logins, login)
	}
	return nil
}

func (b *postgresBuilder) application(label string, app PostgresAppDatabase, root bool) (PostgresLogin, error) {
	name := b.name + "-" + label
	onPg := pulumi.Provider(b.pg)

	// A stateful resource: made once, kept in state as a secret, and made
	// anew only when its rotation keeper changes (see RotationKeeper).
	generated, err := random.NewRandomPassword(b.ctx, name+"-password", &random.RandomPasswordArgs{
		Length:          pulumi.Int(32),
		Special:         pulumi.Bool(true),
		OverrideSpecial: pulumi.String(PostgresPasswordSpecials),
		MinUpper:        pulumi.Int(2),
		MinLower:        pulumi.Int(2),
		MinNumeric:      pulumi.Int(2),
		MinSpecial:      pulumi.Int(1),
		Keepers:         rotationKeepers(app.PasswordRotation),
	}, b.parent)
	if err != nil {
		return PostgresLogin{}, fmt.Errorf("generate password: %w", err)
	}
	password := pulumi.ToSecret(generated.Result).(pulumi.StringOutput)

	role, err := postgresql.NewRole(b.ctx, name, &postgresql.RoleArgs{
		Name:           pulumi.String(app.Role),
		Login:          pulumi.Bool(true),
		Password:       password,
		CreateDatabase: pulumi.Bool(root),
		CreateRole:     pulumi.Bool(root),
		Inherit:        pulumi.Bool(true),
	}, b.parent, onPg, b.protect(),
		// The real ordering need: a password is hashed with the
		// password_encryption in force when it is set, and Camunda needs
		// md5. The parameter group is attached when the instance is
		// created; waiting for both makes that explicit in the graph even
		// when the provider's host is a port forward that carries no
		// dependency on the instance.
		pulumi.DependsOn([]pulumi.Resource{b.db, b.params}))
	if err != nil {
		return PostgresLogin{}, fmt.Errorf("create role: %w", err)
	}

	// No GrantRole of the owner to the master user: PostgreSQL 16 lets a
	// non-superuser create a database owned by another role only if it may
	// SET ROLE to it, and the provider (v1.25.0,
	// resource_postgresql_database.go createDatabase) grants and revokes
	// that membership itself. A GrantRole would replace itself on every
	// run: PG16 records an implicit ADMIN membership for roles a CREATEROLE
	// user creates, and the provider reads that row back
	// (resource_postgresql_grant_role.go).
	database, err := postgresql.NewDatabase(b.ctx, name, &postgresql.DatabaseArgs{
		Name:             pulumi.String(app.Database),
		Owner:            role.Name,
		Encoding:         pulumi.String("UTF8"),
		AllowConnections: pulumi.Bool(true),
	}, b.parent, onPg, b.protect())
	if err != nil {
		return PostgresLogin{}, fmt.Errorf("create database: %w", err)
	}

	// New databases let every role connect and create temporary tables;
	// an empty privilege list revokes all of PUBLIC's rights.
	revoke, err := postgresql.NewGrant(b.ctx, name+"-no-public", &postgresql.GrantArgs{
		Database:   database.Name,
		Role:       pulumi.String("public"),
		ObjectType: pulumi.String("database"),
		Privileges: pulumi.StringArray{},
	}, b.parent, onPg)
	if err != nil {
		return PostgresLogin{}, fmt.Errorf("revoke PUBLIC on the database: %w", err)
	}

	recovery := 0 // unprotected stacks can be rebuilt at once under the same name
	if b.args.Protect {
		recovery = 30
	}
	secret, err := secretsmanager.NewSecret(b.ctx, name, &secretsmanager.SecretArgs{
		Name:                 pulumi.String("bpa/" + b.args.NamePrefix + "/postgres/" + label),
		Description:          pulumi.String("Connection to PostgreSQL database " + app.Database + " as " + app.Role + " (host, port, dbname, username, password, sslmode)"),
		KmsKeyId:             b.kmsKey.Arn,
		RecoveryWindowInDays: pulumi.Int(recovery),
		Tags:                 b.tags("postgres-" + label),
	}, b.parent)
	if err != nil {
		return PostgresLogin{}, fmt.Errorf("create secret: %w", err)
	}
	// Names from the arguments, not the role's and database's outputs: the
	// secret describes the connection; Ready is what consumers wait for.
	document := pulumi.JSONMarshal(pulumi.Map{
		"host":     b.db.Address,
		"port":     b.db.Port,
		"dbname":   pulumi.String(app.Database),
		"username": pulumi.String(app.Role),
		"password": password,
		"sslmode":  pulumi.String(PostgresSSLMode),
	})
	if _, err := secretsmanager.NewSecretVersion(b.ctx, name, &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(document).(pulumi.StringOutput),
	}, b.parent); err != nil {
		return PostgresLogin{}, fmt.Errorf("store connection secret: %w", err)
	}

	b.ready = append(b.ready, role, database, revoke)
	return PostgresLogin{Role: app.Role, Database: app.Database, Password: password, SecretArn: secret.Arn}, nil
}
