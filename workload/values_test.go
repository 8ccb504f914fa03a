package workload_test

import (
	"context"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/bpa-infra/bpa-infra/workload"
)

func TestValuePathsDefaultToTheGuidesNames(t *testing.T) {
	t.Parallel()
	got, err := workload.ValuePaths(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, workload.DefaultValuePaths) {
		t.Errorf("ValuePaths(nil) = %v, want the defaults", got)
	}
	for fact, path := range map[workload.Fact]string{
		workload.FactIngressControllerCreate: "ingress_controller.create",
		workload.FactRootDatabase:            "PG_ROOT_DATABASE",
		workload.FactRootUser:                "PG_INITDB_ROOT_USERNAME",
		workload.FactRootPassword:            "PG_INITDB_ROOT_PASSWORD",
		workload.FactKongDatabase:            "AUTH_DB_NAME",
		workload.FactKongUser:                "AUTH_DB_USER",
		workload.FactKongPassword:            "AUTH_DB_PASSWORD",
		workload.FactCamundaDatabase:         "WFE_DB_NAME",
		workload.FactCamundaUser:             "WFE_DB_USER",
		workload.FactCamundaPassword:         "WFE_DB_PASSWORD",
		workload.FactPostgresHost:            "PG_HOST",
		workload.FactPostgresPort:            "PG_PORT",
		workload.FactPostgresSSLMode:         "PG_SSLMODE",
		workload.FactMongoURI:                "MONGODB_URI",
		workload.FactImageRegistry:           "global.imageRegistry",
	} {
		if got[fact] != path {
			t.Errorf("%s goes to %q, want %q", fact, got[fact], path)
		}
	}
	if len(got) != 15 {
		t.Errorf("%d facts, want 15", len(got))
	}
	for _, f := range workload.GuideFacts {
		if _, ok := workload.DefaultValuePaths[f]; !ok {
			t.Errorf("guide fact %s has no default path", f)
		}
	}
}

func TestValuePathsOverrideAndUnwire(t *testing.T) {
	t.Parallel()
	got, err := workload.ValuePaths(map[string]string{"postgresHost": "postgres.host", "mongoUri": ""})
	if err != nil {
		t.Fatal(err)
	}
	if got[workload.FactPostgresHost] != "postgres.host" || got[workload.FactMongoURI] != "" {
		t.Errorf("overrides not applied: host %q, mongo %q", got[workload.FactPostgresHost], got[workload.FactMongoURI])
	}
	if got[workload.FactPostgresPort] != "PG_PORT" {
		t.Errorf("a fact not overridden lost its default: %q", got[workload.FactPostgresPort])
	}
	// Several unwired facts do not collide with each other.
	if _, err := workload.ValuePaths(map[string]string{"mongoUri": "", "imageRegistry": "", "postgresHost": ""}); err != nil {
		t.Errorf("unwired facts refused: %v", err)
	}
	// The defaults themselves are not changed by an override.
	if workload.DefaultValuePaths[workload.FactPostgresHost] != "PG_HOST" || workload.DefaultValuePaths[workload.FactMongoURI] != "MONGODB_URI" {
		t.Error("ValuePaths changed DefaultValuePaths")
	}
}

func TestValuePathsRejectsWhatCannotBeWired(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		overrides map[string]string
		says      []string
	}{
		"unknown fact":      {map[string]string{"kongHost": "KONG_HOST"}, []string{`"kongHost" is not a wired fact`, "postgresHost"}},
		"leading dot":       {map[string]string{"postgresHost": ".pg.host"}, []string{"not a dotted values path"}},
		"empty segment":     {map[string]string{"postgresHost": "pg..host"}, []string{"not a dotted values path"}},
		"trailing dot":      {map[string]string{"postgresHost": "pg."}, []string{"not a dotted values path"}},
		"starts with digit": {map[string]string{"postgresHost": "1pg"}, []string{"not a dotted values path"}},
		"space":             {map[string]string{"postgresHost": "pg host"}, []string{"not a dotted values path"}},
		"index":             {map[string]string{"postgresHost": "pg[0]"}, []string{"not a dotted values path"}},
		"same path":         {map[string]string{"postgresHost": "PG_PORT"}, []string{"collides"}},
		"inside another":    {map[string]string{"postgresHost": "global.imageRegistry.host"}, []string{"collides", "global.imageRegistry"}},
		"holds another":     {map[string]string{"postgresHost": "ingress_controller"}, []string{"collides", "ingress_controller.create"}},
		"two overrides":     {map[string]string{"postgresHost": "db.host", "postgresPort": "db"}, []string{"collides"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := workload.ValuePaths(tc.overrides)
			if err == nil {
				t.Fatalf("accepted: %v", got)
			}
			if got != nil {
				t.Errorf("paths returned with an error: %v", got)
			}
			for _, says := range tc.says {
				if !strings.Contains(err.Error(), says) {
					t.Errorf("error does not mention %s: %v", says, err)
				}
			}
		})
	}
	// A prefix of another key that is not a parent is no collision.
	if _, err := workload.ValuePaths(map[string]string{"postgresHost": "PG_PORTAL"}); err != nil {
		t.Errorf("PG_PORTAL beside PG_PORT refused: %v", err)
	}
}

func TestPlaceBuildsNestedValues(t *testing.T) {
	t.Parallel()
	paths := map[workload.Fact]string{
		workload.FactPostgresHost:            "database.postgres.host",
		workload.FactPostgresPort:            "database.postgres.port",
		workload.FactIngressControllerCreate: "ingress_controller.create",
		workload.FactRootUser:                "PG_INITDB_ROOT_USERNAME",
		workload.FactMongoURI:                "", // unwired
	}
	got := workload.Place(paths, map[workload.Fact]any{
		workload.FactPostgresHost:            "db.example",
		workload.FactPostgresPort:            5432,
		workload.FactIngressControllerCreate: true,
		workload.FactRootUser:                "admin",
		workload.FactMongoURI:                "mongodb+srv://x",
		workload.FactImageRegistry:           "no path at all",
		workload.FactKongUser:                nil,
	})
	want := map[string]any{
		"database":                map[string]any{"postgres": map[string]any{"host": "db.example", "port": 5432}},
		"ingress_controller":      map[string]any{"create": true},
		"PG_INITDB_ROOT_USERNAME": "admin",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Place = %v, want %v", got, want)
	}
	// A fact with a path but no value is left out too.
	paths[workload.FactKongUser] = "AUTH_DB_USER"
	if v := workload.Place(paths, map[workload.Fact]any{workload.FactKongUser: nil}); len(v) != 0 {
		t.Errorf("a nil fact was placed: %v", v)
	}
}

func TestMergeValuesLaysStackValuesOverTheFacts(t *testing.T) {
	t.Parallel()
	base := map[string]any{
		"ingress_controller": map[string]any{"create": true},
		"PG_HOST":            "db.example",
	}
	got, err := workload.MergeValues(base, map[string]any{
		"ingress_controller": map[string]any{"replicas": 2.0},
		"PG_HOST":            "override.example",
		"ui":                 map[string]any{"theme": "dark"},
	}, workload.DefaultValuePaths)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"ingress_controller": map[string]any{"create": true, "replicas": 2.0},
		"PG_HOST":            "override.example",
		"ui":                 map[string]any{"theme": "dark"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergeValues = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(base, map[string]any{"ingress_controller": map[string]any{"create": true}, "PG_HOST": "db.example"}) {
		t.Errorf("MergeValues changed its base: %v", base)
	}
}

func TestMergeValuesRefusesPasswordsFromStackValues(t *testing.T) {
	t.Parallel()
	base := map[string]any{"ingress_controller": map[string]any{"create": true}}
	for name, tc := range map[string]struct {
		extra map[string]any
		path  string
	}{
		"top level":        {map[string]any{"PG_INITDB_ROOT_PASSWORD": "x"}, "PG_INITDB_ROOT_PASSWORD"},
		"any case":         {map[string]any{"dbPassWord": "x"}, "dbPassWord"},
		"under a fact map": {map[string]any{"ingress_controller": map[string]any{"adminPassword": "x"}}, "ingress_controller.adminPassword"},
		"a password map":   {map[string]any{"passwords": map[string]any{"kong": "x"}}, "passwords"},
		"under a new map":  {map[string]any{"ui": map[string]any{"adminPassword": "x"}}, "ui.adminPassword"},
		// A secret fact's path, replaced in plain text, would undo its secrecy.
		"a secret fact's path": {map[string]any{"MONGODB_URI": "mongodb://plain"}, "MONGODB_URI"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := workload.MergeValues(base, tc.extra, workload.DefaultValuePaths)
			if err == nil {
				t.Fatalf("a password from stack values was accepted: %v", slices.Sorted(maps.Keys(got)))
			}
			if !strings.HasPrefix(err.Error(), tc.path+":") {
				t.Errorf("error does not name %s: %v", tc.path, err)
			}
		})
	}
}

// mongoURIOf runs workload.MongoURI on plain (not secret) inputs.
func mongoURIOf(t *testing.T, srv, user, password, authSource string) (string, bool, error) {
	t.Helper()
	r, err := internals.UnsafeAwaitOutput(context.Background(), workload.MongoURI(workload.Mongo{
		Username:   pulumi.String(user),
		Password:   pulumi.String(password),
		AuthSource: pulumi.String(authSource),
		SrvAddress: pulumi.String(srv),
	}))
	if err != nil {
		return "", r.Secret, err
	}
	s, _ := r.Value.(string)
	return s, r.Secret, nil
}

func TestMongoURIIsTheFullSecretConnectionString(t *testing.T) {
	t.Parallel()
	got, isSecret, err := mongoURIOf(t, "mongodb+srv://acme-prod-bpa-pl-0.abcde.mongodb.net", "acme-prod-bpa", "Pw-_.~09", "admin")
	if err != nil {
		t.Fatal(err)
	}
	if want := "mongodb+srv://acme-prod-bpa:Pw-_.~09@acme-prod-bpa-pl-0.abcde.mongodb.net/?authSource=admin&retryWrites=true&w=majority"; got != want {
		t.Errorf("MongoURI\n got %s\nwant %s", strings.Replace(got, "Pw-_.~09", "(password)", 1), strings.Replace(want, "Pw-_.~09", "(password)", 1))
	}
	if !isSecret {
		t.Error("MongoURI is not secret")
	}
	// Only the SRV address's host is kept; a trailing slash is the same.
	if again, _, _ := mongoURIOf(t, "mongodb+srv://acme-prod-bpa-pl-0.abcde.mongodb.net/", "acme-prod-bpa", "Pw-_.~09", "admin"); again != got {
		t.Errorf("a trailing slash changes the URI")
	}
}

func TestMongoURIEscapesTheCredentials(t *testing.T) {
	t.Parallel()
	for _, password := range []string{"p@ss:w/rd?#", "100%", "sp ace", "a[b]c", "plus+amp&eq="} {
		got, _, err := mongoURIOf(t, "mongodb+srv://cluster.example.mongodb.net", "bpa user@x", password, "admin")
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("MongoURI with a special password does not parse: %v", err)
		}
		pw, _ := u.User.Password()
		if u.User.Username() != "bpa user@x" || pw != password || u.Host != "cluster.example.mongodb.net" {
			t.Errorf("user %q, host %q, password kept %v", u.User.Username(), u.Host, pw == password)
		}
		// The characters the URI syntax gives a meaning are escaped.
		userinfo := got[len("mongodb+srv://"):strings.LastIndex(got, "@")]
		if strings.ContainsAny(userinfo, "@/?# []") || strings.Count(userinfo, ":") != 1 {
			t.Errorf("credentials are not escaped for %q", strings.Map(func(rune) rune { return '*' }, password))
		}
		if u.Query().Get("authSource") != "admin" {
			t.Errorf("authSource %q", u.Query().Get("authSource"))
		}
	}
	got, _, err := mongoURIOf(t, "mongodb+srv://cluster.example.mongodb.net", "u", "p", "auth db&x=y")
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(got); u.Query().Get("authSource") != "auth db&x=y" || u.Query().Get("x") != "" {
		t.Errorf("auth source is not escaped: %v", u.Query())
	}
}

func TestMongoURIRefusesANonSrvAddress(t *testing.T) {
	t.Parallel()
	for _, srv := range []string{
		"mongodb://cluster.example.mongodb.net:27017",
		"cluster.example.mongodb.net",
		"mongodb+srv://",
		"https://cluster.example.mongodb.net",
		"",
	} {
		got, _, err := mongoURIOf(t, srv, "u", "secret-pw", "admin")
		if err == nil {
			t.Errorf("MongoURI accepted %q: %s", srv, strings.ReplaceAll(got, "secret-pw", "(password)"))
			continue
		}
		if !strings.Contains(err.Error(), "mongodb+srv://") || strings.Contains(err.Error(), "secret-pw") {
			t.Errorf("error for %q: %v", srv, err)
		}
	}
}
