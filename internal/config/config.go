// Package config decodes a stack's configuration once into typed values,
// applies the defaults and validates everything before any resource exists.
//
// Every key lives in the project namespace ("bpa:") and is declared, with the
// same type and default, in Pulumi.yaml; a test holds the two together.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/internal/component"
	"github.com/bpa-infra/bpa-infra/network"
	"github.com/bpa-infra/bpa-infra/registry"
	"github.com/bpa-infra/bpa-infra/workload"
)

// Namespace is the project name and so the prefix of every key read here.
const Namespace = "bpa"

// Config is the whole typed configuration of one stack.
type Config struct {
	StackName string
	Region    string
	Tags      Tags
	// Protect marks stateful resources with Pulumi's protect option and turns
	// on the services' own deletion protection.
	Protect bool
	// Deployer is where `pulumi up` runs inside the VPC.
	Deployer component.Deployer

	Network  network.Settings
	Cluster  cluster.Settings
	Postgres PostgresConfig
	Mongo    MongoConfig
	Registry registry.Settings
	Workload workload.Settings
	Policy   PolicyConfig

	// secrets are the plain texts of the values the stack stores
	// encrypted (SecretTransform).
	secrets []string
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

// Stack is what every AWS component is told about the stack, with the
// account id the program looks up.
func (c *Config) Stack(account pulumi.StringOutput) component.Stack {
	return component.Stack{NamePrefix: c.NamePrefix(), Region: c.Region, Account: account, Protect: c.Protect, Tags: c.Tags.Map()}
}

// Source is where a stack's configuration comes from.
type Source struct {
	// Lookup returns a fully qualified key's raw value.
	Lookup Lookup
	// IsSecret reports whether the stack stores a key encrypted.
	IsSecret func(string) bool
	// Keys are every key the stack sets, project defaults included, so
	// that an undeclared (misspelt) one is refused; nil skips that check.
	Keys []string
	// Env reads the environment of the machine running Pulumi.
	Env Lookup
}

// keysContextKey carries a run's config keys in the Pulumi context, for
// runs that do not get them from the language host's environment.
type keysContextKey struct{}

// WithKeys returns a context whose Load checks for undeclared keys among
// keys: the harness and the engine tests run the program in-process.
func WithKeys(ctx *pulumi.Context, keys []string) *pulumi.Context {
	return ctx.WithValue(keysContextKey{}, keys)
}

// Load reads the stack's configuration from the Pulumi context. The keys
// the stack sets come from the context (WithKeys) or, under `pulumi up`,
// from the Go language host's PULUMI_CONFIG.
func Load(ctx *pulumi.Context) (*Config, error) {
	keys, _ := ctx.Value(keysContextKey{}).([]string)
	if keys == nil {
		var all map[string]string
		if err := json.Unmarshal([]byte(os.Getenv(pulumi.EnvConfig)), &all); err == nil {
			keys = slices.Sorted(maps.Keys(all))
		}
	}
	return ParseSource(ctx.Stack(), Source{Lookup: ctx.GetConfig, IsSecret: ctx.IsConfigSecret, Keys: keys, Env: os.LookupEnv})
}

// Parse decodes and validates configuration from any lookup, with this
// process's environment; all problems are returned together as one error
// whose lines each name a key.
func Parse(stack string, lookup Lookup, isSecret func(string) bool) (*Config, error) {
	return ParseSource(stack, Source{Lookup: lookup, IsSecret: isSecret, Env: os.LookupEnv})
}

// ParseWithEnv is Parse with the environment given, for tests.
func ParseWithEnv(stack string, lookup Lookup, isSecret func(string) bool, env Lookup) (*Config, error) {
	return ParseSource(stack, Source{Lookup: lookup, IsSecret: isSecret, Env: env})
}

// ParseSource decodes and validates a stack's configuration.
func ParseSource(stack string, src Source) (*Config, error) {
	if src.Env == nil {
		src.Env = func(string) (string, bool) { return "", false }
	}
	cfg, r := decode(stack, src.Lookup, src.IsSecret, src.Env)
	r.checkDeclared(src.Keys)
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
	cfg := &Config{StackName: stack}

	cfg.Region = r.requireString("region")
	cfg.Tags = Tags{
		Customer:    r.requireString("customer"),
		Environment: r.requireString("environment"),
		Owner:       r.requireString("owner"),
	}
	r.object("extraTags", &cfg.Tags.Extra)
	cfg.Protect = r.bool("protect")
	cfg.Deployer = component.Deployer{
		Cidrs:           r.strings("deployerCidrs", false),
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
	cfg.Postgres = readPostgres(r)
	cfg.Mongo = readMongo(r, cfg)
	cfg.Registry = readRegistry(r)
	cfg.Workload = readWorkload(r, isSecret)
	cfg.Policy = readPolicy(r)
	cfg.secrets = r.secretTexts()
	return cfg, r
}

// Regions are the AWS regions of the pinned pulumi-aws SDK's Region enum,
// the maintained list this program was built with.
var Regions = []aws.Region{
	aws.RegionAFSouth1, aws.RegionAPEast1, aws.RegionAPNortheast1, aws.RegionAPNortheast2, aws.RegionAPNortheast3,
	aws.RegionAPSouth1, aws.RegionAPSouth2, aws.RegionAPSoutheast1, aws.RegionAPSoutheast2, aws.RegionAPSoutheast3,
	aws.RegionAPSoutheast4, aws.RegionAPSoutheast5, aws.RegionAPSoutheast7, aws.RegionCACentral, aws.RegionCAWest1,
	aws.RegionEUCentral1, aws.RegionEUCentral2, aws.RegionEUNorth1, aws.RegionEUSouth1, aws.RegionEUSouth2,
	aws.RegionEUWest1, aws.RegionEUWest2, aws.RegionEUWest3, aws.RegionILCentral1, aws.RegionMECentral1,
	aws.RegionMESouth1, aws.RegionMXCentral1, aws.RegionSAEast1, aws.RegionUSEast1, aws.RegionUSEast2,
	aws.RegionUSWest1, aws.RegionUSWest2, aws.RegionCNNorth1, aws.RegionCNNorthwest1, aws.RegionUSGovEast1,
	aws.RegionUSGovWest1,
}

// awsSDKVersion names the Region enum's source in messages.
const awsSDKVersion = "sdk v6.83.4"

var (
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
	if cfg.Region != "" && !slices.Contains(Regions, aws.Region(cfg.Region)) {
		r.fail("region", "%q is not an AWS region (pulumi-aws %s knows %d, e.g. us-west-2)", cfg.Region, awsSDKVersion, len(Regions))
	}
	validateZones(r, cfg.Region, cfg.Network.AvailabilityZones)
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
		// Zone letters are mapped per account and some accounts lack some
		// letters: beyond its form, a zone is for EC2 to accept.
		if region != "" && !regexp.MustCompile("^"+regexp.QuoteMeta(region)+"[a-f]$").MatchString(z) {
			r.fail("availabilityZones", "%q is not a zone of region %q (%sa to %sf)", z, region, region, region)
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
