package enginetest

import (
	"encoding/json"
	"fmt"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy/deploytest"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/providers"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
)

// constructEks stands in for pulumi-eks v2.8.1's multi-language component
// eks:index:Cluster. It registers the children pulumi-eks registers for the
// program's arguments, with the names and parents it gives them, and
// returns the component's outputs as pulumi-eks does (resource references
// where the schema says so). Sources, all in pulumi/pulumi-eks at v2.8.1
// (commit d4f539f9):
//   - the component takes the construct's protect; children inherit it
//     (nodejs/eks/cmd/provider/cluster.ts; the Node SDK's resource.ts);
//   - ${name}-eksCluster: cluster.ts:586-640, accessConfig 621-629;
//   - ${name}-eks-k8s and ${name}-provider: cluster.ts:739-746, 1964-1970;
//   - ${name}-instanceRole ServiceRole (role + three managed policies) and
//     its EC2_LINUX access entry ${name}-defaultNodeGroupInstanceRole, unless
//     instanceRoles is given, even empty: cluster.ts:753-790, 850-864,
//     servicerole.ts:82-104;
//   - ${name}-<key> access entries and ${name}-<key>-<policy> associations:
//     cluster.ts:866-872, authenticationMode.ts:184-210;
//   - ${name}-nodeSecurityGroup and its five rules, created whatever the
//     arguments (no skipDefaultSecurityGroups before v3.0.0):
//     securitygroup.ts:101-188, cluster.ts:1919-1936;
//   - ${name}-oidcProvider with createOidcProvider: cluster.ts:1035-1052;
//   - outputs: provider/cmd/pulumi-resource-eks/schema.json (Cluster, CoreData).
func constructEks(req plugin.ConstructRequest, mon *deploytest.ResourceMonitor, versions map[string]semver.Version) (plugin.ConstructResponse, error) {
	if req.Type != "eks:index:Cluster" {
		return plugin.ConstructResponse{}, fmt.Errorf("enginetest: no fake for component %s", req.Type)
	}
	c := &eksConstruct{name: req.Name, in: resource.ToResourcePropertyMap(req.Inputs), mon: mon, awsProvider: req.Options.Providers["aws"], versions: versions}
	comp, err := mon.RegisterResource(req.Type, req.Name, false, deploytest.ResourceOptions{
		Parent: req.Parent, Protect: req.Options.Protect, Providers: req.Options.Providers,
		Dependencies: req.Options.Dependencies, AliasURNs: aliases(req.Options.Aliases),
	})
	if err != nil {
		return plugin.ConstructResponse{}, err
	}
	c.urn = comp.URN
	outputs, err := c.children(req.Options.Dependencies)
	if err != nil {
		return plugin.ConstructResponse{}, fmt.Errorf("eks fake %s: %w", req.Name, err)
	}
	if err := mon.RegisterResourceOutputs(comp.URN, outputs); err != nil {
		return plugin.ConstructResponse{}, err
	}
	return plugin.ConstructResponse{URN: comp.URN, Outputs: resource.FromResourcePropertyMap(outputs)}, nil
}

func aliases(in []resource.Alias) []resource.URN {
	var out []resource.URN
	for _, a := range in {
		if a.URN != "" {
			out = append(out, a.URN)
		}
	}
	return out
}

type eksConstruct struct {
	name        string
	urn         resource.URN
	in          resource.PropertyMap
	mon         *deploytest.ResourceMonitor
	awsProvider string
	versions    map[string]semver.Version
}

// child registers a custom child; parent "" is the component.
func (c *eksConstruct) child(typ, name string, parent resource.URN, inputs resource.PropertyMap, deps ...resource.URN) (*deploytest.RegisterResourceResponse, error) {
	if parent == "" {
		parent = c.urn
	}
	opts := deploytest.ResourceOptions{Parent: parent, Inputs: inputs, Dependencies: deps}
	if !providers.IsProviderType(tokens.Type(typ)) {
		opts.Provider = c.awsProvider
	} else {
		opts.Version = c.versions["kubernetes"].String()
	}
	resp, err := c.mon.RegisterResource(tokens.Type(typ), name, true, opts)
	if err != nil {
		return nil, fmt.Errorf("register %s %s: %w", typ, name, err)
	}
	return resp, nil
}

func ref(r *deploytest.RegisterResourceResponse) resource.PropertyValue {
	return resource.MakeCustomResourceReference(r.URN, r.ID, "")
}

func (c *eksConstruct) input(k string) resource.PropertyValue { return c.in[resource.PropertyKey(k)] }

func (c *eksConstruct) children(deps []resource.URN) (resource.PropertyMap, error) {
	n := c.name
	str := func(s string) resource.PropertyValue { return resource.NewProperty(s) }
	clusterSG := c.input("clusterSecurityGroup")
	serviceRole := c.input("serviceRole")
	accessConfig := resource.PropertyMap{"bootstrapClusterCreatorAdminPermissions": resource.NewProperty(true)}
	if v := c.input("authenticationMode"); !v.IsNull() {
		accessConfig["authenticationMode"] = v
	}
	cluster, err := c.child("aws:eks/cluster:Cluster", n+"-eksCluster", "", resource.PropertyMap{
		"name":    c.input("name"),
		"version": c.input("version"),
		"roleArn": str(arnOf(serviceRole)),
		"vpcConfig": resource.NewProperty(resource.PropertyMap{
			"subnetIds":             c.input("privateSubnetIds"),
			"securityGroupIds":      resource.NewProperty([]resource.PropertyValue{idOf(clusterSG)}),
			"endpointPrivateAccess": c.input("endpointPrivateAccess"),
			"endpointPublicAccess":  c.input("endpointPublicAccess"),
			"publicAccessCidrs":     c.input("publicAccessCidrs"),
		}),
		"enabledClusterLogTypes": c.input("enabledClusterLogTypes"),
		"encryptionConfig": resource.NewProperty(resource.PropertyMap{
			"provider":  resource.NewProperty(resource.PropertyMap{"keyArn": c.input("encryptionConfigKeyArn")}),
			"resources": resource.NewProperty([]resource.PropertyValue{str("secrets")}),
		}),
		"accessConfig": resource.NewProperty(accessConfig),
		"tags":         c.input("tags"),
	}, deps...)
	if err != nil {
		return nil, err
	}
	endpoint, issuer := cluster.Outputs["endpoint"], resource.NewNullProperty()
	if ids := cluster.Outputs["identities"]; ids.IsArray() && len(ids.ArrayValue()) > 0 {
		issuer = dig(ids.ArrayValue()[0], "oidcs", 0, "issuer")
	}
	kubeconfig := c.kubeconfig(cluster)

	eksK8s, err := c.child("pulumi:providers:kubernetes", n+"-eks-k8s", "", resource.PropertyMap{"kubeconfig": kubeconfig})
	if err != nil {
		return nil, err
	}

	var instanceRoles []resource.PropertyValue
	if roles := c.input("instanceRoles"); roles.IsArray() {
		instanceRoles = roles.ArrayValue()
	} else if err := c.defaultInstanceRole(cluster, &instanceRoles); err != nil {
		return nil, err
	}
	if err := c.accessEntries(cluster); err != nil {
		return nil, err
	}

	nodeSG, ingress, err := c.nodeSecurityGroup(clusterSG)
	if err != nil {
		return nil, err
	}

	core := resource.PropertyMap{
		"cluster":              ref(cluster),
		"vpcId":                c.input("vpcId"),
		"subnetIds":            c.input("privateSubnetIds"),
		"privateSubnetIds":     c.input("privateSubnetIds"),
		"endpoint":             endpoint,
		"clusterSecurityGroup": clusterSG,
		"clusterIamRole":       serviceRole,
		"provider":             resource.MakeCustomResourceReference(eksK8s.URN, eksK8s.ID, c.versions["kubernetes"].String()),
		"instanceRoles":        resource.NewProperty(instanceRoles),
		"nodeGroupOptions": resource.NewProperty(resource.PropertyMap{
			"nodeSecurityGroup":  ref(nodeSG),
			"clusterIngressRule": ref(ingress),
		}),
		"kubeconfig": kubeconfig,
		"tags":       c.input("tags"),
	}
	if c.input("createOidcProvider").IsBool() && c.input("createOidcProvider").BoolValue() {
		oidc, err := c.child("aws:iam/openIdConnectProvider:OpenIdConnectProvider", n+"-oidcProvider", "", resource.PropertyMap{
			"url":             issuer,
			"clientIdLists":   resource.NewProperty([]resource.PropertyValue{str("sts.amazonaws.com")}),
			"thumbprintLists": resource.NewProperty([]resource.PropertyValue{str("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")}),
		})
		if err != nil {
			return nil, err
		}
		core["oidcProvider"] = ref(oidc)
	}
	if _, err := c.child("pulumi:providers:kubernetes", n+"-provider", "", resource.PropertyMap{"kubeconfig": kubeconfig}); err != nil {
		return nil, err
	}
	return resource.PropertyMap{
		"eksCluster":            ref(cluster),
		"core":                  resource.NewProperty(core),
		"kubeconfig":            kubeconfig,
		"kubeconfigJson":        kubeconfig,
		"clusterSecurityGroup":  clusterSG,
		"nodeSecurityGroup":     ref(nodeSG),
		"eksClusterIngressRule": ref(ingress),
		"instanceRoles":         resource.NewProperty(instanceRoles),
	}, nil
}

// kubeconfig is pulumi-eks's generated kubeconfig (cluster.ts:207-268):
// endpoint and CA of the cluster, credentials from `aws eks get-token`.
func (c *eksConstruct) kubeconfig(cluster *deploytest.RegisterResourceResponse) resource.PropertyValue {
	endpoint := cluster.Outputs["endpoint"]
	ca := dig(cluster.Outputs["certificateAuthority"], "data")
	if !endpoint.IsString() || !ca.IsString() {
		return resource.MakeComputed(resource.NewProperty(""))
	}
	name := c.input("name")
	doc, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": "aws",
		"clusters": []any{map[string]any{"name": "kubernetes", "cluster": map[string]any{
			"server": endpoint.StringValue(), "certificate-authority-data": ca.StringValue(),
		}}},
		"contexts": []any{map[string]any{"name": "aws", "context": map[string]any{"cluster": "kubernetes", "user": "aws"}}},
		"users": []any{map[string]any{"name": "aws", "user": map[string]any{"exec": map[string]any{
			"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
			"args": []any{"eks", "get-token", "--cluster-name", plainString(name), "--output", "json"},
		}}}},
	})
	if err != nil {
		return resource.MakeComputed(resource.NewProperty(""))
	}
	return resource.NewProperty(string(doc))
}

// defaultInstanceRole is the node role pulumi-eks makes when the program
// names none, and its EC2_LINUX access entry.
func (c *eksConstruct) defaultInstanceRole(cluster *deploytest.RegisterResourceResponse, roles *[]resource.PropertyValue) error {
	n := c.name + "-instanceRole"
	comp, err := c.mon.RegisterResource("eks:index:ServiceRole", n, false, deploytest.ResourceOptions{Parent: c.urn})
	if err != nil {
		return err
	}
	role, err := c.child("aws:iam/role:Role", n+"-role", comp.URN, resource.PropertyMap{
		"assumeRolePolicy": resource.NewProperty(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		return err
	}
	// Suffixes: the first eight hex digits of SHA-1 of each policy ARN
	// (servicerole.ts:20-25).
	for suffix, policy := range map[string]string{
		"03516f97": "AmazonEKSWorkerNodePolicy", "e1b295bd": "AmazonEKS_CNI_Policy", "3eb088f2": "AmazonEC2ContainerRegistryReadOnly",
	} {
		if _, err := c.child("aws:iam/rolePolicyAttachment:RolePolicyAttachment", n+"-"+suffix, comp.URN, resource.PropertyMap{
			"role": role.Outputs["name"], "policyArn": resource.NewProperty("arn:aws:iam::aws:policy/" + policy),
		}); err != nil {
			return err
		}
	}
	if err := c.mon.RegisterResourceOutputs(comp.URN, resource.PropertyMap{"role": ref(role)}); err != nil {
		return err
	}
	*roles = append(*roles, ref(role))
	_, err = c.child("aws:eks/accessEntry:AccessEntry", c.name+"-defaultNodeGroupInstanceRole", "", resource.PropertyMap{
		"clusterName": cluster.Outputs["name"], "principalArn": role.Outputs["arn"], "type": resource.NewProperty("EC2_LINUX"),
	}, cluster.URN)
	return err
}

// accessEntries are the program's accessEntries, each with its policy
// associations as children.
func (c *eksConstruct) accessEntries(cluster *deploytest.RegisterResourceResponse) error {
	entries := c.input("accessEntries")
	if !entries.IsObject() {
		return nil
	}
	obj := entries.ObjectValue()
	for _, key := range obj.StableKeys() {
		e := obj[key].ObjectValue()
		typ := e["type"]
		if typ.IsNull() {
			typ = resource.NewProperty("STANDARD")
		}
		entry, err := c.child("aws:eks/accessEntry:AccessEntry", c.name+"-"+string(key), "", resource.PropertyMap{
			"clusterName": cluster.Outputs["name"], "principalArn": e["principalArn"], "type": typ,
		}, cluster.URN)
		if err != nil {
			return err
		}
		policies := e["accessPolicies"]
		if !policies.IsObject() {
			continue
		}
		for _, pk := range policies.ObjectValue().StableKeys() {
			p := policies.ObjectValue()[pk].ObjectValue()
			if _, err := c.child("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", c.name+"-"+string(key)+"-"+string(pk), entry.URN, resource.PropertyMap{
				"clusterName": cluster.Outputs["name"], "principalArn": e["principalArn"],
				"policyArn": p["policyArn"], "accessScope": p["accessScope"],
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// nodeSecurityGroup is pulumi-eks's node group security group and its
// rules, the last of which it adds to the program's cluster security group.
func (c *eksConstruct) nodeSecurityGroup(clusterSG resource.PropertyValue) (sg, clusterIngress *deploytest.RegisterResourceResponse, err error) {
	n := c.name
	sg, err = c.child("aws:ec2/securityGroup:SecurityGroup", n+"-nodeSecurityGroup", "", resource.PropertyMap{
		"vpcId": c.input("vpcId"), "revokeRulesOnDelete": resource.NewProperty(true),
	})
	if err != nil {
		return nil, nil, err
	}
	rule := func(name, kind, protocol string, from, to int, group, peer resource.PropertyValue, cidr string) (*deploytest.RegisterResourceResponse, error) {
		in := resource.PropertyMap{
			"type": resource.NewProperty(kind), "protocol": resource.NewProperty(protocol),
			"fromPort": resource.NewProperty(float64(from)), "toPort": resource.NewProperty(float64(to)),
			"securityGroupId": group,
		}
		if cidr != "" {
			in["cidrBlocks"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(cidr)})
		} else if peer.IsNull() {
			in["self"] = resource.NewProperty(true)
		} else {
			in["sourceSecurityGroupId"] = peer
		}
		return c.child("aws:ec2/securityGroupRule:SecurityGroupRule", n+"-"+name, "", in)
	}
	nodeID, clusterID := resource.NewProperty(string(sg.ID)), idOf(clusterSG)
	if sg.ID == "" {
		nodeID = resource.MakeComputed(resource.NewProperty(""))
	}
	if _, err = rule("eksNodeIngressRule", "ingress", "-1", 0, 0, nodeID, resource.NewNullProperty(), ""); err != nil {
		return nil, nil, err
	}
	if _, err = rule("eksNodeClusterIngressRule", "ingress", "tcp", 1025, 65535, nodeID, clusterID, ""); err != nil {
		return nil, nil, err
	}
	if _, err = rule("eksExtApiServerClusterIngressRule", "ingress", "tcp", 443, 443, nodeID, clusterID, ""); err != nil {
		return nil, nil, err
	}
	if _, err = rule("eksNodeInternetEgressRule", "egress", "-1", 0, 0, nodeID, resource.NewNullProperty(), "0.0.0.0/0"); err != nil {
		return nil, nil, err
	}
	clusterIngress, err = rule("eksClusterIngressRule", "ingress", "tcp", 443, 443, clusterID, nodeID, "")
	return sg, clusterIngress, err
}

// arnOf is the ARN the fake cloud gives a referenced resource.
func arnOf(v resource.PropertyValue) string {
	if !v.IsResourceReference() {
		return ""
	}
	urn := v.ResourceReferenceValue().URN
	return cloudfake.Outputs(string(urn.Type()), urn.Name(), nil)["arn"].StringValue()
}

// idOf is a referenced resource's id, unknown until it exists.
func idOf(v resource.PropertyValue) resource.PropertyValue {
	if v.IsResourceReference() {
		return v.ResourceReferenceValue().ID
	}
	return resource.MakeComputed(resource.NewProperty(""))
}

func plainString(v resource.PropertyValue) string {
	v = plain(v)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// dig walks objects and arrays; a missing step is null.
func dig(v resource.PropertyValue, path ...any) resource.PropertyValue {
	for _, step := range path {
		v = plain(v)
		switch s := step.(type) {
		case string:
			if !v.IsObject() {
				return resource.NewNullProperty()
			}
			v = v.ObjectValue()[resource.PropertyKey(s)]
		case int:
			if !v.IsArray() || len(v.ArrayValue()) <= s {
				return resource.NewNullProperty()
			}
			v = v.ArrayValue()[s]
		}
	}
	return v
}
