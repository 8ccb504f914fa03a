// Package component holds what every BPA component shares: the facts of
// the stack it belongs to, and the one way a component checks its
// arguments, registers itself and builds its children.
package component

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Stack is what every AWS component knows about the stack it belongs to.
type Stack struct {
	// NamePrefix starts every Name tag and physical name ("acme-prod").
	NamePrefix string
	// Region is the stack's AWS region ("us-west-2").
	Region string
	// Account is the AWS account id the stack deploys to (key policies and
	// ARNs name it), looked up once by the program.
	Account pulumi.StringOutput
	// Protect marks stateful resources protected and turns on the services'
	// own deletion protection.
	Protect bool
	// Tags are the stack's tags, for what the AWS provider's default tags
	// do not reach (instances a launch template starts, Atlas resources).
	Tags map[string]string
}

// Check reports the stack facts a component cannot do without.
func (s Stack) Check() error {
	var errs []error
	if s.NamePrefix == "" {
		errs = append(errs, errors.New("NamePrefix is required"))
	}
	if s.Region == "" {
		errs = append(errs, errors.New("a Region is required"))
	}
	if s.Account.OutputState == nil {
		errs = append(errs, errors.New("the Account id is required"))
	}
	return errors.Join(errs...)
}

// Deployer is the machine that runs `pulumi up` for the stack (a CI runner
// in the VPC or one peered with it): the private EKS API and RDS admit it as
// they admit the bastion.
type Deployer struct {
	// Cidrs are its source ranges.
	Cidrs []string
	// SecurityGroupId is its security group in the stack's VPC, if it has one.
	SecurityGroupId string
}

// Args are a component's arguments; Check reports every problem at once,
// and ErrNoArgs for a nil pointer.
type Args interface {
	Check() error
}

// ErrNoArgs is what Check returns for nil arguments.
var ErrNoArgs = errors.New("args are required")

// Build checks args, registers the component under token and runs its build
// steps in order. Nothing is registered when args are invalid, and every
// error names the component.
func Build(ctx *pulumi.Context, token, name string, c pulumi.ComponentResource, args Args, opts []pulumi.ResourceOption, steps ...func() error) error {
	kind := strings.ToLower(token[strings.LastIndex(token, ":")+1:])
	if args == nil {
		return fmt.Errorf("%s %s: %w", kind, name, ErrNoArgs)
	}
	if err := args.Check(); err != nil {
		return fmt.Errorf("%s %s: invalid args: %w", kind, name, err)
	}
	if err := ctx.RegisterComponentResource(token, name, c, opts...); err != nil {
		return fmt.Errorf("register %s %s: %w", kind, name, err)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("%s %s: %w", kind, name, err)
		}
	}
	return nil
}
