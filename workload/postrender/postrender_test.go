package postrender_test

import (
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/workload/postrender"
)

const rendered = `---
# Source: bpa/templates/ingress-controller.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress-controller
spec:
  template:
    spec:
      containers:
        - name: controller
          image: registry.example/ingress-nginx/controller:v1.11.2
          args:
            - /nginx-ingress-controller
            - --election-id=ingress-controller-leader
---
# Source: bpa/templates/ingress-controller.yaml
apiVersion: v1
kind: Service
metadata:
  name: ingress-controller
spec:
  type: NodePort
---
# Source: bpa/templates/kafka.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: kafka
spec:
  template:
    spec:
      containers:
        - name: kafka
          args: ["--broker"]
`

func TestTheIngressControllerGetsTheDefaultCertificate(t *testing.T) {
	t.Parallel()
	out, err := postrender.Apply(strings.NewReader(rendered), postrender.TLSSecret)
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	arg := "--default-ssl-certificate=$(POD_NAMESPACE)/bpa-certificate-ingress"
	if strings.Count(got, arg) != 1 {
		t.Fatalf("want the argument once, in the controller:\n%s", got)
	}
	if i, j := strings.Index(got, "--election-id"), strings.Index(got, arg); j < i {
		t.Errorf("the argument is not in the controller's args:\n%s", got)
	}
	for _, keep := range []string{"kind: Service", "type: NodePort", "name: kafka", "--broker"} {
		if !strings.Contains(got, keep) {
			t.Errorf("%q was lost:\n%s", keep, got)
		}
	}
}

// A chart that already sets it (or a second pass) is not changed twice.
func TestAnExistingDefaultCertificateIsKept(t *testing.T) {
	t.Parallel()
	once, err := postrender.Apply(strings.NewReader(rendered), postrender.TLSSecret)
	if err != nil {
		t.Fatal(err)
	}
	twice, err := postrender.Apply(strings.NewReader(string(once)), postrender.TLSSecret)
	if err != nil {
		t.Fatal(err)
	}
	if string(once) != string(twice) {
		t.Errorf("second pass changed the manifests:\n%s\n---\n%s", once, twice)
	}
}

// No controller found is an error at install time, not a BPA that serves
// the controller's self-signed certificate.
func TestAChartWithoutAnIngressControllerIsRefused(t *testing.T) {
	t.Parallel()
	_, err := postrender.Apply(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), postrender.TLSSecret)
	if err == nil || !strings.Contains(err.Error(), "no ingress controller") {
		t.Errorf("got %v", err)
	}
}
