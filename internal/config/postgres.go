package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bpa-infra/bpa-infra/databases/postgres"
)

// PostgresConfig is the RDS for PostgreSQL instance and the application
// roles and databases on it.
type PostgresConfig struct {
	postgres.Settings

	// AdminEndpoint overrides where the program's postgresql provider
	// connects ("localhost:15432" through a port forward on the bastion);
	// empty means the RDS endpoint (runs inside the VPC). It comes from the
	// environment (AdminEndpointVariable), never from a committed file.
	AdminEndpoint postgres.Endpoint

	// rotation is all of bpa:credentialsRotation, decoded here (the
	// PostgreSQL section is read before MongoDB's, which takes its label
	// from it: readMongo).
	rotation CredentialsRotation
}

// AdminEndpointVariable is the environment variable naming a port forward
// ("localhost:15432") for the program's own connection to RDS.
const AdminEndpointVariable = "BPA_POSTGRES_ADMIN_ENDPOINT"

// CredentialsRotation is bpa:credentialsRotation: one rotation label per
// password the program generates. Each label is a keeper of its
// RandomPassword, so changing a label (to the month of the rotation, say
// "2027-06") makes a new password in one pulumi up, which then reaches the
// login, its Secrets Manager secret, the Kubernetes secret and the chart's
// values; changing it back to an earlier label makes yet another one. An
// omitted credential keeps DefaultPasswordRotation.
type CredentialsRotation struct {
	PostgresRoot    string `json:"postgresRoot"`
	PostgresKong    string `json:"postgresKong"`
	PostgresCamunda string `json:"postgresCamunda"`
	MongoUser       string `json:"mongoUser"`
}

// DefaultPasswordRotation is the label of a credential never rotated.
const DefaultPasswordRotation = "initial"

// A label goes into the RandomPassword's keepers and the plan: short, no
// spaces, nothing secret.
var rotationLabelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func readCredentialsRotation(r *reader) CredentialsRotation {
	const key = "credentialsRotation"
	var c CredentialsRotation
	r.object(key, &c)
	for _, label := range []struct {
		name string
		v    *string
	}{{"postgresRoot", &c.PostgresRoot}, {"postgresKong", &c.PostgresKong}, {"postgresCamunda", &c.PostgresCamunda}, {"mongoUser", &c.MongoUser}} {
		switch {
		case *label.v == "":
			*label.v = DefaultPasswordRotation
		case !rotationLabelPattern.MatchString(*label.v):
			r.fail(key, "%s label %q must be 1-64 letters, digits, dots, underscores or hyphens, such as 2027-06", label.name, *label.v)
		}
	}
	return c
}

var (
	postgresVersionPattern = regexp.MustCompile(`^(1[4-9])(\.[0-9]{1,2})?$`)
	// Lower-case unquoted-safe identifiers; the guide's "process-engine"
	// needs the hyphen, which the provider quotes.
	postgresIdentPattern = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,62}$`)
	// CreateDBInstance's MasterUsername for PostgreSQL: 1-16 letters,
	// digits or underscores, starting with a letter.
	postgresMasterUserPattern   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,15}$`)
	postgresInstanceClassRegexp = regexp.MustCompile(`^db\.[a-z0-9-]+\.[a-z0-9]+$`)
	postgresBackupWindowPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$`)
	postgresMaintenancePattern  = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$`)
	postgresHostPattern         = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)
	postgresMonitoringIntervals = []int{0, 1, 5, 10, 15, 30, 60}
	// Names PostgreSQL or RDS keep for themselves, for any role.
	postgresReservedRoles = []string{"public", "rdsadmin", "rds_superuser", "rdsrepladmin", "rds_replication", "rds_password", "none", "current_user", "session_user"}
	// Names RDS refuses as the PostgreSQL master user though PostgreSQL
	// allows them ("MasterUsername admin cannot be used as it is a reserved
	// word used by the engine"); postgres itself is allowed.
	postgresReservedMasterUsers = []string{"admin"}
)

func readPostgres(r *reader) PostgresConfig {
	p := PostgresConfig{Settings: postgres.Settings{
		EngineVersion: r.string("postgresEngineVersion"),
		InstanceClass: r.string("postgresInstanceClass"),
		Storage: postgres.Storage{
			Type:            r.string("postgresStorageType"),
			AllocatedGiB:    r.int("postgresAllocatedStorage"),
			Iops:            r.int("postgresIops"),
			MaxAllocatedGiB: r.int("postgresMaxAllocatedStorage"),
		},
		MultiAz:                          r.bool("postgresMultiAz"),
		BackupRetentionDays:              r.int("postgresBackupRetentionDays"),
		BackupWindow:                     r.string("postgresBackupWindow"),
		MaintenanceWindow:                r.string("postgresMaintenanceWindow"),
		PerformanceInsightsRetentionDays: r.int("postgresPerformanceInsightsRetentionDays"),
		MonitoringIntervalSeconds:        r.int("postgresMonitoringInterval"),
		LogRetentionDays:                 r.int("postgresLogRetentionDays"),
		SlowStatementMs:                  r.int("postgresSlowStatementMs"),
		MasterUsername:                   r.string("postgresMasterUsername"),
		Root: postgres.AppDatabase{
			Role:     r.string("postgresRootUser"),
			Database: r.string("postgresRootDatabase"),
		},
		Kong: postgres.AppDatabase{
			Role:     r.string("postgresKongUser"),
			Database: r.string("postgresKongDatabase"),
		},
		Camunda: postgres.AppDatabase{
			Role:     r.string("postgresCamundaUser"),
			Database: r.string("postgresCamundaDatabase"),
		},
	}}
	p.rotation = readCredentialsRotation(r)
	p.Root.PasswordRotation = p.rotation.PostgresRoot
	p.Kong.PasswordRotation = p.rotation.PostgresKong
	p.Camunda.PasswordRotation = p.rotation.PostgresCamunda
	validatePostgres(r, p)
	p.AdminEndpoint = readAdminEndpoint(r)
	return p
}

// readAdminEndpoint reads the port forward a laptop run connects through.
func readAdminEndpoint(r *reader) postgres.Endpoint {
	v, ok := r.env(AdminEndpointVariable)
	if !ok || strings.TrimSpace(v) == "" {
		return postgres.Endpoint{}
	}
	host, portText, found := strings.Cut(strings.TrimSpace(v), ":")
	port, err := strconv.Atoi(portText)
	if !found || err != nil || port < 1 || port > 65535 || !postgresHostPattern.MatchString(host) {
		r.errs = append(r.errs, &KeyError{Key: "$" + AdminEndpointVariable, Msg: fmt.Sprintf("%q must be host:port, such as localhost:15432", v)})
		return postgres.Endpoint{}
	}
	return postgres.Endpoint{Host: host, Port: port}
}

func validatePostgres(r *reader, p PostgresConfig) {
	if !postgresVersionPattern.MatchString(p.EngineVersion) {
		r.fail("postgresEngineVersion", "%q must be a PostgreSQL major version RDS supports (14 or later), optionally with a minor: 16 or 16.8", p.EngineVersion)
	}
	if !postgresInstanceClassRegexp.MatchString(p.InstanceClass) {
		r.fail("postgresInstanceClass", "%q is not an RDS instance class such as db.m5d.2xlarge", p.InstanceClass)
	}
	validatePostgresStorage(r, p.Storage)
	if p.BackupRetentionDays < 1 || p.BackupRetentionDays > 35 {
		r.fail("postgresBackupRetentionDays", "%d must be 1 to 35: automated backups are what point-in-time recovery restores from", p.BackupRetentionDays)
	}
	if !postgresBackupWindowPattern.MatchString(p.BackupWindow) {
		r.fail("postgresBackupWindow", "%q must be a UTC range hh24:mi-hh24:mi such as 09:00-10:00", p.BackupWindow)
	}
	if !postgresMaintenancePattern.MatchString(p.MaintenanceWindow) {
		r.fail("postgresMaintenanceWindow", "%q must be a UTC range ddd:hh24:mi-ddd:hh24:mi such as sun:10:30-sun:11:30", p.MaintenanceWindow)
	} else if postgresBackupWindowPattern.MatchString(p.BackupWindow) && postgresWindowsOverlap(p.BackupWindow, p.MaintenanceWindow) {
		r.fail("postgresMaintenanceWindow", "%q overlaps postgresBackupWindow %q; RDS refuses overlapping windows", p.MaintenanceWindow, p.BackupWindow)
	}
	if d := p.PerformanceInsightsRetentionDays; d != 7 && d != 731 && (d%31 != 0 || d < 31 || d > 713) {
		r.fail("postgresPerformanceInsightsRetentionDays", "%d must be 7, a multiple of 31 up to 713, or 731", d)
	}
	if !slices.Contains(postgresMonitoringIntervals, p.MonitoringIntervalSeconds) {
		r.fail("postgresMonitoringInterval", "%d must be one of %v seconds (0 turns enhanced monitoring off)", p.MonitoringIntervalSeconds, postgresMonitoringIntervals)
	}
	if !slices.Contains(logRetentionDays, p.LogRetentionDays) {
		r.fail("postgresLogRetentionDays", "%d is not a CloudWatch Logs retention period (one of %v)", p.LogRetentionDays, logRetentionDays)
	}
	if p.SlowStatementMs < -1 {
		r.fail("postgresSlowStatementMs", "%d must be -1 (off), 0 (every statement) or a positive number of milliseconds", p.SlowStatementMs)
	}

	if !postgresMasterUserPattern.MatchString(p.MasterUsername) || postgresReserved(p.MasterUsername) ||
		slices.Contains(postgresReservedMasterUsers, strings.ToLower(p.MasterUsername)) {
		r.fail("postgresMasterUsername", "%q must be 1 to 16 letters, digits and underscores starting with a letter, and not a name RDS reserves for the master user (admin, rds*)", p.MasterUsername)
	}
	names := map[string]string{
		"postgresRootUser":        p.Root.Role,
		"postgresRootDatabase":    p.Root.Database,
		"postgresKongUser":        p.Kong.Role,
		"postgresKongDatabase":    p.Kong.Database,
		"postgresCamundaUser":     p.Camunda.Role,
		"postgresCamundaDatabase": p.Camunda.Database,
	}
	for _, key := range slices.Sorted(maps.Keys(names)) {
		v := names[key]
		if !postgresIdentPattern.MatchString(v) || postgresReserved(v) || strings.HasPrefix(v, "pg_") {
			r.fail(key, "%q must be 1-63 lower-case letters, digits, underscores or hyphens, start with a letter or underscore, and not be reserved by PostgreSQL or RDS", v)
		}
	}
	// Each login and each database belongs to one user of the instance.
	roles := []struct{ key, name string }{
		{"postgresRootUser", p.Root.Role}, {"postgresKongUser", p.Kong.Role}, {"postgresCamundaUser", p.Camunda.Role},
	}
	dbs := []struct{ key, name string }{
		{"postgresRootDatabase", p.Root.Database}, {"postgresKongDatabase", p.Kong.Database}, {"postgresCamundaDatabase", p.Camunda.Database},
	}
	for i, role := range roles {
		if strings.EqualFold(role.name, p.MasterUsername) {
			r.fail(role.key, "%q is the master user; the chart and the applications must not share it", role.name)
		}
		for _, earlier := range roles[:i] {
			if role.name == earlier.name {
				r.fail(role.key, "%q is also %s; each needs its own role", role.name, earlier.key)
			}
		}
	}
	for i, db := range dbs {
		if db.name == "postgres" {
			r.fail(db.key, "%q is the database the program's provider connects to; pick another", db.name)
		}
		for _, earlier := range dbs[:i] {
			if db.name == earlier.name {
				r.fail(db.key, "%q is also %s; each needs its own database", db.name, earlier.key)
			}
		}
	}
}

// RDS storage limits for PostgreSQL (GiB and IOPS).
const (
	postgresMaxStorageGiB   = 65536
	postgresGp3IopsFromGiB  = 400 // below this gp3 has a fixed baseline
	postgresProvisionedMin  = 100 // io1/io2 minimum size
	postgresProvisionedIops = 1000
)

func validatePostgresStorage(r *reader, s postgres.Storage) {
	switch s.Type {
	case "gp3":
		if s.AllocatedGiB < 20 || s.AllocatedGiB > postgresMaxStorageGiB {
			r.fail("postgresAllocatedStorage", "%d GiB: gp3 takes 20 to %d GiB", s.AllocatedGiB, postgresMaxStorageGiB)
		}
		if s.Iops != 0 && s.AllocatedGiB < postgresGp3IopsFromGiB {
			r.fail("postgresIops", "%d: gp3 below %d GiB has a fixed 3000-IOPS baseline; set 0", s.Iops, postgresGp3IopsFromGiB)
		} else if s.Iops != 0 && (s.Iops < 12000 || s.Iops > 64000) {
			r.fail("postgresIops", "%d: gp3 from %d GiB takes 12000 to 64000 IOPS, or 0 for the baseline", s.Iops, postgresGp3IopsFromGiB)
		}
	case "io1", "io2":
		if s.AllocatedGiB < postgresProvisionedMin || s.AllocatedGiB > postgresMaxStorageGiB {
			r.fail("postgresAllocatedStorage", "%d GiB: %s takes %d to %d GiB", s.AllocatedGiB, s.Type, postgresProvisionedMin, postgresMaxStorageGiB)
		}
		ratio := map[string]int{"io1": 50, "io2": 1000}[s.Type]
		switch {
		case s.Iops < postgresProvisionedIops || s.Iops > 256000:
			r.fail("postgresIops", "%d: %s needs provisioned IOPS from %d to 256000", s.Iops, s.Type, postgresProvisionedIops)
		case s.AllocatedGiB > 0 && s.Iops > ratio*s.AllocatedGiB:
			r.fail("postgresIops", "%d is more than %d IOPS per GiB of %d GiB, the most %s allows", s.Iops, ratio, s.AllocatedGiB, s.Type)
		case s.Iops*2 < s.AllocatedGiB:
			r.fail("postgresIops", "%d is less than 0.5 IOPS per GiB of %d GiB, the least %s allows", s.Iops, s.AllocatedGiB, s.Type)
		}
	default:
		r.fail("postgresStorageType", "%q must be gp3, io1 or io2", s.Type)
	}
	if s.MaxAllocatedGiB != 0 && (s.MaxAllocatedGiB <= s.AllocatedGiB || s.MaxAllocatedGiB > postgresMaxStorageGiB) {
		r.fail("postgresMaxAllocatedStorage", "%d GiB must be 0 (no autoscaling) or more than postgresAllocatedStorage %d GiB and at most %d", s.MaxAllocatedGiB, s.AllocatedGiB, postgresMaxStorageGiB)
	}
}

func postgresReserved(name string) bool {
	return slices.Contains(postgresReservedRoles, strings.ToLower(name)) || strings.HasPrefix(strings.ToLower(name), "rds")
}

// postgresWindowsOverlap reports whether the daily backup window meets the
// weekly maintenance window on the maintenance window's days.
func postgresWindowsOverlap(backup, maintenance string) bool {
	minutes := func(hhmm string) int {
		h, _ := strconv.Atoi(hhmm[:2])
		m, _ := strconv.Atoi(hhmm[3:])
		return h*60 + m
	}
	days := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	week := 7 * 24 * 60
	// Maintenance as [start, end) minutes of the week, end possibly wrapping.
	ms := slices.Index(days, maintenance[:3])*24*60 + minutes(maintenance[4:9])
	me := slices.Index(days, maintenance[10:13])*24*60 + minutes(maintenance[14:19])
	if me <= ms {
		me += week
	}
	bs, be := minutes(backup[:5]), minutes(backup[6:])
	if be <= bs {
		be += 24 * 60
	}
	for day := -1; day <= 7; day++ {
		s, e := day*24*60+bs, day*24*60+be
		for _, shift := range []int{0, week} {
			if s+shift < me && ms < e+shift {
				return true
			}
		}
	}
	return false
}
