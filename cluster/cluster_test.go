package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

const (
	eksType       = "eks:index:Cluster"
	nodeGroupType = "aws:eks/nodeGroup:NodeGroup"
	ltType        = "aws:ec2/launchTemplate:LaunchTemplate"
	addonType     = "aws:eks/addon:Addon"
	sgType        = "aws:ec2/securityGroup:SecurityGroup"
	ingressType   = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	egressType    = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	attachType    = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	lbType        = "aws:lb/loadBalancer:LoadBalancer"
	listenerType  = "aws:lb/listener:Listener"
	tgType        = "aws:lb/targetGroup:TargetGroup"
	asgAttachType = "aws:autoscaling/attachment:Attachment"
	volumeType    = "aws:ebs/volume:Volume"
	policyType    = "aws:iam/rolePolicy:RolePolicy"
	k8sProvider   = "pulumi:providers:kubernetes"
)

// dependsOnInput reports whether the input key is fed by the resource.
func dependsOnInput(r *harness.Resource, key string, on *harness.Resource) bool {
	return slices.Contains(r.PropertyDependencies[key], on.URN)
}

func TestEveryClusterResourceIsParentedToTheComponent(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		stacktest.Component(t, rec, cluster.TypeToken, "cluster")
	})
}

func TestControlPlaneIsPrivateEncryptedLoggedAndAuthenticatesThroughTheApi(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		cp := stacktest.Must(t, rec, eksType, "cluster-eks")
		if !cp.Remote {
			t.Error("eks.Cluster is not registered as a remote component")
		}
		// An empty bpa:publicAccessCidrs turns the public endpoint off.
		cidrs := stacktest.SettingList(t, stack, "bpa:publicAccessCidrs")
		for path, want := range map[string]any{
			"name": stacktest.NamePrefix(t, stack), "version": stacktest.Setting(t, stack, "bpa:kubernetesVersion"),
			"endpointPrivateAccess": true, "endpointPublicAccess": len(cidrs) > 0,
			"skipDefaultNodeGroup": true, "useDefaultVpcCni": true, "createOidcProvider": true,
			"authenticationMode": "API", "nodeAssociatePublicIpAddress": false,
		} {
			if got := stacktest.Input(cp, path); got != want {
				t.Errorf("eks.Cluster %s = %v, want %v", path, got, want)
			}
		}
		if got := stacktest.Input(cp, "publicAccessCidrs"); !equalStrings(got, cidrs) {
			t.Errorf("public endpoint open to %v, want only %v", got, cidrs)
		}
		// An empty list, not none: pulumi-eks would otherwise make an
		// instance role and an EC2_LINUX access entry of its own.
		if roles, ok := stacktest.Input(cp, "instanceRoles").([]any); !ok || len(roles) != 0 {
			t.Errorf("eks.Cluster instanceRoles = %v, want an empty list", stacktest.Input(cp, "instanceRoles"))
		}
		if got := stacktest.Input(cp, "enabledClusterLogTypes"); !equalStrings(got, cluster.ControlPlaneLogTypes) {
			t.Errorf("control plane logs %v, want all of %v", got, cluster.ControlPlaneLogTypes)
		}
		key := stacktest.Must(t, rec, "aws:kms/key:Key", "cluster-secrets-key")
		if !dependsOnInput(cp, "encryptionConfigKeyArn", key) {
			t.Error("secrets are not envelope-encrypted with the cluster's key")
		}
		if stacktest.Input(key, "enableKeyRotation") != true {
			t.Error("secrets key rotation is off")
		}
		for _, az := range stacktest.Zones(t, stack) {
			if !dependsOnInput(cp, "privateSubnetIds", stacktest.Must(t, rec, "aws:ec2/subnet:Subnet", "network-private-"+az)) {
				t.Errorf("control plane is not in private subnet %s", az)
			}
		}
		if stacktest.Input(cp, "clusterSecurityGroup") != stacktest.Must(t, rec, sgType, "cluster-control-plane").URN {
			t.Errorf("control plane security group is %v, not the cluster's own", stacktest.Input(cp, "clusterSecurityGroup"))
		}
		if stacktest.Input(cp, "serviceRole") != stacktest.Must(t, rec, "aws:iam/role:Role", "cluster-control-plane").URN {
			t.Errorf("control plane role is %v, not the one with the secrets key grant", stacktest.Input(cp, "serviceRole"))
		}
		group := stacktest.Must(t, rec, "aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane-logs")
		if stacktest.Input(group, "name") != "/aws/eks/"+stacktest.NamePrefix(t, stack)+"/cluster" {
			t.Errorf("control plane log group %v is not the one EKS writes to", stacktest.Input(group, "name"))
		}
		if !rec.DependsOn(cp, group) {
			t.Error("EKS may create its own unencrypted log group first")
		}
		if !dependsOnInput(group, "kmsKeyId", stacktest.Must(t, rec, "aws:kms/key:Key", "network-logs-key")) {
			t.Error("control plane log group is not encrypted with the network's logs key")
		}
		wantRetention := float64(stacktest.SettingInt(t, stack, "bpa:clusterLogRetentionDays"))
		if stacktest.Input(group, "retentionInDays") != wantRetention {
			t.Errorf("control plane logs kept %v days, want %v", stacktest.Input(group, "retentionInDays"), wantRetention)
		}
	})
}

func TestSecretsKeyAndLoadBalancerAreProtectedWhereTheStackIsProtectedButNotTheWholeEksComponent(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		want := stacktest.Protected(t, stack)
		if key := stacktest.Must(t, rec, "aws:kms/key:Key", "cluster-secrets-key"); key.Protect != want {
			t.Errorf("%s protect = %v, want %v", key.Name, key.Protect, want)
		}
		// Protect on the component would reach every child pulumi-eks
		// makes: removing an admin role would fail as protected.
		if cp := stacktest.Must(t, rec, eksType, "cluster-eks"); cp.Protect {
			t.Error("the eks.Cluster component is protected, and with it every child it makes")
		}
		alb := stacktest.Must(t, rec, lbType, "cluster-alb")
		if stacktest.Input(alb, "enableDeletionProtection") != want {
			t.Errorf("load balancer deletion protection = %v, want %v", stacktest.Input(alb, "enableDeletionProtection"), want)
		}
	})
}

// protectedBy reports whether a resource's transforms protect a child of the
// given type, as the engine would apply them to the children of a remote
// component.
func protectedBy(r *harness.Resource, typ string) bool {
	protect := false
	for _, tf := range r.Transforms {
		res := tf(context.Background(), &pulumi.ResourceTransformArgs{Custom: true, Type: typ, Name: "child"})
		if res != nil {
			protect = res.Opts.Protect
		}
	}
	return protect
}

func TestOnlyTheControlPlaneInsideTheEksComponentIsProtectedWhereTheStackIsProtected(t *testing.T) {
	t.Parallel()
	children := []string{
		"aws:eks/accessEntry:AccessEntry", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
		"aws:ec2/securityGroup:SecurityGroup", "aws:iam/role:Role", "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
		"pulumi:providers:kubernetes", "eks:index:VpcCniAddon",
	}
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		cp := stacktest.Must(t, rec, eksType, "cluster-eks")
		if got, want := protectedBy(cp, cluster.EKSClusterType), stacktest.Protected(t, stack); got != want {
			t.Errorf("pulumi-eks's %s protected = %v, want %v", cluster.EKSClusterType, got, want)
		}
		for _, typ := range children {
			if protectedBy(cp, typ) {
				t.Errorf("pulumi-eks's %s is protected; only the control plane should be", typ)
			}
		}
	})
}

func TestProtectOnlyLeavesOtherTypesUntouched(t *testing.T) {
	t.Parallel()
	tf := cluster.ProtectOnly("aws:eks/cluster:Cluster")
	props := pulumi.Map{"name": pulumi.String("acme")}
	res := tf(context.Background(), &pulumi.ResourceTransformArgs{Type: "aws:eks/cluster:Cluster", Props: props})
	if res == nil || !res.Opts.Protect || res.Props["name"] != props["name"] {
		t.Errorf("the control plane is not protected with its properties kept: %+v", res)
	}
	if res := tf(context.Background(), &pulumi.ResourceTransformArgs{Type: "aws:eks/accessEntry:AccessEntry"}); res != nil {
		t.Errorf("an access entry is transformed: %+v", res)
	}
}

func TestAdminRolesGetClusterAdminAndViewRolesClusterViewAccessEntries(t *testing.T) {
	t.Parallel()
	admin := "arn:aws:iam::123456789012:role/platform-admins"
	views := []string{"arn:aws:iam::123456789012:role/pr-preview", "arn:aws:iam::123456789012:role/auditors"}
	rec, err := stacktest.Run(t, stacktest.Lab, func(cfg map[string]string) {
		cfg["bpa:adminRoleArns"] = `["` + admin + `"]`
		cfg["bpa:viewRoleArns"] = `["` + strings.Join(views, `","`) + `"]`
	})
	if err != nil {
		t.Fatal(err)
	}
	cp := stacktest.Must(t, rec, eksType, "cluster-eks")
	want := map[string]struct{ arn, association, policy string }{
		"admin-0": {admin, "cluster-admin", cluster.ClusterAdminPolicy},
		"view-0":  {views[0], "cluster-view", cluster.ClusterViewPolicy},
		"view-1":  {views[1], "cluster-view", cluster.ClusterViewPolicy},
	}
	entries, _ := stacktest.Input(cp, "accessEntries").(map[string]any)
	if len(entries) != len(want) {
		t.Errorf("access entries %v, want exactly %v", entries, want)
	}
	for key, w := range want {
		entry := entries[key]
		policies, _ := harness.Dig(entry, "accessPolicies").(map[string]any)
		if harness.Dig(entry, "principalArn") != w.arn || len(policies) != 1 ||
			harness.Dig(entry, "accessPolicies."+w.association+".policyArn") != w.policy ||
			harness.Dig(entry, "accessPolicies."+w.association+".accessScope.type") != "cluster" {
			t.Errorf("access entry %s = %v, want %s with only %s cluster-wide", key, entry, w.arn, w.policy)
		}
	}
}

func TestNoRoleGetsAnAccessEntryUnlessConfigured(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		want := map[string]string{}
		for kind, key := range map[string]string{"admin": "bpa:adminRoleArns", "view": "bpa:viewRoleArns"} {
			for i, arn := range stacktest.SettingList(t, stack, key) {
				want[fmt.Sprintf("%s-%d", kind, i)] = arn
			}
		}
		entries, _ := stacktest.Input(stacktest.Must(t, rec, eksType, "cluster-eks"), "accessEntries").(map[string]any)
		got := map[string]string{}
		for key, entry := range entries {
			got[key], _ = harness.Dig(entry, "principalArn").(string)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("access entries for %v, want exactly the configured roles %v", got, want)
		}
	})
}

// The chart pins its pods by name=node-N, which each node sets on itself
// once its data is in place (userdata.go); a node group carrying it would
// draw the pods to a node still without its volume.
func TestFourBpaNodeGroupsAreNamedButNotLabelledForTheChartAndSpreadOverThreeZones(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		zones := stacktest.Zones(t, stack)
		used := map[string]bool{}
		for _, n := range cluster.Nodes {
			ng := stacktest.Must(t, rec, nodeGroupType, "cluster-bpa-"+n.Name)
			if labels, _ := stacktest.Input(ng, "labels").(map[string]any); len(labels) != 1 || labels[cluster.NodeGroupLabelKey] != n.Name {
				t.Errorf("%s node group labels %v, want only %s=%s", n.Name, labels, cluster.NodeGroupLabelKey, n.Name)
			}
			subnets := stacktest.Input(ng, "subnetIds")
			want := "network-private-" + zones[n.Zone] + "-id"
			if !equalStrings(subnets, []string{want}) {
				t.Errorf("%s is in subnets %v, want only %s", n.Name, subnets, want)
			}
			for _, k := range []string{"desiredSize", "minSize", "maxSize"} {
				if got := stacktest.Input(ng, "scalingConfig."+k); got != 1.0 {
					t.Errorf("%s %s = %v: each BPA label must be exactly one node", n.Name, k, got)
				}
			}
			if stacktest.Input(ng, "amiType") != cluster.AmiType || stacktest.Input(ng, "instanceTypes") != nil {
				t.Errorf("%s: amiType %v, instanceTypes %v (the launch template sets the type)", n.Name,
					stacktest.Input(ng, "amiType"), stacktest.Input(ng, "instanceTypes"))
			}
			if !dependsOnInput(ng, "launchTemplate", stacktest.Must(t, rec, ltType, "cluster-bpa-"+n.Name)) {
				t.Errorf("%s does not use its own launch template", n.Name)
			}
			if n.Name != "node-4" {
				used[zones[n.Zone]] = true
			}
		}
		if len(used) != 3 {
			t.Errorf("node-1..3 share zones: %v", used)
		}
	})
}

func TestBpaNodeGroupsRollOneAtATimeInNodeOrder(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		for i, n := range cluster.Nodes {
			ng := stacktest.Must(t, rec, nodeGroupType, "cluster-bpa-"+n.Name)
			for j, other := range cluster.Nodes {
				waits := slices.Contains(ng.Dependencies, stacktest.Must(t, rec, nodeGroupType, "cluster-bpa-"+other.Name).URN)
				if want := j == i-1; waits != want {
					t.Errorf("%s waits for %s: %v, want %v (each group after the one before only)", n.Name, other.Name, waits, want)
				}
			}
		}
	})
}

func TestEveryNodeGroupFollowsTheControlPlanesVersion(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		cp := stacktest.Must(t, rec, eksType, "cluster-eks")
		for _, ng := range rec.OfType(nodeGroupType) {
			if !dependsOnInput(ng, "version", cp) {
				t.Errorf("%s version %v is not the EKS cluster's version", ng.Name, stacktest.Input(ng, "version"))
			}
		}
	})
}

func TestNodeGroupsWaitForPodNetworkingTheirRoleAndRoutesOut(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		groups := rec.OfType(nodeGroupType)
		if want := nodeGroups(t, stack); len(groups) != want {
			t.Fatalf("%d node groups, want %d", len(groups), want)
		}
		zones := stacktest.Zones(t, stack)
		before := []*harness.Resource{stacktest.Must(t, rec, addonType, "cluster-addon-vpc-cni")}
		for _, az := range zones {
			before = append(before, stacktest.Must(t, rec, cluster.ENIConfigType, "cluster-eniconfig-"+az))
		}
		for _, p := range cluster.NodeManagedPolicies {
			before = append(before, stacktest.Must(t, rec, attachType, "cluster-nodes-"+p))
		}
		// Without it a BPA node can neither attach its data nor read the bundle.
		before = append(before, stacktest.Must(t, rec, policyType, "cluster-nodes-bpa-data"))
		// Nodes join only once their subnets route out (NAT) and, where they
		// exist, the interface endpoints answer.
		for _, az := range zones {
			before = append(before,
				stacktest.Must(t, rec, "aws:ec2/route:Route", "network-private-default-"+az),
				stacktest.Must(t, rec, "aws:ec2/routeTableAssociation:RouteTableAssociation", "network-rta-private-"+az),
				stacktest.Must(t, rec, "aws:ec2/routeTableAssociation:RouteTableAssociation", "network-rta-pod-"+az))
		}
		endpoints := 0
		for _, ep := range rec.OfType("aws:ec2/vpcEndpoint:VpcEndpoint") {
			if stacktest.Input(ep, "vpcEndpointType") == "Interface" && ep.Parent == stacktest.Must(t, rec, "bpa:network:Network", "network").URN {
				before = append(before, ep)
				endpoints++
			}
		}
		// ECR (API and Docker), STS, EC2, CloudWatch Logs and SSM's three.
		want := 0
		if stacktest.SettingBool(t, stack, "bpa:interfaceEndpoints") {
			want = 8
		}
		if endpoints != want {
			t.Errorf("%d interface endpoints, want %d", endpoints, want)
		}
		for _, ng := range groups {
			for _, b := range before {
				if !rec.DependsOn(ng, b) {
					t.Errorf("node group %s does not wait for %s", ng.Name, b.Name)
				}
			}
		}
		for _, name := range []string{"cluster-addon-coredns", "cluster-addon-aws-ebs-csi-driver"} {
			for _, ng := range groups {
				if !rec.DependsOn(stacktest.Must(t, rec, addonType, name), ng) {
					t.Errorf("%s does not wait for node group %s", name, ng.Name)
				}
			}
		}
	})
}

func TestGeneralNodeGroupSpansTheZonesWhenConfigured(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		ng := rec.Find(nodeGroupType, "cluster-general")
		count := stacktest.SettingInt(t, stack, "bpa:generalNodeCount")
		if count == 0 {
			if ng != nil || rec.Find(ltType, "cluster-general") != nil {
				t.Error("bpa:generalNodeCount is 0 but a general node group exists")
			}
			return
		}
		if ng == nil {
			t.Fatalf("bpa:generalNodeCount is %d but there is no general node group", count)
		}
		if got := stacktest.Input(ng, "scalingConfig.desiredSize"); got != float64(count) {
			t.Errorf("general nodes %v, want bpa:generalNodeCount %d", got, count)
		}
		for _, az := range stacktest.Zones(t, stack) {
			if !dependsOnInput(ng, "subnetIds", stacktest.Must(t, rec, "aws:ec2/subnet:Subnet", "network-private-"+az)) {
				t.Errorf("general nodes do not use private subnet %s", az)
			}
		}
	})
}

// The data volumes are no longer in the launch templates (a replaced node
// would lose its data): every template has only the root disk.
func TestLaunchTemplatesRequireIMDSv2OneHopEncryptTheirOnlyDiskAndJoinBothSecurityGroups(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		nodeSG := stacktest.Must(t, rec, sgType, "cluster-nodes")
		eksCluster := stacktest.Must(t, rec, eksType, "cluster-eks")
		rootGiB := map[bool]float64{
			true:  float64(stacktest.SettingInt(t, stack, "bpa:bpaNodeRootVolumeGiB")),
			false: float64(stacktest.SettingInt(t, stack, "bpa:generalNodeRootVolumeGiB")),
		}
		lts := rec.OfType(ltType)
		if want := nodeGroups(t, stack); len(lts) != want {
			t.Errorf("%d launch templates, want %d", len(lts), want)
		}
		for _, lt := range lts {
			checks := map[string]any{
				"metadataOptions.httpTokens": "required",
				// One hop: no pod outside the host network reaches IMDS
				// and the node role's credentials (Checkov CKV_AWS_341).
				"metadataOptions.httpPutResponseHopLimit":       1.0,
				"blockDeviceMappings.0.deviceName":              "/dev/xvda",
				"blockDeviceMappings.0.ebs.encrypted":           "true",
				"blockDeviceMappings.0.ebs.volumeType":          "gp3",
				"blockDeviceMappings.0.ebs.volumeSize":          rootGiB[strings.HasPrefix(lt.Name, "cluster-bpa-node-")],
				"blockDeviceMappings.0.ebs.deleteOnTermination": "true",
			}
			for path, want := range checks {
				if got := stacktest.Input(lt, path); got != want {
					t.Errorf("%s %s = %v, want %v", lt.Name, path, got, want)
				}
			}
			if disks, _ := stacktest.Input(lt, "blockDeviceMappings").([]any); len(disks) != 1 {
				t.Errorf("%s maps %d disks, want only the root disk", lt.Name, len(disks))
			}
			if stacktest.Input(lt, "keyName") != nil {
				t.Errorf("%s has an SSH key", lt.Name)
			}
			if !dependsOnInput(lt, "vpcSecurityGroupIds", nodeSG) || !dependsOnInput(lt, "vpcSecurityGroupIds", eksCluster) {
				t.Errorf("%s does not list the node group and the EKS cluster security group", lt.Name)
			}
		}
	})
}

func TestEachBpaNodeHasAnEncryptedDataVolumeInItsZoneWhereTheStackIsProtected(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		if vols := rec.OfType(volumeType); len(vols) != len(cluster.Nodes) {
			t.Errorf("%d EBS volumes, want one per BPA node", len(vols))
		}
		zones, protect := stacktest.Zones(t, stack), stacktest.Protected(t, stack)
		setting := func(key string) float64 { return float64(stacktest.SettingInt(t, stack, key)) }
		for _, n := range cluster.Nodes {
			vol := stacktest.Must(t, rec, volumeType, "cluster-data-"+n.Name)
			for path, want := range map[string]any{
				"availabilityZone": zones[n.Zone], "type": "gp3", "encrypted": true,
				"size": setting("bpa:bpaNodeDataVolumeGiB"), "iops": setting("bpa:bpaNodeDataVolumeIops"),
				"throughput": setting("bpa:bpaNodeDataVolumeThroughput"),
				// A protected stack keeps a snapshot if the volume is deleted.
				"finalSnapshot": protect,
			} {
				if got := stacktest.Input(vol, path); got != want {
					t.Errorf("%s data volume %s = %v, want %v", n.Name, path, got, want)
				}
			}
			if vol.Protect != protect {
				t.Errorf("%s data volume protect = %v, want %v", n.Name, vol.Protect, protect)
			}
		}
	})
}

func TestDataVolumesTakeTheirSizeAndPerformanceFromConfig(t *testing.T) {
	t.Parallel()
	rec, err := stacktest.Run(t, stacktest.Lab, func(cfg map[string]string) {
		cfg["bpa:bpaNodeDataVolumeGiB"] = "500"
		cfg["bpa:bpaNodeDataVolumeIops"] = "4000"
		cfg["bpa:bpaNodeDataVolumeThroughput"] = "300"
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range cluster.Nodes {
		vol := stacktest.Must(t, rec, volumeType, "cluster-data-"+n.Name)
		if stacktest.Input(vol, "size") != 500.0 || stacktest.Input(vol, "iops") != 4000.0 || stacktest.Input(vol, "throughput") != 300.0 {
			t.Errorf("%s data volume %v GiB, %v IOPS, %v MiB/s, want 500, 4000, 300", n.Name,
				stacktest.Input(vol, "size"), stacktest.Input(vol, "iops"), stacktest.Input(vol, "throughput"))
		}
	}
}

func TestEachZoneHasAnENIConfigForItsPodSubnetAndThePodSecurityGroup(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		podSG := stacktest.Must(t, rec, sgType, "cluster-pods")
		provider := stacktest.Must(t, rec, "pulumi:providers:kubernetes", "cluster-k8s")
		zones := stacktest.Zones(t, stack)
		enis := rec.OfType(cluster.ENIConfigType)
		if len(enis) != len(zones) {
			t.Fatalf("%d ENIConfigs, want one per zone of %v", len(enis), zones)
		}
		for _, az := range zones {
			eni := stacktest.Must(t, rec, cluster.ENIConfigType, "cluster-eniconfig-"+az)
			if stacktest.Input(eni, "metadata.name") != az {
				t.Errorf("ENIConfig %s is named %v; the zone label selects it by name", az, stacktest.Input(eni, "metadata.name"))
			}
			if got := stacktest.Input(eni, "spec.subnet"); got != "network-pod-"+az+"-id" {
				t.Errorf("ENIConfig %s uses subnet %v, want the zone's pod subnet", az, got)
			}
			if got := stacktest.Input(eni, "spec.securityGroups"); !equalStrings(got, []string{"cluster-pods-id"}) || !dependsOnInput(eni, "spec", podSG) {
				t.Errorf("ENIConfig %s security groups %v, want only the pod group", az, got)
			}
			if eni.Provider != provider.URN {
				t.Errorf("ENIConfig %s is not deployed through the cluster's provider", az)
			}
		}
	})
}

func TestVpcCniUsesCustomNetworkingSelectedByZone(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		cni := stacktest.Must(t, rec, addonType, "cluster-addon-vpc-cni")
		var values struct {
			Env map[string]string `json:"env"`
		}
		if err := json.Unmarshal([]byte(stacktest.Input(cni, "configurationValues").(string)), &values); err != nil {
			t.Fatal(err)
		}
		if values.Env["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] != "true" || values.Env["ENI_CONFIG_LABEL_DEF"] != "topology.kubernetes.io/zone" {
			t.Errorf("vpc-cni env %v does not turn on zone-selected custom networking", values.Env)
		}
		if !dependsOnInput(cni, "clusterName", stacktest.Must(t, rec, eksType, "cluster-eks")) {
			t.Error("vpc-cni add-on is not on the cluster")
		}
	})
}

func TestAddonsIncludeEbsCsiWithItsOwnRole(t *testing.T) {
	t.Parallel()
	// bpa:clusterAddonVersions' keys, by add-on.
	keys := map[string]string{"vpc-cni": "vpcCni", "coredns": "coreDns", "kube-proxy": "kubeProxy", "aws-ebs-csi-driver": "ebsCsiDriver"}
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		var pinned map[string]string
		if err := json.Unmarshal([]byte(stacktest.Setting(t, stack, "bpa:clusterAddonVersions")), &pinned); err != nil {
			t.Fatalf("bpa:clusterAddonVersions: %v", err)
		}
		var names []string
		for _, a := range rec.OfType(addonType) {
			name, _ := stacktest.Input(a, "addonName").(string)
			names = append(names, name)
			// Unpinned, EKS picks the version for the Kubernetes version.
			var want any
			if v := pinned[keys[name]]; v != "" {
				want = v
			}
			if got := stacktest.Input(a, "addonVersion"); got != want {
				t.Errorf("%s pins version %v, want %v (bpa:clusterAddonVersions %v)", a.Name, got, want, pinned)
			}
		}
		slices.Sort(names)
		if want := []string{"aws-ebs-csi-driver", "coredns", "kube-proxy", "vpc-cni"}; !slices.Equal(names, want) {
			t.Errorf("add-ons %v, want %v", names, want)
		}
		csi := stacktest.Must(t, rec, addonType, "cluster-addon-aws-ebs-csi-driver")
		if !dependsOnInput(csi, "serviceAccountRoleArn", stacktest.Must(t, rec, "aws:iam/role:Role", "cluster-ebs-csi")) {
			t.Error("EBS CSI driver does not use its IRSA role")
		}
		// Nodes answer IMDS one hop only: the controller gets its region
		// from the add-on configuration (its credentials from IRSA).
		var csiValues map[string]map[string]any
		if err := json.Unmarshal([]byte(stacktest.Input(csi, "configurationValues").(string)), &csiValues); err != nil {
			t.Fatal(err)
		}
		if region := stackRegion(t, stack); len(csiValues) != 1 || len(csiValues["controller"]) != 1 || csiValues["controller"]["region"] != region {
			t.Errorf("EBS CSI configuration %v, want only controller.region %s", csiValues, region)
		}
		attach := stacktest.Must(t, rec, attachType, "cluster-ebs-csi")
		if stacktest.Input(attach, "policyArn") != "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" {
			t.Errorf("EBS CSI role policy %v", stacktest.Input(attach, "policyArn"))
		}
	})
}

func TestNodeRoleCanJoinUseTheCniAndSessionManagerAndPullOnlyEksImages(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		for _, p := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonSSMManagedInstanceCore"} {
			a := stacktest.Must(t, rec, attachType, "cluster-nodes-"+p)
			if stacktest.Input(a, "policyArn") != "arn:aws:iam::aws:policy/"+p {
				t.Errorf("node role attachment %s has policy %v", p, stacktest.Input(a, "policyArn"))
			}
		}
		policy := stacktest.Input(stacktest.Must(t, rec, "aws:iam/rolePolicy:RolePolicy", "cluster-nodes-eks-images"), "policy").(string)
		// 602401143452 serves the regions AWS opened before 2019 (the
		// program keeps the exceptions, cluster/iam.go); the partition is aws.
		if !strings.Contains(policy, "arn:aws:ecr:"+stackRegion(t, stack)+":602401143452:repository/*") {
			t.Errorf("node image pull is not scoped to AWS's EKS registry: %s", policy)
		}
		trust := stacktest.Input(stacktest.Must(t, rec, "aws:iam/role:Role", "cluster-nodes"), "assumeRolePolicy").(string)
		if !strings.Contains(trust, "ec2.amazonaws.com") {
			t.Errorf("node role trust %s", trust)
		}
	})
}

func TestSecurityGroupsDoNotWaitForTheControlPlane(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		cp := stacktest.Must(t, rec, eksType, "cluster-eks")
		for _, name := range []string{"cluster-nodes", "cluster-pods"} {
			if rec.DependsOn(stacktest.Must(t, rec, sgType, name), cp) {
				t.Errorf("%s waits for the control plane; the databases admitting it would too", name)
			}
		}
	})
}

// The load balancer admits the configured ranges on its listener ports
// only; the nodes admit each listener's target port once, from the load
// balancer only, and the load balancer reaches nothing else.
func TestOnlyTheListenersAdmitConfiguredRangesAndTheNodePortOnlyTheLoadBalancer(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		albSG, nodeSG := stacktest.Must(t, rec, sgType, "cluster-alb"), stacktest.Must(t, rec, sgType, "cluster-nodes")
		cpSG, bastion := stacktest.Must(t, rec, sgType, "cluster-control-plane"), stacktest.Must(t, rec, sgType, "network-bastion")
		cidrs := stacktest.SettingList(t, stack, "bpa:loadBalancerIngressCidrs")
		deployerCidrs := stacktest.SettingList(t, stack, "bpa:deployerCidrs")
		ports, targets := map[float64]bool{}, map[float64]bool{}
		for _, l := range stacktest.Config(t, stack).Cluster.LoadBalancer.Listeners {
			ports[float64(l.Port)], targets[float64(l.TargetPort)] = true, true
		}
		listenerRules := map[string]bool{}
		fromALB := map[float64]bool{}
		for _, r := range rec.OfType(ingressType) {
			if !strings.HasPrefix(r.Name, "cluster-") {
				continue
			}
			c, hasCidr := stacktest.Input(r, "cidrIpv4").(string)
			port, _ := stacktest.Input(r, "fromPort").(float64)
			if dependsOnInput(r, "securityGroupId", albSG) {
				if !hasCidr || !slices.Contains(cidrs, c) || !ports[port] || stacktest.Input(r, "toPort") != port || stacktest.Input(r, "ipProtocol") != "tcp" {
					t.Errorf("load balancer rule %s admits %v on %v-%v", r.Name, c, port, stacktest.Input(r, "toPort"))
				}
				listenerRules[fmt.Sprint(port, " from ", c)] = true
				continue
			}
			// bpa:deployerCidrs reach the private API endpoint
			// (TestDeployerReachesThePrivateApiEndpointOnlyWhenConfigured).
			deployer := dependsOnInput(r, "securityGroupId", cpSG) && slices.Contains(deployerCidrs, c) &&
				port == 443 && stacktest.Input(r, "toPort") == 443.0
			if hasCidr && !deployer {
				t.Errorf("%s admits the range %s; only listeners and the deployer admit ranges", r.Name, c)
			}
			if dependsOnInput(r, "referencedSecurityGroupId", albSG) {
				if !dependsOnInput(r, "securityGroupId", nodeSG) || !targets[port] || fromALB[port] || stacktest.Input(r, "toPort") != port {
					t.Errorf("%s admits %v-%v from the load balancer", r.Name, port, stacktest.Input(r, "toPort"))
				}
				fromALB[port] = true
			}
		}
		// An empty bpa:loadBalancerIngressCidrs admits nobody.
		if len(listenerRules) != len(ports)*len(cidrs) {
			t.Errorf("listener rules %v, want each of the ports %v from each of %v", listenerRules, ports, cidrs)
		}
		if len(fromALB) != len(targets) {
			t.Errorf("the load balancer is admitted on %v, want each target port of %v once", fromALB, targets)
		}
		for target := range targets {
			if r := stacktest.Must(t, rec, ingressType, fmt.Sprintf("cluster-nodes-bpa-%v-from-alb", target)); !dependsOnInput(r, "referencedSecurityGroupId", albSG) {
				t.Errorf("node port %v is not admitted from the load balancer's group", target)
			}
			stacktest.Must(t, rec, egressType, fmt.Sprintf("cluster-alb-to-bpa-%v", target))
		}
		for port := range ports {
			for _, c := range cidrs {
				stacktest.Must(t, rec, ingressType, fmt.Sprintf("cluster-alb-%v-from-%s", port, cidrLabel(c)))
			}
		}
		api := stacktest.Must(t, rec, ingressType, "cluster-control-plane-api-from-bastion")
		if !dependsOnInput(api, "securityGroupId", cpSG) || !dependsOnInput(api, "referencedSecurityGroupId", bastion) || stacktest.Input(api, "fromPort") != 443.0 {
			t.Error("administrators on the bastion cannot reach the private API endpoint")
		}
		reached := map[float64]bool{}
		for _, r := range rec.OfType(egressType) {
			if dependsOnInput(r, "securityGroupId", albSG) {
				port, _ := stacktest.Input(r, "fromPort").(float64)
				if !dependsOnInput(r, "referencedSecurityGroupId", nodeSG) || !targets[port] || reached[port] || stacktest.Input(r, "toPort") != port {
					t.Errorf("load balancer egress %s reaches %v on %v-%v", r.Name, stacktest.Input(r, "referencedSecurityGroupId"), port, stacktest.Input(r, "toPort"))
				}
				reached[port] = true
			}
		}
		if len(reached) != len(targets) {
			t.Errorf("the load balancer reaches the nodes on %v, want each target port of %v once", reached, targets)
		}
	})
}

func TestListenersOnDistinctNodePortsGetOneNodeRuleEach(t *testing.T) {
	t.Parallel()
	rec, err := stacktest.Run(t, stacktest.Lab, func(cfg map[string]string) {
		cfg["bpa:loadBalancerIngressCidrs"] = `["203.0.113.0/24"]`
		cfg["bpa:loadBalancerListeners"] = `{"443": {"protocol": "HTTPS", "targetPort": 30101, "targetProtocol": "HTTPS", "healthCheckPath": "/"},` +
			` "8443": {"protocol": "HTTPS", "targetPort": 30101, "targetProtocol": "HTTPS", "healthCheckPath": "/"},` +
			` "30102": {"protocol": "HTTPS", "targetPort": 30102, "targetProtocol": "HTTPS", "healthCheckPath": "/"}}`
	})
	if err != nil {
		t.Fatal(err)
	}
	var nodeRules, albEgress, albIngress, targetGroups []string
	for _, r := range rec.Resources {
		switch {
		case r.Type == ingressType && strings.HasPrefix(r.Name, "cluster-nodes-bpa-"):
			nodeRules = append(nodeRules, r.Name)
		case r.Type == egressType && strings.HasPrefix(r.Name, "cluster-alb-"):
			albEgress = append(albEgress, r.Name)
		case r.Type == ingressType && strings.HasPrefix(r.Name, "cluster-alb-"):
			albIngress = append(albIngress, r.Name)
		case r.Type == tgType:
			targetGroups = append(targetGroups, r.Name)
		}
	}
	for what, c := range map[string]struct{ got, want []string }{
		"node rules":           {nodeRules, []string{"cluster-nodes-bpa-30101-from-alb", "cluster-nodes-bpa-30102-from-alb"}},
		"load balancer egress": {albEgress, []string{"cluster-alb-to-bpa-30101", "cluster-alb-to-bpa-30102"}},
		"listener rules": {albIngress, []string{"cluster-alb-30102-from-203-0-113-0-24", "cluster-alb-443-from-203-0-113-0-24",
			"cluster-alb-8443-from-203-0-113-0-24"}},
		"target groups": {targetGroups, []string{"cluster-tg-30102", "cluster-tg-443", "cluster-tg-8443"}},
	} {
		slices.Sort(c.got)
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s %v, want %v", what, c.got, c.want)
		}
	}
}

func TestOnlyHttpsAndTheConfiguredPodEgressReachOutsideTheVpc(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		podSG := stacktest.Must(t, rec, sgType, "cluster-pods")
		podEgress := stacktest.SettingList(t, stack, "bpa:podEgressCidrs")
		for _, r := range rec.OfType(egressType) {
			if !strings.HasPrefix(r.Name, "cluster-") || stacktest.Input(r, "cidrIpv4") != "0.0.0.0/0" {
				continue
			}
			switch r.Name {
			case "cluster-nodes-to-https":
				if stacktest.Input(r, "fromPort") != 443.0 || stacktest.Input(r, "toPort") != 443.0 || stacktest.Input(r, "ipProtocol") != "tcp" {
					t.Errorf("%s opens more than HTTPS to the internet", r.Name)
				}
			// AWS APIs through IRSA, whatever bpa:podEgressCidrs says.
			case "cluster-pods-to-https":
				if !dependsOnInput(r, "securityGroupId", podSG) || stacktest.Input(r, "fromPort") != 443.0 || stacktest.Input(r, "toPort") != 443.0 {
					t.Errorf("%s opens more than HTTPS to the internet", r.Name)
				}
			// bpa:podEgressCidrs' default: the guide's all outbound.
			case "cluster-pods-to-out-0-0-0-0-0":
				if !slices.Contains(podEgress, "0.0.0.0/0") {
					t.Errorf("%s opens the internet to pods though bpa:podEgressCidrs is %v", r.Name, podEgress)
				}
			default:
				t.Errorf("%s opens the internet", r.Name)
			}
		}
		stacktest.Must(t, rec, egressType, "cluster-pods-to-https")
		for _, c := range podEgress {
			r := stacktest.Must(t, rec, egressType, "cluster-pods-to-out-"+cidrLabel(c))
			if !dependsOnInput(r, "securityGroupId", podSG) || stacktest.Input(r, "ipProtocol") != "-1" || stacktest.Input(r, "cidrIpv4") != c {
				t.Errorf("%s is not the pods' all-traffic rule to %s", r.Name, c)
			}
		}
	})
}

func TestPodsReachExactlyTheConfiguredRangesOutsideTheVpcOnAnyPort(t *testing.T) {
	t.Parallel()
	ranges := []string{"192.0.2.0/24", "198.18.0.0/15"}
	rec, err := stacktest.Run(t, stacktest.Live, func(cfg map[string]string) { cfg["bpa:podEgressCidrs"] = `["` + strings.Join(ranges, `","`) + `"]` })
	if err != nil {
		t.Fatal(err)
	}
	podSG := stacktest.Must(t, rec, sgType, "cluster-pods")
	got := map[string]string{}
	for _, r := range rec.OfType(egressType) {
		if !dependsOnInput(r, "securityGroupId", podSG) {
			continue
		}
		c, _ := stacktest.Input(r, "cidrIpv4").(string)
		if c == "0.0.0.0/0" && r.Name != "cluster-pods-to-https" {
			t.Errorf("%s still opens the internet to pods", r.Name)
		}
		if strings.HasPrefix(r.Name, "cluster-pods-to-out-") {
			got[r.Name] = c
			if stacktest.Input(r, "ipProtocol") != "-1" || stacktest.Input(r, "fromPort") != nil {
				t.Errorf("%s is limited to %v %v; BPA reaches devices on any port", r.Name, stacktest.Input(r, "ipProtocol"), stacktest.Input(r, "fromPort"))
			}
		}
	}
	want := map[string]string{"cluster-pods-to-out-192-0-2-0-24": ranges[0], "cluster-pods-to-out-198-18-0-0-15": ranges[1]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pod egress rules %v, want %v", got, want)
	}
}

func TestDeployerReachesThePrivateApiEndpointOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		var want []string
		for _, c := range stacktest.SettingList(t, stack, "bpa:deployerCidrs") {
			want = append(want, "cluster-control-plane-api-from-deployer-"+cidrLabel(c))
		}
		if stacktest.Setting(t, stack, "bpa:deployerSecurityGroupId") != "" {
			want = append(want, "cluster-control-plane-api-from-deployer")
		}
		var got []string
		for _, r := range rec.OfType(ingressType) {
			if strings.HasPrefix(r.Name, "cluster-control-plane-api-from-deployer") {
				got = append(got, r.Name)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("deployer rules %v, want exactly %v from bpa:deployerCidrs and bpa:deployerSecurityGroupId", got, want)
		}
	})
	rec, err := stacktest.Run(t, stacktest.Live, func(cfg map[string]string) {
		cfg["bpa:deployerCidrs"] = `["10.0.200.0/24", "192.168.10.0/24"]`
		cfg["bpa:deployerSecurityGroupId"] = "sg-0123456789abcdef0"
	})
	if err != nil {
		t.Fatal(err)
	}
	cpSG := stacktest.Must(t, rec, sgType, "cluster-control-plane")
	check := func(name string, source string, value any) {
		r := stacktest.Must(t, rec, ingressType, name)
		if !dependsOnInput(r, "securityGroupId", cpSG) || stacktest.Input(r, source) != value ||
			stacktest.Input(r, "ipProtocol") != "tcp" || stacktest.Input(r, "fromPort") != 443.0 || stacktest.Input(r, "toPort") != 443.0 {
			t.Errorf("%s does not admit %v to the API on 443: %v", name, value, r.Plain())
		}
	}
	check("cluster-control-plane-api-from-deployer-10-0-200-0-24", "cidrIpv4", "10.0.200.0/24")
	check("cluster-control-plane-api-from-deployer-192-168-10-0-24", "cidrIpv4", "192.168.10.0/24")
	check("cluster-control-plane-api-from-deployer", "referencedSecurityGroupId", "sg-0123456789abcdef0")
}

func TestListenersMayAdmitTheInternetButNothingElseDoes(t *testing.T) {
	t.Parallel()
	rec, err := stacktest.Run(t, stacktest.Live, func(cfg map[string]string) { cfg["bpa:loadBalancerIngressCidrs"] = `["0.0.0.0/0"]` })
	if err != nil {
		t.Fatal(err)
	}
	albSG := stacktest.Must(t, rec, sgType, "cluster-alb")
	open := 0
	for _, r := range rec.OfType(ingressType) {
		if stacktest.Input(r, "cidrIpv4") == "0.0.0.0/0" {
			if !dependsOnInput(r, "securityGroupId", albSG) {
				t.Errorf("%s admits the internet", r.Name)
			}
			open++
		}
	}
	if open != 2 {
		t.Errorf("%d rules admit the internet, want the two listeners", open)
	}
}

func TestLoadBalancerForwardsEachListenerToTheBpaNodesIngressNodePort(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		alb := stacktest.Must(t, rec, lbType, "cluster-alb")
		for path, want := range map[string]any{"loadBalancerType": "application", "internal": false, "dropInvalidHeaderFields": true} {
			if got := stacktest.Input(alb, path); got != want {
				t.Errorf("load balancer %s = %v, want %v", path, got, want)
			}
		}
		for _, az := range stacktest.Zones(t, stack) {
			if !dependsOnInput(alb, "subnets", stacktest.Must(t, rec, "aws:ec2/subnet:Subnet", "network-public-"+az)) {
				t.Errorf("load balancer is not in public subnet %s", az)
			}
		}
		for _, port := range []string{"443", "30101"} {
			l := stacktest.Must(t, rec, listenerType, "cluster-listener-"+port)
			tg := stacktest.Must(t, rec, tgType, "cluster-tg-"+port)
			for path, want := range map[string]any{
				"port": json.Number(port), "protocol": "HTTPS", "sslPolicy": cluster.TLSPolicy,
				"certificateArn":        stacktest.Setting(t, stack, "bpa:certificateArn"),
				"defaultActions.0.type": "forward",
			} {
				got := stacktest.Input(l, path)
				if n, ok := want.(json.Number); ok {
					f, _ := n.Float64()
					want = f
				}
				if got != want {
					t.Errorf("listener %s %s = %v, want %v", port, path, got, want)
				}
			}
			if !dependsOnInput(l, "defaultActions", tg) || !dependsOnInput(l, "loadBalancerArn", alb) {
				t.Errorf("listener %s does not forward from the load balancer to its target group", port)
			}
			// Both listeners reach BPA's ingress on NodePort 30101.
			if stacktest.Input(tg, "port") != 30101.0 || stacktest.Input(tg, "protocol") != "HTTPS" || stacktest.Input(tg, "targetType") != "instance" {
				t.Errorf("target group %s: %v", port, tg.Plain())
			}
			for _, n := range cluster.Nodes {
				a := stacktest.Must(t, rec, asgAttachType, "cluster-tg-"+port+"-"+n.Name)
				if !dependsOnInput(a, "autoscalingGroupName", stacktest.Must(t, rec, nodeGroupType, "cluster-bpa-"+n.Name)) || !dependsOnInput(a, "lbTargetGroupArn", tg) {
					t.Errorf("%s is not registered with target group %s", n.Name, port)
				}
			}
		}
	})
}

func TestInvalidClusterConfigRegistersNothing(t *testing.T) {
	t.Parallel()
	rec, err := stacktest.Run(t, stacktest.Live, func(cfg map[string]string) {
		cfg["bpa:certificateArn"] = "arn:aws:iam::123456789012:server-certificate/bpa"
	})
	if err == nil || !strings.Contains(err.Error(), "bpa:certificateArn") {
		t.Fatalf("want an error naming bpa:certificateArn, got %v", err)
	}
	if len(rec.Resources) != 0 {
		t.Errorf("%d resources registered despite invalid config", len(rec.Resources))
	}
}

func equalStrings(got any, want []string) bool {
	list, ok := got.([]any)
	return ok && slices.EqualFunc(list, want, func(v any, w string) bool { return v == w })
}
