package cluster_test

import (
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// userDataParts decodes a launch template's user data into its MIME parts by
// content type.
func userDataParts(t *testing.T, lt *harness.Resource) map[string]string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(stacktest.Input(lt, "userData").(string))
	if err != nil {
		t.Fatalf("%s user data is not base64: %v", lt.Name, err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("%s user data is not a MIME document: %v", lt.Name, err)
	}
	media, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || media != "multipart/mixed" {
		t.Fatalf("%s user data is %q, managed node groups need multipart/mixed", lt.Name, media)
	}
	parts := map[string]string{}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", lt.Name, err)
		}
		body, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = string(body)
	}
	return parts
}

func TestEachBpaNodePreparesItsDiskKernelAndOnlyItsOwnDirectories(t *testing.T) {
	t.Parallel()
	maxPods := map[string]string{"dev": "maxPods: 44", "prod": "maxPods: 44"}
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		for _, n := range cluster.Nodes {
			parts := userDataParts(t, stacktest.Must(t, rec, ltType, "cluster-bpa-"+n.Name))
			nodeConfig := parts["application/node.eks.aws"]
			if !strings.Contains(nodeConfig, "kind: NodeConfig") || !strings.Contains(nodeConfig, maxPods[stack]) {
				t.Errorf("%s NodeConfig does not set max pods for custom networking:\n%s", n.Name, nodeConfig)
			}
			script := parts["text/x-shellscript"]
			for what, want := range map[string]string{
				"format only a blank volume": `if [ -z "$(blkid -o value -s TYPE "$device" || true)" ]; then`,
				"make xfs with the label":    "mkfs.xfs -L bpa-data",
				"fstab entry":                "LABEL=bpa-data /opt xfs defaults,noatime,nofail",
				"mount /opt":                 "mountpoint -q /opt || mount /opt",
				"persist max_map_count":      "printf 'vm.max_map_count = 262144\\n' > /etc/sysctl.d/90-bpa.conf",
				"apply it now":               "sysctl --load /etc/sysctl.d/90-bpa.conf",
				"keep /opt's contents":       "cp -a /opt/. /mnt/bpa-data/",
			} {
				if !strings.Contains(script, want) {
					t.Errorf("%s script does not %s (%q)", n.Name, what, want)
				}
			}
			if strings.Count(script, "mkfs") != 1 || strings.Contains(script, "777") {
				t.Errorf("%s script formats more than once or opens directories to everyone", n.Name)
			}
			var made []string
			for _, line := range strings.Split(script, "\n") {
				if strings.HasPrefix(line, "install -d -m 0770 -o 1000 -g 1000 ") {
					made = append(made, strings.TrimPrefix(line, "install -d -m 0770 -o 1000 -g 1000 "))
				}
			}
			var want []string
			for _, d := range n.DataDirs {
				want = append(want, path.Join(cluster.DataRoot, d))
			}
			slices.Sort(made)
			slices.Sort(want)
			if !slices.Equal(made, want) {
				t.Errorf("%s makes %v, want exactly %v", n.Name, made, want)
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

func TestGeneralNodesOnlySetMaxPods(t *testing.T) {
	t.Parallel()
	rec := stacktest.Preview(t, "prod")
	parts := userDataParts(t, stacktest.Must(t, rec, ltType, "cluster-general"))
	if len(parts) != 1 || !strings.Contains(parts["application/node.eks.aws"], "maxPods: 44") {
		t.Errorf("general node user data: %v", parts)
	}
}
