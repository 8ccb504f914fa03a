package postgres

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-postgresql/sdk/v3/go/postgresql"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/password"
)

// PasswordSpecials are the only symbols in generated passwords:
// URL-safe, so the passwords also fit connection strings unescaped.
const PasswordSpecials = "-_"

var passwordSpec = password.Spec{Specials: PasswordSpecials, MinSpecial: 1}

// ConnectTimeoutSeconds makes a run without a route to the
// database (a laptop without the port forward) fail fast.
const ConnectTimeoutSeconds = 15

// provider is the explicit postgresql provider the roles and databases are
// created through, set up for RDS as it is: TLS enforced and a master user
// that is not a superuser.
func (b *builder) provider() error {
	// The master password lives only in the RDS-managed secret, read at
	// every run (RDS rotates it) and kept secret.
	version := secretsmanager.LookupSecretVersionOutput(b.ctx, secretsmanager.LookupSecretVersionOutputArgs{
		SecretId: b.masterSecretArn,
	}, b.parent)
	password := pulumi.ToSecret(version.SecretString().ApplyT(masterPassword)).(pulumi.StringOutput)

	host, port := pulumi.StringInput(b.db.Address), pulumi.IntInput(b.db.Port)
	if e := b.args.AdminEndpoint; e.Host != "" {
		host, port = pulumi.String(e.Host), pulumi.Int(e.Port)
	}
	var err error
	b.pg, err = postgresql.NewProvider(b.ctx, b.name+"-admin", &postgresql.ProviderArgs{
		Host: host,
		Port: port,
		// Every PostgreSQL instance has it; RDS creates no other database.
		Database: pulumi.String("postgres"),
		Username: pulumi.String(b.args.MasterUsername),
		Password: password,
		Sslmode:  pulumi.String(SSLMode),
		// The RDS master user has rds_superuser, not SUPERUSER.
		Superuser:       pulumi.Bool(false),
		ExpectedVersion: pulumi.String(b.args.EngineVersion),
		ConnectTimeout:  pulumi.Int(ConnectTimeoutSeconds),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create postgresql provider: %w", err)
	}
	return nil
}

// masterPassword takes the password out of the RDS master secret
// ({"username":..., "password":...}); errors never quote the secret.
func masterPassword(secretString string) (string, error) {
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
func (b *builder) applications() error {
	for _, app := range []struct {
		label string
		login AppDatabase
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

func (b *builder) application(label string, app AppDatabase, root bool) (Login, error) {
	name := b.name + "-" + label
	onPg := pulumi.Provider(b.pg)

	// A stateful resource: made once, kept in state as a secret, and made
	// anew only when its rotation keeper changes (see password.RotationKeeper).
	pw, err := password.Generate(b.ctx, name+"-password", passwordSpec, app.PasswordRotation, b.parent)
	if err != nil {
		return Login{}, fmt.Errorf("generate password: %w", err)
	}

	role, err := postgresql.NewRole(b.ctx, name, &postgresql.RoleArgs{
		Name:           pulumi.String(app.Role),
		Login:          pulumi.Bool(true),
		Password:       pw,
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
		return Login{}, fmt.Errorf("create role: %w", err)
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
		return Login{}, fmt.Errorf("create database: %w", err)
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
		return Login{}, fmt.Errorf("revoke PUBLIC on the database: %w", err)
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
		return Login{}, fmt.Errorf("create secret: %w", err)
	}
	// Names from the arguments, not the role's and database's outputs: the
	// secret describes the connection; Ready is what consumers wait for.
	document := pulumi.JSONMarshal(pulumi.Map{
		"host":     b.db.Address,
		"port":     b.db.Port,
		"dbname":   pulumi.String(app.Database),
		"username": pulumi.String(app.Role),
		"password": pw,
		"sslmode":  pulumi.String(SSLMode),
	})
	if _, err := secretsmanager.NewSecretVersion(b.ctx, name, &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(document).(pulumi.StringOutput),
	}, b.parent); err != nil {
		return Login{}, fmt.Errorf("store connection secret: %w", err)
	}

	b.ready = append(b.ready, role, database, revoke)
	return Login{Role: app.Role, Database: app.Database, Password: pw, SecretArn: secret.Arn}, nil
}
