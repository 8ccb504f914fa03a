package config_test

import (
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/databases/postgres"
	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
	"github.com/bpa-infra/bpa-infra/internal/config"
)

func TestPostgresSettingsDecodeFromTheirKeys(t *testing.T) {
	t.Parallel()
	cfg, err := parse(minimal())
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Postgres
	checks := map[string]bool{
		"engine 16 (current minor)":      p.EngineVersion == "16" && p.ParameterFamily() == "postgres16",
		"class db.m5d.2xlarge":           p.InstanceClass == "db.m5d.2xlarge",
		"io2 400 GiB 3000 IOPS":          p.Storage == postgres.Storage{Type: "io2", AllocatedGiB: 400, Iops: 3000, MaxAllocatedGiB: 1000},
		"Multi-AZ":                       p.MultiAz,
		"7 days of backups":              p.BackupRetentionDays == 7,
		"free Performance Insights":      p.PerformanceInsightsRetentionDays == 7,
		"enhanced monitoring every 60 s": p.MonitoringIntervalSeconds == 60,
		// RDS refuses admin as the PostgreSQL master; the chart still gets
		// the guide's admin, as a login of its own.
		"master bpa_master, chart root admin": p.MasterUsername == "bpa_master" && p.Root == postgres.AppDatabase{Role: "admin", Database: "admin", PasswordRotation: "initial"},
		"kong owns kong":                      p.Kong == postgres.AppDatabase{Role: "kong", Database: "kong", PasswordRotation: "initial"},
		"camunda owns process-engine":         p.Camunda == postgres.AppDatabase{Role: "camunda", Database: "process-engine", PasswordRotation: "initial"},
		"provider goes to the endpoint":       p.AdminEndpoint == postgres.Endpoint{},
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("want %s, got %+v", what, p)
		}
	}
}

func TestPostgresFamilyFollowsTheMajorVersion(t *testing.T) {
	t.Parallel()
	for version, family := range map[string]string{"16": "postgres16", "16.8": "postgres16", "17.2": "postgres17", "14": "postgres14"} {
		cfg := minimal()
		cfg["bpa:postgresEngineVersion"] = version
		c, err := parse(cfg)
		if err != nil {
			t.Fatalf("%s: %v", version, err)
		}
		if got := c.Postgres.ParameterFamily(); got != family {
			t.Errorf("version %s: family %s, want %s", version, got, family)
		}
	}
}

func TestSmallGp3WithoutProvisionedIopsIsValid(t *testing.T) {
	t.Parallel()
	cfg := minimal()
	cfg["bpa:postgresStorageType"] = "gp3"
	cfg["bpa:postgresAllocatedStorage"] = "20"
	cfg["bpa:postgresIops"] = "0"
	cfg["bpa:postgresMaxAllocatedStorage"] = "100"
	if _, err := parse(cfg); err != nil {
		t.Fatal(err)
	}
}

func TestEveryInvalidPostgresSettingIsReportedByKey(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		set  map[string]string
		key  string
		says string
	}{
		"version too old":             {map[string]string{"bpa:postgresEngineVersion": "13"}, "bpa:postgresEngineVersion", `"13"`},
		"version not a number":        {map[string]string{"bpa:postgresEngineVersion": "latest"}, "bpa:postgresEngineVersion", "major version"},
		"instance class malformed":    {map[string]string{"bpa:postgresInstanceClass": "m5d.2xlarge"}, "bpa:postgresInstanceClass", "instance class"},
		"storage type unknown":        {map[string]string{"bpa:postgresStorageType": "standard"}, "bpa:postgresStorageType", "gp3, io1 or io2"},
		"io2 too small":               {map[string]string{"bpa:postgresAllocatedStorage": "50", "bpa:postgresMaxAllocatedStorage": "0"}, "bpa:postgresAllocatedStorage", "io2 takes 100"},
		"io2 without iops":            {map[string]string{"bpa:postgresIops": "0"}, "bpa:postgresIops", "needs provisioned IOPS"},
		"io1 iops ratio":              {map[string]string{"bpa:postgresStorageType": "io1", "bpa:postgresAllocatedStorage": "100", "bpa:postgresIops": "6000"}, "bpa:postgresIops", "50 IOPS per GiB"},
		"gp3 small with iops":         {map[string]string{"bpa:postgresStorageType": "gp3", "bpa:postgresAllocatedStorage": "100"}, "bpa:postgresIops", "fixed 3000-IOPS baseline"},
		"autoscaling below allocated": {map[string]string{"bpa:postgresMaxAllocatedStorage": "400"}, "bpa:postgresMaxAllocatedStorage", "more than postgresAllocatedStorage"},
		"storage not integer":         {map[string]string{"bpa:postgresAllocatedStorage": "400GiB"}, "bpa:postgresAllocatedStorage", "not an integer"},
		"multi-az not boolean":        {map[string]string{"bpa:postgresMultiAz": "yes"}, "bpa:postgresMultiAz", "not a boolean"},
		"no backups":                  {map[string]string{"bpa:postgresBackupRetentionDays": "0"}, "bpa:postgresBackupRetentionDays", "1 to 35"},
		"backup window malformed":     {map[string]string{"bpa:postgresBackupWindow": "9-10"}, "bpa:postgresBackupWindow", "hh24:mi"},
		"maintenance malformed":       {map[string]string{"bpa:postgresMaintenanceWindow": "sunday"}, "bpa:postgresMaintenanceWindow", "ddd:hh24:mi"},
		"windows overlap":             {map[string]string{"bpa:postgresBackupWindow": "09:00-10:00", "bpa:postgresMaintenanceWindow": "tue:09:30-tue:10:30"}, "bpa:postgresMaintenanceWindow", "overlaps"},
		"windows overlap past midnight": {map[string]string{"bpa:postgresBackupWindow": "23:30-00:30", "bpa:postgresMaintenanceWindow": "mon:00:00-mon:01:00"},
			"bpa:postgresMaintenanceWindow", "overlaps"},
		"pi retention":         {map[string]string{"bpa:postgresPerformanceInsightsRetentionDays": "30"}, "bpa:postgresPerformanceInsightsRetentionDays", "multiple of 31"},
		"monitoring interval":  {map[string]string{"bpa:postgresMonitoringInterval": "45"}, "bpa:postgresMonitoringInterval", "one of"},
		"log retention":        {map[string]string{"bpa:postgresLogRetentionDays": "10"}, "bpa:postgresLogRetentionDays", "retention period"},
		"slow statement":       {map[string]string{"bpa:postgresSlowStatementMs": "-5"}, "bpa:postgresSlowStatementMs", "-1 (off)"},
		"master user reserved": {map[string]string{"bpa:postgresMasterUsername": "rdsadmin"}, "bpa:postgresMasterUsername", "reserves"},
		"master user admin":    {map[string]string{"bpa:postgresMasterUsername": "admin"}, "bpa:postgresMasterUsername", "reserves"},
		"master user 17 chars": {map[string]string{"bpa:postgresMasterUsername": "a234567890123456z"}, "bpa:postgresMasterUsername", "1 to 16"},
		"master user symbols":  {map[string]string{"bpa:postgresMasterUsername": "ad-min"}, "bpa:postgresMasterUsername", `"ad-min"`},
		"master user digit":    {map[string]string{"bpa:postgresMasterUsername": "1admin"}, "bpa:postgresMasterUsername", "starting with a letter"},
		"root db postgres":     {map[string]string{"bpa:postgresRootDatabase": "postgres"}, "bpa:postgresRootDatabase", "connects to"},
		"kong user capitals":   {map[string]string{"bpa:postgresKongUser": "Kong"}, "bpa:postgresKongUser", `"Kong"`},
		"kong user pg_":        {map[string]string{"bpa:postgresKongUser": "pg_kong"}, "bpa:postgresKongUser", "reserved"},
		"camunda db public":    {map[string]string{"bpa:postgresCamundaDatabase": "public"}, "bpa:postgresCamundaDatabase", "reserved"},
		"shared role":          {map[string]string{"bpa:postgresCamundaUser": "kong"}, "bpa:postgresCamundaUser", "own role"},
		"shared database":      {map[string]string{"bpa:postgresCamundaDatabase": "kong"}, "bpa:postgresCamundaDatabase", "own database"},
		"app db is root db":    {map[string]string{"bpa:postgresKongDatabase": "admin"}, "bpa:postgresKongDatabase", "postgresRootDatabase"},
		"app uses master":      {map[string]string{"bpa:postgresKongUser": "bpa_master"}, "bpa:postgresKongUser", "master user"},
		"app uses root":        {map[string]string{"bpa:postgresCamundaUser": "admin"}, "bpa:postgresCamundaUser", "postgresRootUser"},
	}
	keyCases := map[string]keyErrorCase{}
	for name, tc := range cases {
		keyCases[name] = keyErrorCase{set(tc.set), tc.key, tc.says}
	}
	expectKeyErrors(t, keyCases)
}

func TestBackupWindowNextToMaintenanceIsAccepted(t *testing.T) {
	t.Parallel()
	cfg := minimal()
	cfg["bpa:postgresBackupWindow"] = "09:00-10:00"
	cfg["bpa:postgresMaintenanceWindow"] = "sun:10:00-sun:11:00"
	if _, err := parse(cfg); err != nil {
		t.Fatal(err)
	}
}

// RDS allows postgres as the master user name; PostgreSQL's own role of
// that name is what RDS creates for it.
func TestPostgresMasterUserPostgresIsAccepted(t *testing.T) {
	t.Parallel()
	cfg := minimal()
	cfg["bpa:postgresMasterUsername"] = "postgres"
	if _, err := parse(cfg); err != nil {
		t.Fatal(err)
	}
}

// The program's own connection through a port forward comes from the
// environment of the machine running Pulumi, never from a committed file.
func TestPostgresAdminEndpointComesFromTheEnvironment(t *testing.T) {
	t.Parallel()
	env := func(v string) config.Lookup {
		return func(k string) (string, bool) { return v, k == config.AdminEndpointVariable }
	}
	opts := minimal()
	lookup := withDefaults(opts, fixtureValues)
	noSecrets := func(k string) bool { _, set := opts[k]; return set }
	c, err := config.ParseWithEnv("dev", lookup, noSecrets, env("localhost:15432"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Postgres.AdminEndpoint != (postgres.Endpoint{Host: "localhost", Port: 15432}) {
		t.Errorf("endpoint %+v", c.Postgres.AdminEndpoint)
	}
	_, err = config.ParseWithEnv("dev", lookup, noSecrets, env("localhost"))
	if err == nil || !strings.Contains(err.Error(), "$"+config.AdminEndpointVariable+`: "localhost" must be host:port`) {
		t.Errorf("got %v", err)
	}
}

// Every generated password has a rotation label, "initial" until the stack
// names another; each credential's label is its own.
func TestEachGeneratedPasswordTakesItsOwnRotationLabel(t *testing.T) {
	t.Parallel()
	cfg := minimal()
	cfg["bpa:credentialsRotation"] = `{"postgresKong":"2027-06","mongoUser":"2027-01.b"}`
	c, err := parse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{
		"root": c.Postgres.Root.PasswordRotation, "kong": c.Postgres.Kong.PasswordRotation,
		"camunda": c.Postgres.Camunda.PasswordRotation, "mongo": c.Mongo.PasswordRotation,
	}
	want := map[string]string{"root": config.DefaultPasswordRotation, "kong": "2027-06", "camunda": config.DefaultPasswordRotation, "mongo": "2027-01.b"}
	// The fake cloud keeps a password never rotated at the value tests know.
	if config.DefaultPasswordRotation != cloudfake.InitialRotation {
		t.Errorf("default rotation %q, the fake cloud's first %q", config.DefaultPasswordRotation, cloudfake.InitialRotation)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s rotation %q, want %q", k, got[k], w)
		}
	}
}

func TestInvalidRotationLabelsAreReportedByKey(t *testing.T) {
	t.Parallel()
	expectKeyErrors(t, map[string]keyErrorCase{
		"unknown credential": {set(map[string]string{"bpa:credentialsRotation": `{"postgresAdmin":"2027-06"}`}), "bpa:credentialsRotation", "unknown field"},
		"space in a label":   {set(map[string]string{"bpa:credentialsRotation": `{"postgresKong":"june 2027"}`}), "bpa:credentialsRotation", "postgresKong label"},
		"not an object":      {set(map[string]string{"bpa:credentialsRotation": `"2027-06"`}), "bpa:credentialsRotation", "not a valid object"},
	})
}
