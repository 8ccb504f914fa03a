package cluster

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path"
	"text/template"
)

// DataDevice is the device name the node attaches its data volume as;
// Amazon Linux 2023's udev rules link the NVMe device to it.
const DataDevice = "/dev/xvdb"

// DataLabel is the data volume's filesystem label, which /etc/fstab mounts by.
const DataLabel = "bpa-data"

// DataMount is where the data volume is mounted: the guide's /opt, narrowed
// to /opt/bpa so that a volume coming back from an older node never hides
// the image's own /opt (the CNI plugins in /opt/cni/bin).
const DataMount = "/opt/bpa"

// SysctlFile persists the kernel settings Elasticsearch needs.
const SysctlFile = "/etc/sysctl.d/90-bpa.conf"

// DataUnit is the systemd unit that attaches, mounts and prepares a BPA
// node's data, then labels the node for the chart.
const DataUnit = "bpa-data.service"

// mimeBoundary separates the parts of the user data document.
const mimeBoundary = "==BPA-NODE=="

// Managed node groups take user data only as a MIME multipart document. The
// NodeConfig part is merged by nodeadm with the cluster details EKS adds:
// nodeadm applies parts in document order, later over earlier, and writes
// the merged kubelet config as a drop-in over its own computed maxPods
// (amazon-eks-ami nodeadm/internal/config mime.go, merge.go), so this
// maxPods holds. The script runs before nodeadm starts the kubelet.
//
// A BPA node does not wait for its data before it joins: during a rolling
// update EKS starts the new node first and drains the old one only once the
// new one is Ready, and the old one still holds the volume. So the new node
// joins without the label the chart pins its pods by; bpa-data.service
// waits until the old node has gone and released the volume, attaches and
// mounts it, prepares the directories and the bundle, and only then labels
// the node (a kubelet may set unprefixed labels on its own Node), so the
// drained pods start on their own data.
var userDataTemplate = template.Must(template.New("userdata").Parse(`MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="{{.Boundary}}"

--{{.Boundary}}
Content-Type: application/node.eks.aws

---
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  kubelet:
    config:
      maxPods: {{.MaxPods}}
{{- if .Node}}

--{{.Boundary}}
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
# Prepares BPA {{.Node}}: vm.max_map_count now; its data volume, hostPath
# directories, release bundle and label once the volume is free.
set -euo pipefail

printf 'vm.max_map_count = 262144\n' > {{.SysctlFile}}
sysctl --load {{.SysctlFile}}

cat > /usr/local/sbin/bpa-data <<'SCRIPT'
#!/bin/bash
set -euo pipefail
region={{.Region}} cluster={{.Cluster}} volume={{.VolumeID}} device={{.Device}}
# A fresh IMDSv2 token per call: the wait below can outlast any one token.
imds() {
  local token
  token=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')
  curl -sf -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}
instance=$(imds instance-id)

# The volume is free once the node it served is gone.
until [ -b "$device" ]; do
  state=$(aws ec2 describe-volumes --region "$region" --volume-ids "$volume" --query 'Volumes[0].State' --output text)
  if [ "$state" = available ]; then
    aws ec2 attach-volume --region "$region" --volume-id "$volume" --instance-id "$instance" --device "$device" >/dev/null || true
  fi
  sleep 10
done

# Format only a blank volume: a replaced node keeps its predecessor's data.
if [ -z "$(blkid -o value -s TYPE "$device" || true)" ]; then
  mkfs.xfs -L {{.Label}} "$device"
fi
mkdir -p {{.Mount}}
grep -q '^LABEL={{.Label}} ' /etc/fstab || echo 'LABEL={{.Label}} {{.Mount}} xfs defaults,noatime,nofail,x-systemd.device-timeout=60s 0 2' >> /etc/fstab
mountpoint -q {{.Mount}} || mount {{.Mount}}

# Each hostPath directory with the owner and mode its pods need (hostPath
# ignores fsGroup); install -d also resets them on an existing directory.
install -d -m 0755 -o root -g root {{.DataRoot}}
{{- range .Dirs}}
install -d -m {{printf "%04o" .Mode}} -o {{.UID}} -g {{.GID}} {{.Path}}
{{- end}}

# The release bundle (the guide's scp of the packages to every node).
aws s3 sync --region "$region" --only-show-errors --exclude 'data/*' "s3://{{.Bundle}}/{{.BundlePrefix}}/" {{.Mount}}/

# Only now may the chart's pods, pinned by this label, come here.
kubeconfig=/var/lib/kubelet/kubeconfig
until [ -s "$kubeconfig" ]; do sleep 5; done
server=$(awk '/server:/ {print $2; exit}' "$kubeconfig")
ca=$(awk '/certificate-authority:/ {print $2; exit}' "$kubeconfig")
node=$(imds local-hostname)
api() {
  curl -sf --cacert "$ca" -H "Authorization: Bearer $(aws eks get-token --region "$region" --cluster-name "$cluster" --query status.token --output text)" "$@"
}
until api -o /dev/null "$server/api/v1/nodes/$node"; do sleep 5; done
api -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
  -d '{"metadata":{"labels":{"{{.LabelKey}}":"{{.Node}}"}}}' "$server/api/v1/nodes/$node"
SCRIPT
chmod 0755 /usr/local/sbin/bpa-data

cat > /etc/systemd/system/{{.Unit}} <<'UNIT'
[Unit]
Description=Attach and prepare this BPA node's data, then label the node for the chart
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/bpa-data
Restart=on-failure
RestartSec=15

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable {{.Unit}}
systemctl start --no-block {{.Unit}}
{{- end}}

--{{.Boundary}}--
`))

type userDataParams struct {
	Boundary, Node, Device, Label, SysctlFile, DataRoot, Mount, Unit string
	Region, Cluster, VolumeID, Bundle, BundlePrefix, LabelKey        string
	MaxPods                                                          int
	Dirs                                                             []userDataDir
}

type userDataDir struct {
	Path     string
	UID, GID int
	Mode     uint32
}

// nodeData is what a BPA node's user data names: its volume and the bundle.
type nodeData struct {
	Region, Cluster, VolumeID, Bundle string
	Dirs                              map[string]DataDirectory
}

// nodeUserData renders a node's user data, base64-encoded as launch
// templates take it; node is nil for general nodes, which only need the
// kubelet setting.
func nodeUserData(node *BpaNode, maxPods int, data nodeData) (string, error) {
	p := userDataParams{
		Boundary: mimeBoundary, Device: DataDevice, Label: DataLabel, SysctlFile: SysctlFile,
		DataRoot: DataRoot, Mount: DataMount, Unit: DataUnit, MaxPods: maxPods,
		Region: data.Region, Cluster: data.Cluster, VolumeID: data.VolumeID, Bundle: data.Bundle,
		BundlePrefix: BundlePrefix, LabelKey: NodeLabelKey,
	}
	if node != nil {
		p.Node = node.Name
		for _, d := range node.DataDirs {
			dir, ok := data.Dirs[d]
			if !ok {
				return "", fmt.Errorf("no owner and mode for %s", d)
			}
			p.Dirs = append(p.Dirs, userDataDir{Path: path.Join(DataRoot, d), UID: dir.UID, GID: dir.GID, Mode: dir.Mode})
		}
	}
	var buf bytes.Buffer
	if err := userDataTemplate.Execute(&buf, p); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
