package config_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/config"
)

func TestMongoSettingsDecodeFromTheirKeys(t *testing.T) {
	t.Parallel()
	cfg, err := parse(minimal())
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Mongo
	if m.InstanceSize != "M30" || m.Version != "8.0" || !m.Backup {
		t.Errorf("tier %q, version %q, backup %v; want M30, 8.0, true", m.InstanceSize, m.Version, m.Backup)
	}
	if !slices.Equal(m.Databases, []string{"bpa"}) {
		t.Errorf("databases %v, want [bpa]", m.Databases)
	}
	if m.APIKeysInConfig || m.EndpointAssumeRoleArn != "" || m.ProjectID != "" {
		t.Errorf("optional settings the fixture leaves off are on: %+v", m)
	}
}

func TestMongoExistingProjectReplacesTheOrganization(t *testing.T) {
	t.Parallel()
	c := minimal()
	c["bpa:atlasOrgId"] = ""
	c["bpa:atlasProjectId"] = "65a1b2c3d4e5f60718293a4b"
	cfg, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mongo.ProjectID != "65a1b2c3d4e5f60718293a4b" || cfg.Mongo.OrgID != "" {
		t.Errorf("project %q org %q", cfg.Mongo.ProjectID, cfg.Mongo.OrgID)
	}
}

func TestMongoAPIKeysInConfigMustBeEncryptedAndPaired(t *testing.T) {
	t.Parallel()
	c := minimal()
	c["bpa:atlasPublicKey"] = "abcdefgh"
	c["bpa:atlasPrivateKey"] = "00000000-0000-0000-0000-000000000000"
	cfg, err := parse(c, "bpa:atlasPublicKey", "bpa:atlasPrivateKey")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Mongo.APIKeysInConfig {
		t.Error("encrypted Atlas keys in config are not used")
	}
	_, err = parse(c, "bpa:atlasPrivateKey")
	if err == nil || !strings.Contains(err.Error(), "bpa:atlasPublicKey: must be stored encrypted") {
		t.Errorf("a plain-text Atlas public key was accepted: %v", err)
	}
	var all *config.Error
	if !errors.As(err, &all) {
		t.Fatalf("not a config error: %v", err)
	}
	for _, s := range all.Errs {
		if strings.Contains(s.Error(), "abcdefgh") {
			t.Errorf("error repeats the key's value: %v", s)
		}
	}
}

func TestInvalidMongoSettingsNameTheirKey(t *testing.T) {
	t.Parallel()
	expectKeyErrors(t, map[string]keyErrorCase{
		"no org and no project": {func(c map[string]string) { c["bpa:atlasOrgId"] = "" }, "bpa:atlasOrgId", "required unless atlasProjectId"},
		"org and project": {func(c map[string]string) { c["bpa:atlasProjectId"] = "65a1b2c3d4e5f60718293a4b" },
			"bpa:atlasProjectId", "not both"},
		"org id not hex":   {func(c map[string]string) { c["bpa:atlasOrgId"] = "my-org" }, "bpa:atlasOrgId", "24 lower-case hexadecimal"},
		"org id too short": {func(c map[string]string) { c["bpa:atlasOrgId"] = "0123456789abcdef" }, "bpa:atlasOrgId", "24 lower-case hexadecimal"},
		"project id upper-case": {func(c map[string]string) {
			delete(c, "bpa:atlasOrgId")
			c["bpa:atlasProjectId"] = "65A1B2C3D4E5F60718293A4B"
		}, "bpa:atlasProjectId", "not an Atlas id"},
		"shared tier":             {func(c map[string]string) { c["bpa:atlasInstanceSize"] = "M5" }, "bpa:atlasInstanceSize", "not a dedicated Atlas tier"},
		"flex tier":               {func(c map[string]string) { c["bpa:atlasInstanceSize"] = "FLEX" }, "bpa:atlasInstanceSize", "not a dedicated Atlas tier"},
		"tier too big":            {func(c map[string]string) { c["bpa:atlasInstanceSize"] = "M900" }, "bpa:atlasInstanceSize", "not a dedicated"},
		"tier atlas lacks":        {func(c map[string]string) { c["bpa:atlasInstanceSize"] = "M35" }, "bpa:atlasInstanceSize", "use one of M10, M20"},
		"low-cpu below R40":       {func(c map[string]string) { c["bpa:atlasInstanceSize"] = "R30" }, "bpa:atlasInstanceSize", "not a dedicated"},
		"tier lower-case":         {func(c map[string]string) { c["bpa:atlasInstanceSize"] = "m30" }, "bpa:atlasInstanceSize", "not a dedicated"},
		"guide's end-of-life 5.0": {func(c map[string]string) { c["bpa:mongoVersion"] = "5.0" }, "bpa:mongoVersion", "end of life"},
		"patch version":           {func(c map[string]string) { c["bpa:mongoVersion"] = "8.0.4" }, "bpa:mongoVersion", "major version"},
		"no database":             {func(c map[string]string) { c["bpa:atlasDatabases"] = `[]` }, "bpa:atlasDatabases", "no database"},
		"system database":         {func(c map[string]string) { c["bpa:atlasDatabases"] = `["bpa","admin"]` }, "bpa:atlasDatabases", "system database"},
		"database with a dot":     {func(c map[string]string) { c["bpa:atlasDatabases"] = `["bpa.x"]` }, "bpa:atlasDatabases", "not a valid database name"},
		"database twice":          {func(c map[string]string) { c["bpa:atlasDatabases"] = `["bpa","bpa"]` }, "bpa:atlasDatabases", "twice"},
		"databases not a list":    {func(c map[string]string) { c["bpa:atlasDatabases"] = "bpa" }, "bpa:atlasDatabases", "not a list"},
		"backup not a boolean":    {func(c map[string]string) { c["bpa:atlasBackup"] = "daily" }, "bpa:atlasBackup", "not a boolean"},
		"role arn is a user": {func(c map[string]string) { c["bpa:atlasEndpointAssumeRoleArn"] = "arn:aws:iam::123456789012:user/me" },
			"bpa:atlasEndpointAssumeRoleArn", "not an IAM role ARN"},
		"role arn short account": {func(c map[string]string) { c["bpa:atlasEndpointAssumeRoleArn"] = "arn:aws:iam::1234:role/x" },
			"bpa:atlasEndpointAssumeRoleArn", "not an IAM role ARN"},
		"only one api key": {func(c map[string]string) { c["bpa:atlasPublicKey"] = "abcdefgh" }, "bpa:atlasPrivateKey", "together"},
	}, "bpa:atlasPublicKey", "bpa:atlasPrivateKey")
}

// YAML reads an unquoted `mongoVersion: 8.0` as the number 8, which the
// config map then holds as "8"; Atlas wants "8.0".
func TestUnquotedMongoVersionMeansTheMajorVersion(t *testing.T) {
	t.Parallel()
	c := minimal()
	c["bpa:mongoVersion"] = "8"
	cfg, err := parse(c)
	if err != nil {
		t.Fatalf("unquoted 8.0 rejected: %v", err)
	}
	if cfg.Mongo.Version != "8.0" {
		t.Errorf("Version = %q, want 8.0", cfg.Mongo.Version)
	}
	c["bpa:mongoVersion"] = "6"
	if _, err := parse(c); err == nil || !strings.Contains(err.Error(), "end of life") {
		t.Errorf("unquoted 6.0: err = %v, want end of life", err)
	}
}

func TestValidMongoTiersAndRolesAreAccepted(t *testing.T) {
	t.Parallel()
	for _, change := range []map[string]string{
		{"bpa:atlasInstanceSize": "M10"},
		{"bpa:atlasInstanceSize": "M700"},
		{"bpa:atlasInstanceSize": "R40"},
		{"bpa:atlasInstanceSize": "M40_NVME"},
		{"bpa:mongoVersion": "7.0"},
		{"bpa:atlasEndpointAssumeRoleArn": "arn:aws:iam::210987654321:role/network/atlas-endpoints"},
		{"bpa:atlasDatabases": `["bpa","bpa-audit","bpa_metrics"]`},
	} {
		c := minimal()
		for k, v := range change {
			c[k] = v
		}
		if _, err := parse(c); err != nil {
			t.Errorf("%v rejected: %v", change, err)
		}
	}
}
