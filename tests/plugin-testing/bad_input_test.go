package acceptance

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// A node whose attributes the cases below spoil one at a time.
func badNodeConfig(operatingSystem, podSubnet string) string {
	return `
resource "kubeadm_cluster_ca" "ca" {
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
}

resource "kubeadm_bootstrap_token" "join" {}

resource "kubeadm_ignition_config" "bad" {
  role             = "init"
  name             = "cp-0"
  operating_system = "` + operatingSystem + `"
  cluster_ca       = kubeadm_cluster_ca.ca
  bootstrap_token  = kubeadm_bootstrap_token.join

  cluster {
    name                   = "prod"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.prod.example.internal:6443"
    pod_subnet             = "` + podSubnet + `"
  }
}
`
}

// Each bad input fails the plan with the provider's diagnostic: its summary,
// what is wrong with the value, and the resource it belongs to. Nothing is
// created.
func TestAccBadInput(t *testing.T) {
	cases := []struct {
		name   string
		config string
		want   *regexp.Regexp
	}{
		{
			name:   "token ttl with a unit Go durations lack",
			config: "resource \"kubeadm_bootstrap_token\" \"bad\" {\n  ttl = \"3d\"\n}\n",
			want:   regexp.MustCompile(`(?s)Error: Invalid ttl.*with kubeadm_bootstrap_token\.bad.*ttl = "3d".*unknown\s+unit\s+"d"`),
		},
		{
			name:   "unknown operating system",
			config: badNodeConfig("ubuntu", "192.168.0.0/16"),
			want:   regexp.MustCompile(`(?s)Error: Invalid operating_system.*with kubeadm_ignition_config\.bad.*"ubuntu"\s+is\s+not\s+supported;\s+use\s+one\s+of:\s+"flatcar",\s+"fedora-coreos"`),
		},
		{
			name:   "pod subnet that is not a CIDR",
			config: badNodeConfig("flatcar", "10.244.0.0/33"),
			want:   regexp.MustCompile(`(?s)Error: Invalid pod_subnet.*with kubeadm_ignition_config\.bad.*"10\.244\.0\.0/33"\s+is\s+not\s+a\s+CIDR`),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:          func() { preCheck(t) },
				ExternalProviders: externalProviders(t),
				Steps: []resource.TestStep{
					{
						Config:      tc.config,
						ExpectError: tc.want,
					},
				},
			})
		})
	}
}
