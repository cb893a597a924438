package acceptance

import (
	"crypto/x509"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// ephemeralResources gates the ephemeral kubeconfig: Terraform has them from
// 1.10, OpenTofu from 1.11.
var ephemeralResources = featureSince{
	feature:   "ephemeral resources",
	terraform: version.Must(version.NewVersion("1.10.0")),
	opentofu:  version.Must(version.NewVersion("1.11.0")),
}

const kubeconfigServer = "https://api.prod.example.internal:6443"

// The ephemeral admin kubeconfig never reaches a plan or a state, so the
// echo provider (served by the test process, beside the released kubeadm
// provider) carries some of its values into the state of echo.test, where
// the checks below look at them.
func TestAccKubeconfigEphemeral_clientCertificate(t *testing.T) {
	var started time.Time

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:               func() { preCheck(t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{ephemeralResources},
		ExternalProviders:      externalProviders(t),
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"echo": echoprovider.NewProviderServer(),
		},
		Steps: []resource.TestStep{
			{
				PreConfig: func() { started = time.Now() },
				Config: caConfig("ECDSA-P256") + fmt.Sprintf(`
ephemeral "kubeadm_kubeconfig" "admin" {
  cluster_ca         = kubeadm_cluster_ca.ca
  server             = %q
  kubernetes_version = "v1.31.4"
  validity           = "1h"
}

provider "echo" {
  data = {
    host               = ephemeral.kubeadm_kubeconfig.admin.host
    client_certificate = ephemeral.kubeadm_kubeconfig.admin.client_certificate
    expires_at         = ephemeral.kubeadm_kubeconfig.admin.expires_at
  }
}

resource "echo" "admin" {}
`, kubeconfigServer),
				ConfigStateChecks: []statecheck.StateCheck{
					stateFunc(func(s stateView) error { return checkAdminCertificate(s, started) }),
				},
			},
		},
	})
}

// checkAdminCertificate checks the echoed client certificate is kubeadm's
// admin: signed by the CA in the state, for client authentication as
// kubernetes-admin in kubeadm:cluster-admins, valid for about an hour.
func checkAdminCertificate(s stateView, started time.Time) error {
	attrs, err := resourceAttributes(s.state, "echo.admin")
	if err != nil {
		return err
	}
	data, ok := attrs["data"].(map[string]any)
	if !ok {
		return fmt.Errorf("echo.admin data is %T, want an object", attrs["data"])
	}
	if data["host"] != kubeconfigServer {
		return fmt.Errorf("host is %v, want %s", data["host"], kubeconfigServer)
	}
	certPEM, _ := data["client_certificate"].(string)
	cert, err := parseCert(certPEM)
	if err != nil {
		return fmt.Errorf("client_certificate: %w", err)
	}
	caPEM, err := s.attr(caAddr, "ca_cert_pem")
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(caPEM)) {
		return fmt.Errorf("ca_cert_pem holds no certificate")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("the client certificate does not verify against the cluster CA for client auth: %w", err)
	}
	if cert.Subject.CommonName != "kubernetes-admin" || !slices.Equal(cert.Subject.Organization, []string{"kubeadm:cluster-admins"}) {
		return fmt.Errorf("the client certificate is for %q, want CN=kubernetes-admin,O=kubeadm:cluster-admins", cert.Subject)
	}
	expires, _ := data["expires_at"].(string)
	if err := expiresAbout(expires, started, time.Hour); err != nil {
		return fmt.Errorf("expires_at: %w", err)
	}
	if at, _ := time.Parse(time.RFC3339, expires); !at.Equal(cert.NotAfter) {
		return fmt.Errorf("expires_at %s is not the certificate's expiry %s", expires, cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}
