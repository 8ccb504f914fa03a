package cluster

import (
	"bytes"
	"encoding/base64"
	"path"
	"text/template"
)

// DataDevice is the data volume's device name in the launch template; Amazon
// Linux 2023's udev rules link the NVMe device to it.
const DataDevice = "/dev/xvdb"

// DataLabel is the data volume's filesystem label, which /etc/fstab mounts by.
const DataLabel = "bpa-data"

// SysctlFile persists the kernel settings Elasticsearch needs.
const SysctlFile = "/etc/sysctl.d/90-bpa.conf"

// mimeBoundary separates the parts of the user data document.
const mimeBoundary = "==BPA-NODE=="

// Managed node groups take user data only as a MIME multipart document. The
// NodeConfig part is merged by nodeadm with the cluster details EKS adds; the
// script runs before nodeadm starts the kubelet, so the node registers with
// its disk, kernel setting and directories ready.
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
# Prepares BPA {{.Node}}: data volume at /opt, vm.max_map_count, and this
# node's hostPath directories.
set -euo pipefail

device={{.Device}}
for _ in $(seq 1 60); do [ -b "$device" ] && break; sleep 2; done
[ -b "$device" ] || { echo "data volume $device is not attached" >&2; exit 1; }

# Format only a blank volume, and carry over what the image keeps in /opt
# (the CNI plugins in /opt/cni/bin) before the volume hides it.
if [ -z "$(blkid -o value -s TYPE "$device" || true)" ]; then
  mkfs.xfs -L {{.Label}} "$device"
  mkdir -p /mnt/bpa-data
  mount "$device" /mnt/bpa-data
  cp -a /opt/. /mnt/bpa-data/
  umount /mnt/bpa-data
fi
grep -q '^LABEL={{.Label}} ' /etc/fstab || echo 'LABEL={{.Label}} /opt xfs defaults,noatime,nofail,x-systemd.device-timeout=60s 0 2' >> /etc/fstab
mountpoint -q /opt || mount /opt

printf 'vm.max_map_count = 262144\n' > {{.SysctlFile}}
sysctl --load {{.SysctlFile}}

# Owned by the pods' user, not world-writable as in the guide.
install -d -m 0755 -o root -g root {{.DataRoot}}
{{- range .Dirs}}
install -d -m 0770 -o {{$.UID}} -g {{$.GID}} {{.}}
{{- end}}
{{- end}}

--{{.Boundary}}--
`))

type userDataParams struct {
	Boundary, Node, Device, Label, SysctlFile, DataRoot string
	MaxPods, UID, GID                                   int
	Dirs                                                []string
}

// nodeUserData renders a node's user data; node is nil for general nodes,
// which only need the kubelet setting.
func nodeUserData(node *BpaNode, maxPods, uid, gid int) (string, error) {
	p := userDataParams{
		Boundary: mimeBoundary, Device: DataDevice, Label: DataLabel, SysctlFile: SysctlFile,
		DataRoot: DataRoot, MaxPods: maxPods, UID: uid, GID: gid,
	}
	if node != nil {
		p.Node = node.Name
		for _, d := range node.DataDirs {
			p.Dirs = append(p.Dirs, path.Join(DataRoot, d))
		}
	}
	var buf bytes.Buffer
	if err := userDataTemplate.Execute(&buf, p); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
