package cluster

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TLSPolicy is the listeners' TLS policy: TLS 1.3 and 1.2 with forward secrecy.
const TLSPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

// loadBalancer puts an Application Load Balancer in the public subnets with
// one listener per configured port, each forwarding to a target group on the
// BPA nodes.
func (b *builder) loadBalancer() error {
	args := &lb.LoadBalancerArgs{
		Name:                     pulumi.String(b.args.NamePrefix + "-bpa"),
		LoadBalancerType:         pulumi.String("application"),
		Internal:                 pulumi.Bool(false),
		Subnets:                  b.args.PublicSubnetIds,
		SecurityGroups:           pulumi.StringArray{b.albSG.ID()},
		DropInvalidHeaderFields:  pulumi.Bool(true),
		DesyncMitigationMode:     pulumi.String("strictest"),
		EnableDeletionProtection: pulumi.Bool(b.args.Protect),
		EnableHttp2:              pulumi.Bool(true),
		Tags:                     b.tags("bpa-alb"),
	}
	opts := []pulumi.ResourceOption{b.parent}
	if b.accessLogs != nil {
		args.AccessLogs = lb.LoadBalancerAccessLogsArgs{
			Bucket:  b.accessLogs.bucket,
			Prefix:  pulumi.String(AccessLogPrefix),
			Enabled: pulumi.Bool(true),
		}
		// The load balancer checks at creation that it may write its logs.
		opts = append(opts, pulumi.DependsOn([]pulumi.Resource{b.accessLogs.policy}))
	}
	var err error
	b.alb, err = lb.NewLoadBalancer(b.ctx, b.name+"-alb", args, opts...)
	if err != nil {
		return fmt.Errorf("create load balancer: %w", err)
	}
	for _, l := range b.args.LoadBalancer.Listeners {
		port := strconv.Itoa(l.Port)
		tg, err := lb.NewTargetGroup(b.ctx, b.name+"-tg-"+port, &lb.TargetGroupArgs{
			// No fixed name: a protocol or port change replaces the group,
			// and the new one must not collide with the old.
			TargetType:          pulumi.String("instance"),
			VpcId:               b.args.VpcId,
			Port:                pulumi.Int(l.TargetPort),
			Protocol:            pulumi.String(l.TargetProtocol),
			DeregistrationDelay: pulumi.Int(60),
			HealthCheck: lb.TargetGroupHealthCheckArgs{
				Enabled:  pulumi.Bool(true),
				Protocol: pulumi.String(l.TargetProtocol),
				Port:     pulumi.String("traffic-port"),
				Path:     pulumi.String(l.HealthCheckPath),
				// A node that answers HTTP at all is up; readiness of BPA's
				// services is Kubernetes's job behind the ingress.
				Matcher: pulumi.String("200-499"),
			},
			Tags: b.tags("bpa-" + port),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("create target group for %s: %w", port, err)
		}
		listener := &lb.ListenerArgs{
			LoadBalancerArn: b.alb.Arn,
			Port:            pulumi.Int(l.Port),
			Protocol:        pulumi.String(l.Protocol),
			DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
				Type:           pulumi.String("forward"),
				TargetGroupArn: tg.Arn,
			}},
			Tags: b.tags("bpa-" + port),
		}
		if l.Protocol == "HTTPS" {
			listener.CertificateArn = pulumi.String(b.args.LoadBalancer.CertificateArn)
			listener.SslPolicy = pulumi.String(TLSPolicy)
		}
		if _, err := lb.NewListener(b.ctx, b.name+"-listener-"+port, listener, b.parent); err != nil {
			return fmt.Errorf("create listener %s: %w", port, err)
		}
		// Managed node groups take no target groups; their autoscaling
		// groups do, and register every replacement node themselves.
		for i, ng := range b.bpaGroups {
			asg := ng.Resources.Index(pulumi.Int(0)).AutoscalingGroups().Index(pulumi.Int(0)).Name().Elem()
			if _, err := autoscaling.NewAttachment(b.ctx, b.name+"-tg-"+port+"-"+Nodes[i].Name, &autoscaling.AttachmentArgs{
				AutoscalingGroupName: asg,
				LbTargetGroupArn:     tg.Arn,
			}, b.parent); err != nil {
				return fmt.Errorf("register %s with target group %s: %w", Nodes[i].Name, port, err)
			}
		}
	}
	return nil
}
