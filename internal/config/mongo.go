package config

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/databases/mongo"
)

// MongoConfig is the MongoDB Atlas section of the stack configuration.
type MongoConfig struct {
	mongo.Settings
	// APIKeysInConfig says the Atlas API keys are encrypted stack config
	// (bpa:atlasPublicKey, bpa:atlasPrivateKey); otherwise the Atlas provider
	// reads MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY itself.
	APIKeysInConfig bool
}

const (
	mongoPublicKeyKey  = "atlasPublicKey"
	mongoPrivateKeyKey = "atlasPrivateKey"
)

var (
	// Atlas ids (organizations, projects) are 24-hex-digit ObjectIds.
	mongoObjectIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)
	// "8.0", or "8" when YAML reads an unquoted 8.0 as a number.
	mongoVersionPattern = regexp.MustCompile(`^([0-9]+)(\.0)?$`)
	// MongoDB database names: no /\. "$ space, at most 64 bytes.
	mongoDatabasePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,63}$`)
	mongoRoleArnPattern  = regexp.MustCompile(`^arn:aws(-us-gov|-cn)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
)

// mongoAWSTiers are the dedicated tiers Atlas offers on AWS: the enum of
// AWSProviderSettings.instanceSizeName in the Atlas Administration API, plus
// M400 and M700 from the current cluster-tier table. The shared tiers (M0,
// M2, M5, Flex) cannot use PrivateLink, and names such as M35 do not exist.
var mongoAWSTiers = []string{
	"M10", "M20", "M30", "M40", "M50", "M60", "M80", "M100", "M140", "M200", "M300", "M400", "M700",
	"R40", "R50", "R60", "R80", "R200", "R300", "R400", "R700",
	"M40_NVME", "M50_NVME", "M60_NVME", "M80_NVME", "M200_NVME", "M400_NVME",
}

// mongoMinimumVersion is the oldest major version Atlas still supports for
// new clusters (5.0 from the guide and 6.0 have reached end of life).
const mongoMinimumVersion = 7

func readMongo(r *reader, cfg *Config) MongoConfig {
	m := MongoConfig{Settings: mongo.Settings{
		OrgID:                 r.optionalString("atlasOrgId"),
		ProjectID:             r.optionalString("atlasProjectId"),
		InstanceSize:          r.string("atlasInstanceSize"),
		Version:               r.string("mongoVersion"),
		Databases:             r.strings("atlasDatabases", false),
		Backup:                r.bool("atlasBackup"),
		EndpointAssumeRoleArn: r.optionalString("atlasEndpointAssumeRoleArn"),
		// bpa:credentialsRotation is one key for every generated password,
		// decoded with the PostgreSQL section.
		PasswordRotation: cfg.Postgres.rotation.MongoUser,
	}}
	public := r.secret(mongoPublicKeyKey, r.isSecret, false)
	private := r.secret(mongoPrivateKeyKey, r.isSecret, false)
	m.APIKeysInConfig = public && private
	if public != private {
		missing := mongoPrivateKeyKey
		if !public {
			missing = mongoPublicKeyKey
		}
		r.fail(missing, "must be set together with the other Atlas API key (or neither, to use MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY)")
	}

	switch {
	case m.OrgID == "" && m.ProjectID == "":
		r.fail("atlasOrgId", "is required unless atlasProjectId names an existing Atlas project")
	case m.OrgID != "" && m.ProjectID != "":
		r.fail("atlasProjectId", "%q and atlasOrgId %q are both set; set atlasOrgId to create a project or atlasProjectId to use one, not both", m.ProjectID, m.OrgID)
	}
	for key, id := range map[string]string{"atlasOrgId": m.OrgID, "atlasProjectId": m.ProjectID} {
		if id != "" && !mongoObjectIDPattern.MatchString(id) {
			r.fail(key, "%q is not an Atlas id (24 lower-case hexadecimal characters)", id)
		}
	}
	if !slices.Contains(mongoAWSTiers, m.InstanceSize) {
		r.fail("atlasInstanceSize", "%q is not a dedicated Atlas tier on AWS (PrivateLink needs one); use one of %s", m.InstanceSize, strings.Join(mongoAWSTiers, ", "))
	}
	if sm := mongoVersionPattern.FindStringSubmatch(m.Version); sm == nil {
		r.fail("mongoVersion", "%q is not a MongoDB major version such as 8.0", m.Version)
	} else if n, _ := strconv.Atoi(sm[1]); n < mongoMinimumVersion {
		r.fail("mongoVersion", "%q has reached end of life; use %d.0 or later", m.Version, mongoMinimumVersion)
	} else {
		m.Version = sm[1] + ".0"
	}
	if m.Databases != nil && len(m.Databases) == 0 {
		r.fail("atlasDatabases", "lists no database; the BPA user would have no role")
	}
	seen := map[string]bool{}
	for _, db := range m.Databases {
		switch {
		case !mongoDatabasePattern.MatchString(db):
			r.fail("atlasDatabases", "%q is not a valid database name (letters, digits, _ and -, at most 63 characters)", db)
		case db == "admin" || db == "local" || db == "config":
			r.fail("atlasDatabases", "%q is a system database; the BPA user must not write to it", db)
		case seen[db]:
			r.fail("atlasDatabases", "%q is listed twice", db)
		}
		seen[db] = true
	}
	if a := m.EndpointAssumeRoleArn; a != "" && !mongoRoleArnPattern.MatchString(a) {
		r.fail("atlasEndpointAssumeRoleArn", "%q is not an IAM role ARN such as arn:aws:iam::123456789012:role/atlas-endpoints", a)
	}
	return m
}

// APIKeys returns the Atlas API keys from encrypted stack config as
// secrets, or nil when they are not in config and the Atlas provider reads
// them from its environment instead.
func (m MongoConfig) APIKeys(ctx *pulumi.Context) (public, private pulumi.StringInput) {
	if !m.APIKeysInConfig {
		return nil, nil
	}
	secret := func(key string) pulumi.StringInput {
		// Present and encrypted: readMongo checked both.
		v, _ := ctx.GetConfig(Namespace + ":" + key)
		return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
	}
	return secret(mongoPublicKeyKey), secret(mongoPrivateKeyKey)
}
