// Package kmskey makes the stack's customer-managed KMS keys, one way for
// every component: yearly rotation, a 30-day deletion window, a policy in
// which the account administers the key (IAM policies then grant its use)
// plus the service statements a component adds, and an alias.
package kmskey

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/iampolicy"
)

// deletionWindowDays is the longest AWS allows (7–30): a key scheduled for
// deletion by mistake can be recovered for a month.
const deletionWindowDays = 30

// Args describe one key.
type Args struct {
	// Description says what the key encrypts (the KMS console shows it).
	Description string
	// Alias is the alias's name without "alias/" ("acme-prod-ecr").
	Alias string
	// Tags are the key's own tags (its Name); the provider adds the stack's.
	Tags pulumi.StringMap
	// Region and Account make the account root's ARN, the key's administrator.
	Region  string
	Account pulumi.StringInput
	// Grants are statements beyond the account's, for services that use the
	// key without an IAM role of the stack (CloudWatch Logs).
	Grants []iampolicy.Statement
	// Protect keeps the key from `pulumi destroy`: what it encrypted is
	// unreadable once it is gone.
	Protect bool
}

// New creates the key and its alias, both named name; opts (the parent)
// apply to both.
func New(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	if args.Description == "" || args.Alias == "" || args.Region == "" || args.Account == nil {
		return nil, errors.New("kms key " + name + ": Description, Alias, Region and Account are required")
	}
	statements := append([]iampolicy.Statement{{
		Sid:       "AccountAdministersKey",
		Principal: iampolicy.Principal{Type: "AWS", Identifiers: pulumi.StringArray{iampolicy.AccountRoot(args.Region, args.Account)}},
		Actions:   []string{"kms:*"},
		Resources: iampolicy.Strings("*"),
	}}, args.Grants...)
	key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:          pulumi.String(args.Description),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(deletionWindowDays),
		Policy:               iampolicy.Document(statements...),
		Tags:                 args.Tags,
	}, append(opts, pulumi.Protect(args.Protect))...)
	if err != nil {
		return nil, fmt.Errorf("create KMS key %s: %w", name, err)
	}
	if _, err := kms.NewAlias(ctx, name, &kms.AliasArgs{
		Name:        pulumi.String("alias/" + args.Alias),
		TargetKeyId: key.KeyId,
	}, opts...); err != nil {
		return nil, fmt.Errorf("alias KMS key %s: %w", name, err)
	}
	return key, nil
}
