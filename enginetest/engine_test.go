package enginetest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/pkg/v3/display"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/pkg/v3/secrets/b64"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	bpa "github.com/bpa-infra/bpa-infra"
	"github.com/bpa-infra/bpa-infra/enginetest"
	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/policy"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// root is the repository, where Pulumi.yaml and the stack files live.
const root = ".."

// secretValue is what a test sets a declared secret to: recognisable, so a
// search of state and output finds any leak.
func secretValue(key string) string {
	return "-----BEGIN ENGINETEST SECRET-----\n" + key + "-Zq8vK3\n-----END ENGINETEST SECRET-----\n"
}

// loadFile reads a committed or fixture stack as its file holds it.
func loadFile(t *testing.T, name string) *enginetest.Stack {
	t.Helper()
	loadStack := enginetest.LoadStack
	if slices.Contains(stacktest.Fixtures, name) {
		loadStack = enginetest.LoadFixture
	}
	s, err := loadStack(root, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// load is loadFile with every secret Pulumi.yaml requires set, as the
// README's first-deployment steps do.
func load(t *testing.T, name string) *enginetest.Stack {
	t.Helper()
	s := loadFile(t, name)
	for _, key := range s.SecretKeys() {
		if err := s.SetSecret(key, secretValue(key)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func newEngine(t *testing.T) *enginetest.Engine {
	return &enginetest.Engine{Program: bpa.Program, T: t}
}

// forEachStack runs check for every committed and fixture stack
// (stacktest.EveryStack), in parallel.
func forEachStack(t *testing.T, check func(t *testing.T, name string)) {
	for _, name := range stacktest.EveryStack(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			check(t, name)
		})
	}
}

// deployed is each stack after a first update, shared by the tests that
// start from a deployed stack; tests must not change it.
var deployed sync.Map // name -> *deployment

type deployment struct {
	once    sync.Once
	preview *enginetest.Result
	update  *enginetest.Result
}

func firstDeployment(t *testing.T, name string) (preview, update *enginetest.Result) {
	t.Helper()
	v, _ := deployed.LoadOrStore(name, &deployment{})
	d := v.(*deployment)
	d.once.Do(func() {
		s := load(t, name)
		d.preview = newEngine(t).Preview(s, nil)
		d.update = newEngine(t).Update(s, nil)
	})
	if d.preview.Err != nil || d.update.Err != nil {
		t.Fatalf("first deployment of %s: preview: %v; update: %v\n%s", name, d.preview.Err, d.update.Err,
			strings.Join(append(d.preview.Errors(), d.update.Errors()...), "\n"))
	}
	return d.preview, d.update
}

func TestCommittedStacksPassTheCLIConfigValidation(t *testing.T) {
	forEachStack(t, func(t *testing.T, name string) {
		if _, err := load(t, name).Validated(); err != nil {
			t.Error(err)
		}
	})
}

// The stack files hold no secret, not even a placeholder ciphertext:
// until its secrets are set, the CLI refuses the stack naming them.
func TestStackWithoutItsSecretsIsRefusedNamingThem(t *testing.T) {
	forEachStack(t, func(t *testing.T, name string) {
		_, err := loadFile(t, name).Validated()
		want := fmt.Sprintf("Stack '%s' is missing configuration values 'tlsCertificate' and 'tlsPrivateKey'", name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want the CLI's %q", err, want)
		}
	})
}

func TestCLIRefusesBadStackFiles(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		change func(s *enginetest.Stack) error
		want   string
	}{
		"a required key dropped": {
			func(s *enginetest.Stack) error { return s.Remove("bpa:region") },
			"Stack 'live' is missing configuration value 'region'",
		},
		"a secret in plain text": {
			func(s *enginetest.Stack) error { return s.Set("bpa:tlsPrivateKey", "plain") },
			"Stack 'live' with configuration key 'tlsPrivateKey' must be encrypted as it's secret",
		},
		"a value of the wrong type": {
			func(s *enginetest.Stack) error { return s.Set("bpa:protect", "maybe") },
			"Stack 'live' with configuration key 'protect' must be of type 'boolean'",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := load(t, stacktest.Live)
			if err := c.change(s); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Validated(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// A platform engineer who writes `bpa:mongoVersion: 8.0` without quotes
// gets YAML's number 8, which the CLI passes as the string "8" (config
// object.go MarshalString); the cluster must still ask Atlas for 8.0.
func TestUnquotedMongoVersionReachesAtlasAsMajorVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	live := harness.FixtureFile("", stacktest.Live)
	for _, f := range []string{"Pulumi.yaml", live} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == live {
			quoted := []byte(`bpa:mongoVersion: "8.0"`)
			if !bytes.Contains(b, quoted) {
				t.Fatalf("%s no longer sets %s", live, quoted)
			}
			b = bytes.Replace(b, quoted, []byte(`bpa:mongoVersion: 8.0`), 1)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := enginetest.LoadFixture(dir, stacktest.Live)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range s.SecretKeys() {
		if err := s.SetSecret(key, secretValue(key)); err != nil {
			t.Fatal(err)
		}
	}
	res := newEngine(t).Preview(s, nil)
	if res.Err != nil {
		t.Fatalf("preview: %v\n%s", res.Err, strings.Join(res.Errors(), "\n"))
	}
	cluster := findStep(res, "mongodbatlas:index/advancedCluster:AdvancedCluster")
	if got := cluster.Inputs["mongoDbMajorVersion"]; !got.IsString() || got.StringValue() != "8.0" {
		t.Errorf("mongoDbMajorVersion = %v, want 8.0", got)
	}
}

// The engine registers what the offline plan shows: the same resources,
// by URN, plus the children pulumi-eks makes inside its component (which
// the plan cannot see) and the engine's default provider for random.
func TestPreviewOfANewStackMatchesTheOfflinePlan(t *testing.T) {
	forEachStack(t, func(t *testing.T, name string) {
		preview, _ := firstDeployment(t, name)
		if errs := preview.Errors(); len(errs) > 0 {
			t.Fatalf("preview diagnostics:\n%s", strings.Join(errs, "\n"))
		}
		var engineURNs []string
		for _, s := range preview.Steps {
			if s.Op != deploy.OpCreate {
				t.Errorf("%s: %s in a new stack", s.URN, s.Op)
			}
			if insideRemoteComponent(s.URN) || isDefaultProvider(s.URN) {
				continue
			}
			engineURNs = append(engineURNs, string(s.URN))
		}
		var planURNs []string
		for _, r := range stacktest.Preview(t, name).Resources {
			planURNs = append(planURNs, r.URN)
		}
		slices.Sort(engineURNs)
		slices.Sort(planURNs)
		if missing, extra := difference(planURNs, engineURNs), difference(engineURNs, planURNs); len(missing)+len(extra) > 0 {
			t.Errorf("engine and offline plan differ.\nonly in the plan:\n  %s\nonly in the engine:\n  %s",
				strings.Join(missing, "\n  "), strings.Join(extra, "\n  "))
		}
	})
}

func insideRemoteComponent(urn resource.URN) bool {
	return strings.Contains(string(urn.QualifiedType()), "eks:index:Cluster$")
}

func isDefaultProvider(urn resource.URN) bool {
	return strings.HasPrefix(string(urn.Type()), "pulumi:providers:") && strings.HasPrefix(urn.Name(), "default")
}

func difference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// A first update does what its preview said, and leaves no input empty
// that the preview showed as coming from another resource: a fake that
// returned fewer outputs than the real provider would show up here.
func TestFirstUpdateDoesWhatItsPreviewSaid(t *testing.T) {
	forEachStack(t, func(t *testing.T, name string) {
		preview, update := firstDeployment(t, name)
		if errs := update.Errors(); len(errs) > 0 {
			t.Fatalf("update diagnostics:\n%s", strings.Join(errs, "\n"))
		}
		if diff := compareSteps(preview, update); diff != "" {
			t.Errorf("preview and update disagree:\n%s", diff)
		}
		if gaps := enginetest.EmptyAfterUpdate(preview, update); len(gaps) > 0 {
			t.Errorf("inputs unknown in the preview and empty after the update (outputs the fake cloud lacks):\n  %s",
				strings.Join(gaps, "\n  "))
		}
	})
}

// compareSteps lists the URNs whose operation differs between two runs.
func compareSteps(a, b *enginetest.Result) string {
	ops := func(r *enginetest.Result) map[resource.URN]display.StepOp {
		m := map[resource.URN]display.StepOp{}
		for _, s := range r.Steps {
			m[s.URN] = s.Op
		}
		return m
	}
	oa, ob := ops(a), ops(b)
	var lines []string
	for urn, op := range oa {
		if ob[urn] != op {
			lines = append(lines, fmt.Sprintf("  %s: %s, then %s", urn, op, ob[urn]))
		}
	}
	for urn, op := range ob {
		if _, ok := oa[urn]; !ok {
			lines = append(lines, fmt.Sprintf("  %s: absent, then %s", urn, op))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func TestSecondRunChangesNothing(t *testing.T) {
	forEachStack(t, func(t *testing.T, name string) {
		_, first := firstDeployment(t, name)
		s := load(t, name)
		for _, run := range []struct {
			label string
			res   *enginetest.Result
		}{{"preview", newEngine(t).Preview(s, first.Snapshot)}, {"update", newEngine(t).Update(s, first.Snapshot)}} {
			if run.res.Err != nil {
				t.Fatalf("%s: %v", run.label, run.res.Err)
			}
			for _, step := range run.res.Steps {
				if step.Op != deploy.OpSame {
					t.Errorf("%s: %s %s (diffs %v, replace keys %v)", run.label, step.Op, step.URN, step.Diffs, step.Keys)
				}
			}
			if len(run.res.Cloud.Ops()) > 0 {
				t.Errorf("%s called the cloud: %v", run.label, run.res.Cloud.Ops())
			}
		}
	})
}

// statefulTypes hold data or identity a replacement loses: policy's
// protected types, and what lives on them (roles and databases on RDS,
// generated passwords, secrets, the nodes with their data).
var statefulTypes = append(slices.Clone(policy.StatefulTypes),
	"aws:eks/nodeGroup:NodeGroup", "aws:secretsmanager/secret:Secret",
	"postgresql:index/role:Role", "postgresql:index/database:Database",
	"random:index/randomPassword:RandomPassword", "mongodbatlas:index/databaseUser:DatabaseUser",
)

// routineChanges are what operators change in a stack's life, each with the
// resource types it may touch; everything else stays the same.
var routineChanges = map[string]struct {
	config  map[string]string
	secrets map[string]string
	touches []string
}{
	"BPA node instance type": {
		config:  map[string]string{"bpa:bpaNodeInstanceType": "m6i.4xlarge"},
		touches: []string{"aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/nodeGroup:NodeGroup"},
	},
	"RDS instance class": {
		config:  map[string]string{"bpa:postgresInstanceClass": "db.m6i.2xlarge"},
		touches: []string{"aws:rds/instance:Instance"},
	},
	"a Helm value": {
		config:  map[string]string{"bpa:helmValues": `{"replicaCount":2}`},
		touches: []string{"kubernetes:helm.sh/v3:Release"},
	},
	"a tag": {
		config: map[string]string{"bpa:extraTags": `{"cost-center":"cc-1234"}`},
		// Default tags reach AWS resources through the provider; launch
		// templates and Atlas carry the tags themselves.
		touches: []string{"pulumi:providers:aws", "aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/nodeGroup:NodeGroup",
			"mongodbatlas:index/project:Project", "mongodbatlas:index/advancedCluster:AdvancedCluster"},
	},
	// The guide deletes and reinstalls the release to change the
	// certificate; here only the TLS secret changes, in place.
	"the TLS certificate": {
		secrets: map[string]string{"bpa:tlsCertificate": secretValue("renewed-certificate"), "bpa:tlsPrivateKey": secretValue("renewed-key")},
		touches: []string{"kubernetes:core/v1:Secret"},
	},
}

func TestRoutineChangesReplaceNothingStateful(t *testing.T) {
	forEachStack(t, func(t *testing.T, name string) {
		_, base := firstDeployment(t, name)
		for label, change := range routineChanges {
			t.Run(label, func(t *testing.T) {
				s := load(t, name)
				for k, v := range change.config {
					if err := s.Set(k, v); err != nil {
						t.Fatal(err)
					}
				}
				for k, v := range change.secrets {
					if err := s.SetSecret(k, v); err != nil {
						t.Fatal(err)
					}
				}
				res := newEngine(t).Preview(s, base.Snapshot)
				if res.Err != nil {
					t.Fatalf("%v\n%s", res.Err, strings.Join(res.Errors(), "\n"))
				}
				touched := 0
				for _, step := range res.Steps {
					if step.Op == deploy.OpSame {
						continue
					}
					touched++
					if step.Op != deploy.OpUpdate {
						t.Errorf("%s %s (replace keys %v): a routine change must update in place", step.Op, step.URN, step.Keys)
					}
					if !slices.Contains(change.touches, step.Type) {
						t.Errorf("%s %s (diffs %v) is not what this change should touch", step.Op, step.URN, step.Diffs)
					}
				}
				if touched == 0 {
					t.Error("the change touched nothing: the check would be blind")
				}
				if release := findStep(res, "kubernetes:helm.sh/v3:Release"); label == "the TLS certificate" && release.Op != deploy.OpSame {
					t.Errorf("a new certificate must not touch the release: %s", release.Op)
				}
			})
		}
	})
}

func findStep(res *enginetest.Result, typ string) enginetest.Step {
	for _, s := range res.Steps {
		if s.Type == typ {
			return s
		}
	}
	return enginetest.Step{}
}

// The routine-change check is not blind: renaming the customer renames
// every physical name, and the engine shows stateful replacements.
func TestCustomerRenameReplacesStatefulResources(t *testing.T) {
	t.Parallel()
	_, base := firstDeployment(t, stacktest.Lab)
	s := load(t, stacktest.Lab)
	if err := s.Set("bpa:customer", "globex"); err != nil {
		t.Fatal(err)
	}
	res := newEngine(t).Preview(s, base.Snapshot)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	replaced := map[string]bool{}
	for _, step := range res.Steps {
		if step.Op == deploy.OpReplace || step.Op == deploy.OpCreateReplacement {
			replaced[step.Type] = true
		}
	}
	// RDS renames in place (identifier is no ForceNew field); these cannot.
	for _, typ := range []string{"aws:ecr/repository:Repository", "mongodbatlas:index/advancedCluster:AdvancedCluster", "aws:eks/cluster:Cluster", "aws:s3/bucketV2:BucketV2"} {
		if !replaced[typ] {
			t.Errorf("renaming the customer does not replace %s", typ)
		}
	}
}

// A protected stack keeps its stateful resources: each is protected in the
// engine's state, and a destroy stops at the first of them, naming it.
func TestDestroyOfAProtectedStackIsRefused(t *testing.T) {
	t.Parallel()
	_, base := firstDeployment(t, stacktest.Live)
	// pulumi-eks's component is not protected, its control plane is: protect
	// on the component would reach every child, and removing an admin role
	// would be refused.
	stateful := slices.DeleteFunc(slices.Clone(policy.StatefulTypes), func(typ string) bool { return typ == "eks:index:Cluster" })
	for _, typ := range stateful {
		found := false
		for _, r := range base.Snapshot.Resources {
			if string(r.Type) == typ {
				found = true
				if !r.Protect {
					t.Errorf("%s is not protected in state", r.URN)
				}
			}
		}
		if !found {
			t.Errorf("%s has no %s", stacktest.Live, typ)
		}
	}
	for _, r := range base.Snapshot.Resources {
		if (r.Type == "eks:index:Cluster" || insideRemoteComponent(r.URN) && r.Type != "aws:eks/cluster:Cluster") && r.Protect {
			t.Errorf("%s is protected: only the control plane of pulumi-eks's component should be", r.URN)
		}
	}
	res := newEngine(t).PreviewDestroy(load(t, stacktest.Live), base.Snapshot)
	if res.Err == nil {
		t.Fatal("destroying the protected stack was not refused")
	}
	named := 0
	for _, r := range base.Snapshot.Resources {
		if strings.Contains(strings.Join(res.Errors(), "\n"), string(r.URN)+"\" cannot be deleted") {
			named++
			if !r.Protect {
				t.Errorf("destroy refused %s, which is not protected", r.URN)
			}
		}
	}
	if named == 0 {
		t.Errorf("destroy was refused without naming a protected resource: %v", res.Errors())
	}
}

func TestUnprotectedStackDestroysToNothing(t *testing.T) {
	t.Parallel()
	s := load(t, stacktest.Lab)
	if err := s.Set("bpa:protect", "false"); err != nil {
		t.Fatal(err)
	}
	up := newEngine(t).Update(s, nil)
	if up.Err != nil {
		t.Fatal(up.Err)
	}
	down := newEngine(t).Destroy(s, up.Snapshot)
	if down.Err != nil {
		t.Fatalf("%v\n%s", down.Err, strings.Join(down.Errors(), "\n"))
	}
	if n := len(down.Snapshot.Resources); n != 0 {
		t.Errorf("%d resources left after destroy", n)
	}
}

// State, as a backend stores it, holds no secret in plain text: neither the
// stack's secrets nor anything made from them (generated passwords, the RDS
// master password, connection documents).
func TestStateHoldsNoPlainTextSecret(t *testing.T) {
	forEachStack(t, func(t *testing.T, name string) {
		state, err := json.Marshal(backendState(t, name))
		if err != nil {
			t.Fatal(err)
		}
		secrets := []string{cloudfake.GeneratedPasswordPrefix, cloudfake.MasterPassword}
		for _, v := range load(t, name).Secrets() {
			secrets = append(secrets, strings.TrimSpace(v))
		}
		for _, secret := range secrets {
			quoted, _ := json.Marshal(secret)
			for _, form := range []string{secret, strings.Trim(string(quoted), `"`)} {
				if strings.Contains(string(state), form) {
					t.Errorf("state holds %q in plain text", firstLine(secret))
				}
			}
		}
	})
}

// backendState is the state a first `up` of the stack leaves, serialized as
// a backend stores it (secrets by Pulumi's b64 secrets manager).
func backendState(t *testing.T, name string) *apitype.DeploymentV3 {
	t.Helper()
	_, update := firstDeployment(t, name)
	snap := *update.Snapshot
	snap.SecretsManager = b64.NewBase64SecretsManager()
	dep, err := stack.SerializeDeployment(context.Background(), &snap, false)
	if err != nil {
		t.Fatal(err)
	}
	return dep
}

func firstLine(s string) string { return strings.SplitN(strings.TrimSpace(s), "\n", 2)[0] + "…" }

// Negative controls: the engine, not the fakes, refuses what the program
// must never do.
func TestEngineRefusesWhatTheProgramMustNotDo(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		extra func(ctx *pulumi.Context) error
		want  string
	}{
		"a resource on the disabled default AWS provider": {
			func(ctx *pulumi.Context) error {
				_, err := ec2.NewVpc(ctx, "stray", &ec2.VpcArgs{CidrBlock: pulumi.String("10.9.0.0/16")})
				return err
			},
			"Default provider for 'aws' disabled",
		},
		"a second resource with an existing URN": {
			func(ctx *pulumi.Context) error {
				_, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("us-west-2")})
				return err
			},
			"Duplicate resource URN 'urn:pulumi:lab::bpa::pulumi:providers:aws::aws'",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := &enginetest.Engine{T: t, Program: func(ctx *pulumi.Context) error {
				if err := bpa.Program(ctx); err != nil {
					return err
				}
				return c.extra(ctx)
			}}
			res := e.Preview(load(t, stacktest.Lab), nil)
			all := strings.Join(res.Diagnostics, "\n")
			if res.Err == nil || !strings.Contains(all, c.want) {
				t.Errorf("want the engine to refuse with %q; got %v\n%s", c.want, res.Err, all)
			}
		})
	}
}

// A new launch template for every BPA node rolls them one at a time, node-1
// to node-4, so ZooKeeper and Kafka keep their quorum; the data volumes
// stay.
func TestBpaNodesRollOneAfterAnother(t *testing.T) {
	forEachStack(t, func(t *testing.T, name string) {
		_, base := firstDeployment(t, name)
		s := load(t, name)
		if err := s.Set("bpa:bpaNodeInstanceType", "m6i.4xlarge"); err != nil {
			t.Fatal(err)
		}
		res := newEngine(t).Update(s, base.Snapshot)
		if res.Err != nil {
			t.Fatalf("%v\n%s", res.Err, strings.Join(res.Errors(), "\n"))
		}
		var rolled []string
		for _, op := range res.Cloud.Ops() {
			if op.Kind == "update" && op.URN.Type() == "aws:eks/nodeGroup:NodeGroup" && strings.Contains(op.URN.Name(), "bpa-node") {
				rolled = append(rolled, op.URN.Name())
			}
			if op.URN.Type() == "aws:ebs/volume:Volume" {
				t.Errorf("%s %s: a node roll must leave the data volumes alone", op.Kind, op.URN)
			}
		}
		want := []string{"cluster-bpa-node-1", "cluster-bpa-node-2", "cluster-bpa-node-3", "cluster-bpa-node-4"}
		if !slices.Equal(rolled, want) {
			t.Errorf("node groups updated in the order %v, want %v", rolled, want)
		}
		if res.Cloud.Overlapped("aws:eks/nodeGroup:NodeGroup") {
			t.Error("two node groups updated at the same time")
		}
	})
}

// A first deployment runs in two phases (README runbook): everything but
// the release, then, once images and chart are pushed, the release alone.
func TestFirstDeploymentInTwoPhases(t *testing.T) {
	t.Parallel()
	s := load(t, stacktest.Live)
	if err := s.Set("bpa:installRelease", "false"); err != nil {
		t.Fatal(err)
	}
	phase1 := newEngine(t).Update(s, nil)
	if phase1.Err != nil {
		t.Fatalf("%v\n%s", phase1.Err, strings.Join(phase1.Errors(), "\n"))
	}
	if st := findStep(phase1, "kubernetes:helm.sh/v3:Release"); st.URN != "" {
		t.Errorf("phase 1 installs the release: %s", st.Op)
	}
	if st := findStep(phase1, "kubernetes:core/v1:Secret"); st.Op != deploy.OpCreate {
		t.Errorf("phase 1 does not create the secrets the release needs: %q", st.Op)
	}
	if err := s.Remove("bpa:installRelease"); err != nil {
		t.Fatal(err)
	}
	phase2 := newEngine(t).Update(s, phase1.Snapshot)
	if phase2.Err != nil {
		t.Fatalf("%v\n%s", phase2.Err, strings.Join(phase2.Errors(), "\n"))
	}
	for _, st := range phase2.Steps {
		want := deploy.OpSame
		if st.Type == "kubernetes:helm.sh/v3:Release" {
			want = deploy.OpCreate
		}
		if st.Op != want {
			t.Errorf("phase 2: %s %s, want %s", st.Op, st.URN, want)
		}
	}
}

// rotateAll gives every generated password a new rotation label, as an
// operator rotating all of them at once does.
const rotateAll = `{"postgresRoot":"2027-06","postgresKong":"2027-06","postgresCamunda":"2027-06","mongoUser":"2027-06"}`

// A deliberate rotation is not a routine change: it replaces the generated
// passwords, and of the stateful resources only them; the logins, the
// secrets and the Kubernetes secrets that hold them are updated in place
// (Secrets Manager keeps the secret and gets a new version), and the release
// is upgraded only after every login has its new password, so the pods it
// rolls connect with passwords the databases already take.
func TestCredentialRotationReplacesOnlyThePasswords(t *testing.T) {
	forEachStack(t, func(t *testing.T, name string) {
		_, base := firstDeployment(t, name)
		s := load(t, name)
		if err := s.Set("bpa:credentialsRotation", rotateAll); err != nil {
			t.Fatal(err)
		}
		res := newEngine(t).Update(s, base.Snapshot)
		if res.Err != nil {
			t.Fatalf("%v\n%s", res.Err, strings.Join(res.Errors(), "\n"))
		}
		const (
			passwordT = "random:index/randomPassword:RandomPassword"
			versionT  = "aws:secretsmanager/secretVersion:SecretVersion"
			releaseT  = "kubernetes:helm.sh/v3:Release"
			k8sSecret = "kubernetes:core/v1:Secret"
		)
		// What a rotation may do to each type: the passwords and the
		// secret versions are new, the rest changes in place.
		allowed := map[string]display.StepOp{
			passwordT: deploy.OpReplace, versionT: deploy.OpReplace,
			"postgresql:index/role:Role": deploy.OpUpdate, "mongodbatlas:index/databaseUser:DatabaseUser": deploy.OpUpdate,
			k8sSecret: deploy.OpUpdate, releaseT: deploy.OpUpdate,
		}
		want := map[string]int{
			passwordT: 4, versionT: 4, "postgresql:index/role:Role": 3, "mongodbatlas:index/databaseUser:DatabaseUser": 1,
			k8sSecret: 4, releaseT: 1,
		}
		got := map[string]int{}
		for _, step := range res.Steps {
			typ := step.Type
			switch step.Op {
			case deploy.OpSame:
				continue
			case deploy.OpCreateReplacement, deploy.OpDeleteReplaced:
				if allowed[typ] != deploy.OpReplace {
					t.Errorf("%s %s: a rotation must not replace it", step.Op, step.URN)
				}
				continue
			}
			got[typ]++
			if step.Op != allowed[typ] {
				t.Errorf("%s %s (diffs %v, replace keys %v), want %q", step.Op, step.URN, step.Diffs, step.Keys, allowed[typ])
			}
			if step.Op == deploy.OpReplace && slices.Contains(statefulTypes, typ) && typ != passwordT {
				t.Errorf("%s %s: a stateful resource is replaced", step.Op, step.URN)
			}
			if typ == k8sSecret && strings.HasSuffix(string(step.URN), "bpa-certificate-ingress") {
				t.Errorf("the TLS secret changes in a password rotation")
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("changed by type %v, want %v", got, want)
		}

		// Order: every login takes its new password before the release
		// is upgraded; a password is deleted only once nothing uses it.
		finished := map[resource.URN]int{}
		var releaseAt, lastLogin, firstPasswordDelete int
		firstPasswordDelete = -1
		for i, op := range res.Cloud.Ops() {
			finished[op.URN] = i
			switch typ := string(op.URN.Type()); {
			case op.Kind == "update" && (typ == "postgresql:index/role:Role" || typ == "mongodbatlas:index/databaseUser:DatabaseUser"):
				lastLogin = i
			case op.Kind == "update" && typ == releaseT:
				releaseAt = i
			case op.Kind == "delete" && typ == passwordT && firstPasswordDelete < 0:
				firstPasswordDelete = i
			}
		}
		if releaseAt == 0 || lastLogin == 0 || releaseAt < lastLogin {
			t.Errorf("release upgraded at %d, last login updated at %d: pods would roll before the databases take the new passwords", releaseAt, lastLogin)
		}
		if firstPasswordDelete >= 0 && firstPasswordDelete < releaseAt {
			t.Errorf("an old password is deleted (%d) before the release is upgraded (%d)", firstPasswordDelete, releaseAt)
		}

		// A second run with the same labels changes nothing more.
		again := newEngine(t).Preview(s, res.Snapshot)
		if again.Err != nil {
			t.Fatal(again.Err)
		}
		for _, step := range again.Steps {
			if step.Op != deploy.OpSame {
				t.Errorf("after the rotation: %s %s (diffs %v)", step.Op, step.URN, step.Diffs)
			}
		}
	})
}

// One label rotates one password: the others, and what holds them, stay.
func TestRotatingOneCredentialLeavesTheOthers(t *testing.T) {
	t.Parallel()
	_, base := firstDeployment(t, stacktest.Live)
	s := load(t, stacktest.Live)
	if err := s.Set("bpa:credentialsRotation", `{"postgresKong":"2027-06"}`); err != nil {
		t.Fatal(err)
	}
	res := newEngine(t).Preview(s, base.Snapshot)
	if res.Err != nil {
		t.Fatalf("%v\n%s", res.Err, strings.Join(res.Errors(), "\n"))
	}
	var replaced []string
	for _, step := range res.Steps {
		if step.Op == deploy.OpReplace && step.Type == "random:index/randomPassword:RandomPassword" {
			replaced = append(replaced, step.URN.Name())
		}
		if step.Op != deploy.OpSame && (strings.Contains(step.URN.Name(), "camunda") || strings.Contains(step.URN.Name(), "root") ||
			strings.HasPrefix(step.URN.Name(), "mongo-")) {
			t.Errorf("%s %s: only Kong's password rotates", step.Op, step.URN)
		}
	}
	if !slices.Equal(replaced, []string{"postgres-kong-password"}) {
		t.Errorf("replaced passwords %v, want only Kong's", replaced)
	}
}

// A key Pulumi.yaml declares plain but the stack sets with --secret stays
// secret in every input and output it reaches: the owner in every tag, the
// Atlas organization in the project.
func TestValuesTheStackEncryptsStaySecretInState(t *testing.T) {
	t.Parallel()
	s := load(t, stacktest.Lab)
	owner, org := "owner-kept-secret@example.com", "abcdef0123456789abcdef01"
	for k, v := range map[string]string{"bpa:owner": owner, "bpa:atlasOrgId": org} {
		if err := s.SetSecret(k, v); err != nil {
			t.Fatal(err)
		}
	}
	up := newEngine(t).Update(s, nil)
	if up.Err != nil {
		t.Fatalf("%v\n%s", up.Err, strings.Join(up.Errors(), "\n"))
	}
	snap := *up.Snapshot
	snap.SecretsManager = b64.NewBase64SecretsManager()
	dep, err := stack.SerializeDeployment(context.Background(), &snap, false)
	if err != nil {
		t.Fatal(err)
	}
	state, err := json.Marshal(dep)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{owner, org} {
		if strings.Contains(string(state), secret) {
			t.Errorf("state holds %q in plain text", secret)
		}
	}
}
