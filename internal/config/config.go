// Package config decodes a stack's configuration once into typed values,
// applies the defaults and validates everything before any resource exists.
//
// Every key lives in the project namespace ("bpa:") and is declared, with the
// same type and default, in Pulumi.yaml; a test holds the two together.
package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Namespace is the project name and so the prefix of every key read here.
const Namespace = "bpa"

// Config is the whole typed configuration of one stack.
type Config struct {
	Stack             string
	Region            string
	AvailabilityZones []string
	Tags              Tags
	// Protect marks stateful resources with Pulumi's protect option and turns
	// on the services' own deletion protection.
	Protect bool
	// Deployer is where `pulumi up` runs inside the VPC.
	Deployer Deployer

	Network  NetworkConfig
	Cluster  ClusterConfig
	Postgres PostgresConfig
	Mongo    MongoConfig
	Registry RegistryConfig
	Workload WorkloadConfig
	Policy   PolicyConfig
}

// Deployer is the machine that runs `pulumi up` for the stack (a CI runner
// in the VPC or one peered with it): the private EKS API and RDS admit it
// as they admit the bastion.
type Deployer struct {
	// Cidrs are its source ranges.
	Cidrs []string
	// SecurityGroupId is its security group in the stack's VPC, if it has one.
	SecurityGroupId string
}

// Tags are the stack-wide tags every taggable AWS resource carries.
type Tags struct {
	Customer    string
	Environment string
	Owner       string
	Extra       map[string]string
}

// Map returns the tags as the AWS provider's default tags take them.
func (t Tags) Map() map[string]string {
	m := make(map[string]string, len(t.Extra)+4)
	for k, v := range t.Extra {
		m[k] = v
	}
	m["customer"] = t.Customer
	m["environment"] = t.Environment
	m["owner"] = t.Owner
	m["managed-by"] = "pulumi"
	return m
}

// NamePrefix is the stem of physical names, e.g. "acme-prod".
func (c *Config) NamePrefix() string { return c.Tags.Customer + "-" + c.Tags.Environment }

// Load reads the stack's configuration from the Pulumi context.
func Load(ctx *pulumi.Context) (*Config, error) {
	return Parse(ctx.Stack(), ctx.GetConfig, ctx.IsConfigSecret)
}

// Parse decodes and validates configuration from any lookup, with this
// process's environment; all problems are returned together as one error
// whose lines each name a key.
func Parse(stack string, lookup Lookup, isSecret func(string) bool) (*Config, error) {
	return ParseWithEnv(stack, lookup, isSecret, os.LookupEnv)
}

// ParseWithEnv is Parse with the environment given, for tests.
func ParseWithEnv(stack string, lookup Lookup, isSecret func(string) bool, env Lookup) (*Config, error) {
	cfg, r := decode(stack, lookup, isSecret, env)
	if len(r.errs) > 0 {
		return nil, joinSorted(r.errs)
	}
	return cfg, nil
}

// Keys lists every key the program reads, with its kind and default.
func Keys() []KeySpec {
	none := func(string) (string, bool) { return "", false }
	_, r := decode("keys", none, func(string) bool { return false }, none)
	return r.specs
}

func decode(stack string, lookup Lookup, isSecret func(string) bool, env Lookup) (*Config, *reader) {
	r := &reader{namespace: Namespace, lookup: lookup, isSecret: isSecret, env: env}
	cfg := &Config{Stack: stack}

	cfg.Region = r.requireString("region")
	cfg.AvailabilityZones = r.strings("availabilityZones", nil, true)
	cfg.Tags = Tags{
		Customer:    r.requireString("customer"),
		Environment: r.requireString("environment"),
		Owner:       r.requireString("owner"),
	}
	r.object("extraTags", &cfg.Tags.Extra)
	cfg.Protect = r.bool("protect", true)
	cfg.Deployer = Deployer{
		Cidrs:           r.strings("deployerCidrs", []string{}, false),
		SecurityGroupId: r.optionalString("deployerSecurityGroupId"),
	}
	validateCidrs(r, "deployerCidrs", cfg.Deployer.Cidrs, false)
	if id := cfg.Deployer.SecurityGroupId; id != "" && !securityGroupIDPattern.MatchString(id) {
		r.fail("deployerSecurityGroupId", "%q is not a security group id such as sg-0123456789abcdef0", id)
	}
	cfg.Network = readNetwork(r)
	validateCommon(r, cfg)
	validateNetwork(r, cfg)

	// Each section reads and validates its own keys (one file per section).
	cfg.Cluster = readCluster(r, cfg)
	cfg.Postgres = readPostgres(r, cfg)
	cfg.Mongo = readMongo(r, cfg)
	cfg.Registry = readRegistry(r, cfg)
	cfg.Workload = readWorkload(r, cfg, isSecret)
	cfg.Policy = readPolicy(r)
	return cfg, r
}

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-[0-9]$`)
	// Lower-case letters, digits and single hyphens: the strictest AWS names
	// (RDS identifiers, load balancers) accept this.
	namePattern            = regexp.MustCompile(`^[a-z]([a-z0-9]|-[a-z0-9])*$`)
	tagValuePattern        = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	securityGroupIDPattern = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// Physical names are built as "<customer>-<environment>-<suffix>"; the longest
// suffix must still fit a 32-character load balancer or target group name.
const maxNamePrefix = 24

func validateCommon(r *reader, cfg *Config) {
	if cfg.Region != "" && !regionPattern.MatchString(cfg.Region) {
		r.fail("region", "%q is not an AWS region name such as us-west-2", cfg.Region)
	}
	validateZones(r, cfg.Region, cfg.AvailabilityZones)
	for key, v := range map[string]string{"customer": cfg.Tags.Customer, "environment": cfg.Tags.Environment} {
		if v != "" && !namePattern.MatchString(v) {
			r.fail(key, "%q must be lower-case letters, digits and single hyphens, starting with a letter", v)
		}
	}
	if n := len(cfg.NamePrefix()); cfg.Tags.Customer != "" && cfg.Tags.Environment != "" && n > maxNamePrefix {
		r.fail("customer", "%q with environment %q makes the name prefix %q of %d characters; at most %d fit AWS name limits",
			cfg.Tags.Customer, cfg.Tags.Environment, cfg.NamePrefix(), n, maxNamePrefix)
	}
	if cfg.Tags.Owner != "" && (!tagValuePattern.MatchString(cfg.Tags.Owner) || len(cfg.Tags.Owner) > 256) {
		r.fail("owner", "%q is not a valid AWS tag value", cfg.Tags.Owner)
	}
	for k, v := range cfg.Tags.Extra {
		switch {
		case k == "customer" || k == "environment" || k == "owner" || k == "managed-by":
			r.fail("extraTags", "%q is set from its own key; remove it from extraTags", k)
		case k == "" || len(k) > 128 || !tagValuePattern.MatchString(k) || len(k) >= 4 && k[:4] == "aws:":
			r.fail("extraTags", "%q is not a valid AWS tag key", k)
		case len(v) > 256 || !tagValuePattern.MatchString(v):
			r.fail("extraTags", "value %q of tag %q is not a valid AWS tag value", v, k)
		}
	}
}

func validateZones(r *reader, region string, zones []string) {
	if zones == nil {
		return
	}
	if len(zones) != 3 {
		r.fail("availabilityZones", "%q lists %d zones; BPA needs exactly three", zones, len(zones))
	}
	seen := map[string]bool{}
	for _, z := range zones {
		if seen[z] {
			r.fail("availabilityZones", "%q is listed twice; the zones must be distinct", z)
		}
		seen[z] = true
		if region != "" && !regexp.MustCompile("^"+regexp.QuoteMeta(region)+"[a-z]$").MatchString(z) {
			r.fail("availabilityZones", "%q is not a zone of region %q", z, region)
		}
	}
}

func joinSorted(errs []error) error {
	sort.SliceStable(errs, func(i, j int) bool {
		var a, b *KeyError
		if errors.As(errs[i], &a) && errors.As(errs[j], &b) {
			return a.Key < b.Key
		}
		return false
	})
	return &Error{Errs: errs}
}

// Error is every problem of one stack's configuration.
type Error struct{ Errs []error }

func (e *Error) Error() string {
	msg := fmt.Sprintf("invalid stack configuration (%d problems):", len(e.Errs))
	for _, err := range e.Errs {
		msg += "\n  - " + err.Error()
	}
	return msg
}

func (e *Error) Unwrap() []error { return e.Errs }
