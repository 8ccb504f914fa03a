package cluster_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	bpa "github.com/bpa-infra/bpa-infra"
	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// decodeUserData splits base64-encoded user data into its MIME parts by
// content type, in document order.
func decodeUserData(t *testing.T, what, encoded string) (map[string]string, []string) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatalf("%s user data is not base64: %v", what, err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("%s user data is not a MIME document: %v", what, err)
	}
	media, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || media != "multipart/mixed" {
		t.Fatalf("%s user data is %q, managed node groups need multipart/mixed", what, media)
	}
	parts := map[string]string{}
	var order []string
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		body, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = string(body)
		order = append(order, ct)
	}
	return parts, order
}

// userDataParts decodes a recorded launch template's user data, which must
// be known (a plain string) in the recording.
func userDataParts(t *testing.T, lt *harness.Resource) map[string]string {
	t.Helper()
	encoded, ok := stacktest.Input(lt, "userData").(string)
	if !ok {
		t.Fatalf("%s user data is not known: %v", lt.Name, stacktest.Input(lt, "userData"))
	}
	parts, _ := decodeUserData(t, lt.Name, encoded)
	return parts
}

// A BPA node's user data names its data volume and the bundle bucket, both
// outputs of other resources. render runs the program as the resolved run
// does (cloudfake's ids and outputs, which name a prefix-named bucket as S3
// does) and records the launch templates' user data, the text a deployment
// would hand EC2.
type renderedStack struct {
	// userData are the launch templates' user data by logical name; a
	// template whose user data stayed unknown has none.
	userData map[string]string
	// volumeIDs and buckets are the physical ids and names the run gave.
	volumeIDs map[string]string
	buckets   map[string]string
}

type namingMocks struct {
	mu  sync.Mutex
	out *renderedStack
}

func (m *namingMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id := cloudfake.ID(args.Name)
	out := cloudfake.Outputs(args.TypeToken, args.Name, args.Inputs)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch args.TypeToken {
	case bucketType:
		if b, ok := out["bucket"]; ok && b.IsString() {
			m.out.buckets[args.Name] = b.StringValue()
		}
	case volumeType:
		m.out.volumeIDs[args.Name] = id
	case ltType:
		if ud, ok := args.Inputs["userData"]; ok && ud.IsString() {
			m.out.userData[args.Name] = ud.StringValue()
		}
	}
	return id, out, nil
}

func (m *namingMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	out, _, err := cloudfake.Invoke(args.Token, args.Args)
	return out, err
}

// runRendered runs the program with the naming mocks.
func runRendered(opts harness.Options) (*renderedStack, error) {
	m := &namingMocks{out: &renderedStack{userData: map[string]string{}, volumeIDs: map[string]string{}, buckets: map[string]string{}}}
	err := pulumi.RunErr(bpa.Program, pulumi.WithMocks(opts.Project, opts.Stack, m), func(info *pulumi.RunInfo) {
		info.Config = opts.Config
		info.ConfigSecretKeys = opts.SecretKeys
		info.DryRun = true
	})
	return m.out, err
}

// render runs the program for a stack, its configuration changed by change.
func render(t *testing.T, stack string, change func(cfg map[string]string)) *renderedStack {
	t.Helper()
	opts := stacktest.Options(t, stack)
	if change != nil {
		change(opts.Config)
	}
	out, err := runRendered(opts)
	if err != nil {
		t.Fatalf("run stack %s: %v", stack, err)
	}
	return out
}

type renderResult struct {
	once sync.Once
	out  *renderedStack
	err  error
}

var renderedStacks sync.Map // stack -> *renderResult

// rendered is render for a stack's own configuration, shared between tests:
// treat it as read-only.
func rendered(t *testing.T, stack string) *renderedStack {
	t.Helper()
	v, _ := renderedStacks.LoadOrStore(stack, &renderResult{})
	res := v.(*renderResult)
	res.once.Do(func() { res.out, res.err = runRendered(stacktest.Options(t, stack)) })
	if res.err != nil {
		t.Fatalf("run stack %s: %v", stack, res.err)
	}
	return res.out
}

// bpaScript is a BPA node's rendered user data: its NodeConfig and its
// shell script.
func bpaScript(t *testing.T, r *renderedStack, node string) (nodeConfig, script string) {
	t.Helper()
	encoded, ok := r.userData["cluster-bpa-"+node]
	if !ok {
		t.Fatalf("%s user data is unknown once its volume and bucket exist", node)
	}
	parts, order := decodeUserData(t, node, encoded)
	if want := []string{"application/node.eks.aws", "text/x-shellscript"}; !slices.Equal(order, want) {
		t.Fatalf("%s user data parts %v, want %v: nodeadm applies them in order", node, order, want)
	}
	return parts["application/node.eks.aws"], parts["text/x-shellscript"]
}

// heredoc returns the body of the here-document `cat > file <<'TAG'` in
// script, or fails the test.
func heredoc(t *testing.T, script, file, tag string) string {
	t.Helper()
	start := "cat > " + file + " <<'" + tag + "'\n"
	i := strings.Index(script, start)
	if i < 0 {
		t.Fatalf("script does not write %s (%q)", file, start)
	}
	body := script[i+len(start):]
	j := strings.Index(body, "\n"+tag+"\n")
	if j < 0 {
		t.Fatalf("here-document %s of %s is not closed", tag, file)
	}
	return body[:j+1]
}

const (
	dataScriptPath = "/usr/local/sbin/bpa-data"
	dataUnitPath   = "/etc/systemd/system/" + cluster.DataUnit
)

func TestEachBpaNodeSetsMaxPodsAndTheKernelAndInstallsItsDataUnit(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.Stacks(t) {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			r := rendered(t, stack)
			for _, n := range cluster.Nodes {
				nodeConfig, script := bpaScript(t, r, n.Name)
				if !strings.Contains(nodeConfig, "kind: NodeConfig") || !strings.Contains(nodeConfig, "      maxPods: 44\n") {
					t.Errorf("%s NodeConfig does not set max pods for custom networking:\n%s", n.Name, nodeConfig)
				}
				if !strings.HasPrefix(script, "#!/bin/bash\n") || !strings.Contains(script, "\nset -euo pipefail\n") {
					t.Errorf("%s script is no strict bash script", n.Name)
				}
				for what, want := range map[string]string{
					"persist max_map_count":    "printf 'vm.max_map_count = 262144\\n' > " + cluster.SysctlFile + "\n",
					"apply it now":             "sysctl --load " + cluster.SysctlFile + "\n",
					"make the data script run": "chmod 0755 " + dataScriptPath + "\n",
					"reload systemd":           "systemctl daemon-reload\n",
					"enable the unit":          "systemctl enable " + cluster.DataUnit + "\n",
					// Not waiting: nodeadm starts the kubelet after the
					// script, and the node must join before its volume is
					// free (the old node holds it until drained).
					"start it without waiting": "systemctl start --no-block " + cluster.DataUnit + "\n",
				} {
					if !strings.Contains(script, want) {
						t.Errorf("%s script does not %s (%q)", n.Name, what, want)
					}
				}
				unit := heredoc(t, script, dataUnitPath, "UNIT")
				for _, want := range []string{"Type=oneshot\n", "ExecStart=" + dataScriptPath + "\n", "Restart=on-failure\n", "After=network-online.target\n", "WantedBy=multi-user.target\n"} {
					if !strings.Contains(unit, want) {
						t.Errorf("%s unit lacks %q:\n%s", n.Name, want, unit)
					}
				}
			}
		})
	}
}

func TestEachBpaNodeAttachesItsOwnVolumeAndLabelsItselfOnlyOnceItsDataIsReady(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.Stacks(t) {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			r := rendered(t, stack)
			bucket := cloudfake.Outputs(bucketType, "cluster-bundle",
				resource.PropertyMap{"bucketPrefix": resource.NewProperty(stacktest.NamePrefix(t, stack) + "-bpa-bundle-")})["bucket"].StringValue()
			if r.buckets["cluster-bundle"] != bucket {
				t.Fatalf("bundle bucket named %q in the run, want %q", r.buckets["cluster-bundle"], bucket)
			}
			for _, n := range cluster.Nodes {
				_, script := bpaScript(t, r, n.Name)
				data := heredoc(t, script, dataScriptPath, "SCRIPT")
				volume := r.volumeIDs["cluster-data-"+n.Name]
				if volume == "" {
					t.Fatalf("no data volume for %s", n.Name)
				}
				vars := "region=" + stackRegion(t, stack) + " cluster=" + stacktest.NamePrefix(t, stack) + " volume=" + volume + " device=" + cluster.DataDevice + "\n"
				if !strings.Contains(data, vars) {
					t.Errorf("%s data script does not name its own volume and the cluster (%q)", n.Name, vars)
				}
				for _, other := range cluster.Nodes {
					if other.Name != n.Name && strings.Contains(script, r.volumeIDs["cluster-data-"+other.Name]) {
						t.Errorf("%s user data names %s's volume", n.Name, other.Name)
					}
				}
				// Each step, in the order the script must take them.
				steps := []struct{ what, text string }{
					{"wait for the volume to be free", `if [ "$state" = available ]; then`},
					{"attach it by id", `aws ec2 attach-volume --region "$region" --volume-id "$volume" --instance-id "$instance" --device "$device"`},
					{"format only a blank volume", `if [ -z "$(blkid -o value -s TYPE "$device" || true)" ]; then` + "\n  mkfs.xfs -L " + cluster.DataLabel + ` "$device"` + "\nfi\n"},
					{"mount by label at " + cluster.DataMount, "echo 'LABEL=" + cluster.DataLabel + " " + cluster.DataMount + " xfs defaults,noatime,nofail"},
					{"mount it", "mountpoint -q " + cluster.DataMount + " || mount " + cluster.DataMount + "\n"},
					{"make the data root", "install -d -m 0755 -o root -g root " + cluster.DataRoot + "\n"},
					{"copy the bundle", `aws s3 sync --region "$region" --only-show-errors --exclude 'data/*' "s3://` + bucket + `/` + cluster.BundlePrefix + `/" ` + cluster.DataMount + "/\n"},
					{"label itself for the chart", `-X PATCH -H 'Content-Type: application/merge-patch+json' \` + "\n" + `  -d '{"metadata":{"labels":{"` + cluster.NodeLabelKey + `":"` + n.Name + `"}}}' "$server/api/v1/nodes/$node"`},
				}
				at := map[string]int{}
				last := -1
				for _, s := range steps {
					i := strings.Index(data, s.text)
					if i < 0 {
						t.Errorf("%s data script does not %s (%q)", n.Name, s.what, s.text)
						continue
					}
					if i <= last {
						t.Errorf("%s data script does not %s after the step before", n.Name, s.what)
					}
					at[s.what], last = i, i
				}
				// Every directory is made on the mounted volume, before the
				// node is labelled.
				for _, d := range n.DataDirs {
					i := strings.Index(data, " "+path.Join(cluster.DataRoot, d)+"\n")
					if i < at["mount it"] || i > at["copy the bundle"] {
						t.Errorf("%s makes %s outside the mounted volume or after it is labelled", n.Name, d)
					}
				}
				if strings.Count(data, "mkfs") != 1 || strings.Count(script, "attach-volume") != 1 || strings.Count(script, "-X PATCH") != 1 {
					t.Errorf("%s formats, attaches or labels in more than one place", n.Name)
				}
				for _, s := range []string{"mkfs", "attach-volume", "-X PATCH"} {
					if strings.Index(script, s) < strings.Index(script, "cat > "+dataScriptPath) {
						t.Errorf("%s user data runs %s outside the data unit", n.Name, s)
					}
				}
				if strings.Contains(script, "/opt xfs") || strings.Contains(script, "mount /opt\n") {
					t.Errorf("%s mounts its data over the image's /opt", n.Name)
				}
			}
		})
	}
}

func TestEachBpaNodeMakesOnlyItsOwnDirectoriesWithTheConfiguredOwnerAndMode(t *testing.T) {
	t.Parallel()
	overrides := map[string]string{"kafka1": "-m 0750 -o 1001 -g 1001", "metrics/grafana": "-m 0700 -o 472 -g 472"}
	cases := map[string]func(map[string]string){
		// The stack's own: Pulumi.yaml's default is the guide's, root's
		// and world-writable.
		"default": nil,
		"overridden": func(cfg map[string]string) {
			cfg["bpa:bpaDataDirectories"] = `{"kafka1": "1001:1001:0750", "metrics/grafana": "472:472:0700"}`
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// What the stack's settings give each directory, as the
			// script's install -d options.
			dirs := map[string]string{}
			if err := json.Unmarshal([]byte(stacktest.Setting(t, stacktest.Lab, "bpa:bpaDataDirectories")), &dirs); err != nil {
				t.Fatalf("bpa:bpaDataDirectories: %v", err)
			}
			for d, spec := range dirs {
				dirs[d] = installOptions(t, spec)
			}
			if change != nil {
				dirs = overrides
			}
			dirDefault := installOptions(t, stacktest.Setting(t, stacktest.Lab, "bpa:bpaDataDirectoryDefault"))
			r := render(t, stacktest.Lab, change)
			for _, n := range cluster.Nodes {
				_, script := bpaScript(t, r, n.Name)
				data := heredoc(t, script, dataScriptPath, "SCRIPT")
				made := map[string]string{}
				for _, line := range strings.Split(data, "\n") {
					rest, ok := strings.CutPrefix(line, "install -d ")
					if !ok {
						continue
					}
					i := strings.LastIndex(rest, " ")
					made[rest[i+1:]] = rest[:i]
				}
				wantMade := map[string]string{cluster.DataRoot: "-m 0755 -o root -g root"}
				for _, d := range n.DataDirs {
					wantMade[path.Join(cluster.DataRoot, d)] = dirDefault
					if options, over := dirs[d]; over {
						wantMade[path.Join(cluster.DataRoot, d)] = options
					}
				}
				if fmt.Sprint(made) != fmt.Sprint(wantMade) {
					t.Errorf("%s makes %v, want exactly %v", n.Name, made, wantMade)
				}
				for _, other := range cluster.Nodes {
					for _, d := range other.DataDirs {
						if !slices.Contains(n.DataDirs, d) && strings.Contains(script, path.Join(cluster.DataRoot, d)) {
							t.Errorf("%s script mentions %s of %s", n.Name, d, other.Name)
						}
					}
				}
			}
		})
	}
}

// installOptions are install -d's options for a directory setting
// "<uid>:<gid>:<octal mode>" ("-m 0777 -o 0 -g 0").
func installOptions(t *testing.T, spec string) string {
	t.Helper()
	f := strings.Split(spec, ":")
	if len(f) != 3 {
		t.Fatalf("directory setting %q is not <uid>:<gid>:<octal mode>", spec)
	}
	mode, err := strconv.ParseUint(f[2], 8, 32)
	if err != nil {
		t.Fatalf("directory setting %q: %v", spec, err)
	}
	return fmt.Sprintf("-m %04o -o %s -g %s", mode, f[0], f[1])
}

func TestBpaNodeUserDataDependsOnItsOwnVolumeAndTheBundleBucket(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		bucket := stacktest.Must(t, rec, bucketType, "cluster-bundle")
		for _, n := range cluster.Nodes {
			lt := stacktest.Must(t, rec, ltType, "cluster-bpa-"+n.Name)
			want := []string{stacktest.Must(t, rec, volumeType, "cluster-data-"+n.Name).URN, bucket.URN}
			slices.Sort(want)
			if got := lt.PropertyDependencies["userData"]; !slices.Equal(got, want) {
				t.Errorf("%s user data is computed from %v, want its own volume and the bundle bucket %v", n.Name, got, want)
			}
		}
	})
}

func TestGeneralNodesOnlySetMaxPods(t *testing.T) {
	t.Parallel()
	// Whatever the stack files say, this run has general nodes.
	rec, err := stacktest.Run(t, stacktest.Lab, func(cfg map[string]string) { cfg["bpa:generalNodeCount"] = "2" })
	if err != nil {
		t.Fatal(err)
	}
	parts := userDataParts(t, stacktest.Must(t, rec, ltType, "cluster-general"))
	if len(parts) != 1 || !strings.Contains(parts["application/node.eks.aws"], "maxPods: 44") {
		t.Errorf("general node user data: %v", parts)
	}
	if strings.Contains(parts["application/node.eks.aws"], cluster.DataUnit) {
		t.Error("general nodes install the BPA data unit")
	}
}
