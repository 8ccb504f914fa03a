// Package password generates the stack's database passwords, each with the
// rotation label that replaces it.
package password

import (
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

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

// Length is every generated password's length.
const Length = 32

// Spec is what a database accepts in a password.
type Spec struct {
	// Specials are the only symbols used: URL-unreserved ones, so that the
	// password fits connection strings and Helm values unescaped.
	Specials string
	// MinSpecial is how many of them at least.
	MinSpecial int
}

// Generate makes a 32-character password with at least two of each letter
// case and digit, kept in state as a secret and made anew only when
// rotation (its label) changes. It returns the password as a secret output.
func Generate(ctx *pulumi.Context, name string, spec Spec, rotation string, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	generated, err := random.NewRandomPassword(ctx, name, &random.RandomPasswordArgs{
		Length:          pulumi.Int(Length),
		Special:         pulumi.Bool(true),
		OverrideSpecial: pulumi.String(spec.Specials),
		MinUpper:        pulumi.Int(2),
		MinLower:        pulumi.Int(2),
		MinNumeric:      pulumi.Int(2),
		MinSpecial:      pulumi.Int(spec.MinSpecial),
		Keepers:         pulumi.StringMap{RotationKeeper: pulumi.String(rotation)},
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return pulumi.ToSecret(generated.Result).(pulumi.StringOutput), nil
}
