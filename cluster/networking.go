package cluster

import (
	"encoding/json"
	"fmt"
	"reflect"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ENIConfigType is the VPC CNI's custom resource naming a zone's pod subnet.
const ENIConfigType = "kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig"

// ZoneLabel selects each node's ENIConfig: ENIConfigs are named after zones.
const ZoneLabel = "topology.kubernetes.io/zone"

// VpcCniSettings turn on custom networking: pods take addresses from the
// ENIConfig of their node's zone instead of the node's subnet.
var VpcCniSettings = map[string]string{
	"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
	"ENI_CONFIG_LABEL_DEF":               ZoneLabel,
}

// podNetworking configures the VPC CNI add-on and one ENIConfig per zone.
// Both must be in place before any node joins, or the first nodes hand out
// primary-range addresses until they are replaced.
func (b *builder) podNetworking() error {
	values, err := json.Marshal(map[string]any{"env": VpcCniSettings})
	if err != nil {
		return err
	}
	cni, err := b.addon("vpc-cni", b.args.AddonVersions.VpcCni, &awseks.AddonArgs{
		ConfigurationValues: pulumi.String(string(values)),
	})
	if err != nil {
		return err
	}
	b.podNetworkDone = append(b.podNetworkDone, cni)
	for i, zone := range b.args.AvailabilityZones {
		var eni eniConfig
		err := b.ctx.RegisterResource(ENIConfigType, b.name+"-eniconfig-"+zone, &eniConfigArgs{
			ApiVersion: pulumi.String("crd.k8s.amazonaws.com/v1alpha1"),
			Kind:       pulumi.String("ENIConfig"),
			Metadata:   metav1.ObjectMetaArgs{Name: pulumi.String(zone)},
			Spec: pulumi.Map{
				"subnet":         zoneIndex(b.args.PodSubnetIds, i),
				"securityGroups": pulumi.StringArray{b.podSG.ID()},
			},
		}, &eni, b.parent, pulumi.Provider(b.kube),
			// The ENIConfig definition ships with the VPC CNI.
			pulumi.DependsOn([]pulumi.Resource{cni}))
		if err != nil {
			return fmt.Errorf("create ENIConfig for %s: %w", zone, err)
		}
		b.podNetworkDone = append(b.podNetworkDone, &eni)
	}
	return nil
}

// eniConfig is a typed ENIConfig, registered the way crd2pulumi's output does
// without importing the whole Kubernetes API surface.
type eniConfig struct {
	pulumi.CustomResourceState
}

type eniConfigArgs struct {
	ApiVersion pulumi.StringInput     `pulumi:"apiVersion"`
	Kind       pulumi.StringInput     `pulumi:"kind"`
	Metadata   metav1.ObjectMetaInput `pulumi:"metadata"`
	Spec       pulumi.MapInput        `pulumi:"spec"`
}

type eniConfigPlainArgs struct {
	ApiVersion string            `pulumi:"apiVersion"`
	Kind       string            `pulumi:"kind"`
	Metadata   metav1.ObjectMeta `pulumi:"metadata"`
	Spec       map[string]any    `pulumi:"spec"`
}

func (eniConfigArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*eniConfigPlainArgs)(nil)).Elem()
}
