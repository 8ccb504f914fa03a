// Package postrender applies to a rendered BPA chart the one change the
// source guide makes by hand in templates/ingress-controller.yaml: the
// ingress controller's --default-ssl-certificate, pointing at the TLS
// secret the program manages. Helm pipes the rendered manifests through
// cmd/bpa-postrender (the release's postrender), so a new chart version
// keeps the change without anyone editing it.
package postrender

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// TLSSecret is the kubernetes.io/tls secret of the BPA ingress, in the
// release's namespace (the guide's bpa-certificate-ingress).
const TLSSecret = "bpa-certificate-ingress"

// IngressTemplate is the chart template the guide edits.
const IngressTemplate = "templates/ingress-controller.yaml"

// controllerBinary starts the ingress-nginx controller's arguments.
const controllerBinary = "/nginx-ingress-controller"

// CertificateArg is the argument for a TLS secret in the pod's namespace.
func CertificateArg(secret string) string {
	return "--default-ssl-certificate=$(POD_NAMESPACE)/" + secret
}

// Apply adds CertificateArg(secret) to the ingress controller's container
// in a multi-document manifest stream: every Deployment or DaemonSet
// rendered from IngressTemplate, or running the ingress-nginx controller.
// A controller that already names a default certificate is left alone. It
// fails if it finds no controller, so a chart that moved its controller is
// noticed at install time rather than serving a self-signed certificate.
func Apply(in io.Reader, secret string) ([]byte, error) {
	dec := yaml.NewDecoder(in)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	found := false
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read rendered manifests: %w", err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		if patched := patch(&doc, secret); patched {
			found = true
		}
		if err := enc.Encode(&doc); err != nil {
			return nil, fmt.Errorf("write manifests: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("no ingress controller in the rendered chart (a Deployment or DaemonSet from %s, or running %s): the default certificate cannot be set", IngressTemplate, controllerBinary)
	}
	return out.Bytes(), nil
}

// patch adds the argument to the controller containers of one document and
// reports whether the document holds an ingress controller.
func patch(doc *yaml.Node, secret string) bool {
	root := doc.Content[0]
	kind := scalar(get(root, "kind"))
	if kind != "Deployment" && kind != "DaemonSet" {
		return false
	}
	fromTemplate := strings.Contains(doc.HeadComment, IngressTemplate) || strings.Contains(root.HeadComment, IngressTemplate)
	containers := get(get(get(get(root, "spec"), "template"), "spec"), "containers")
	if containers == nil || containers.Kind != yaml.SequenceNode {
		return false
	}
	found := false
	for _, c := range containers.Content {
		args := get(c, "args")
		runsController := args != nil && args.Kind == yaml.SequenceNode && len(args.Content) > 0 &&
			strings.HasPrefix(scalar(args.Content[0]), controllerBinary)
		if !fromTemplate && !runsController {
			continue
		}
		found = true
		if args == nil {
			args = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			c.Content = append(c.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "args"}, args)
		}
		if hasDefaultCertificate(args) {
			continue
		}
		args.Content = append(args.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: CertificateArg(secret)})
	}
	return found
}

func hasDefaultCertificate(args *yaml.Node) bool {
	for _, a := range args.Content {
		if strings.HasPrefix(scalar(a), "--default-ssl-certificate") {
			return true
		}
	}
	return false
}

// get is a mapping node's value for key, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
