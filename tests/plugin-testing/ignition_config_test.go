package acceptance

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

const (
	initAddr   = "kubeadm_ignition_config.init"
	workerAddr = "kubeadm_ignition_config.worker"
	// baseURL is where the store directory would be served to machines.
	baseURL = "https://ignition.example.internal/configs"
)

// nodesConfig is a CA, a token and two nodes (the first control plane and a
// worker pool) whose configs go to the local store in storeDir.
func nodesConfig(storeDir, tokenTTL string) string {
	return fmt.Sprintf(`
provider "kubeadm" {
  store {
    local {
      path     = %[1]q
      base_url = %[2]q
    }
  }
}

resource "kubeadm_cluster_ca" "ca" {
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
}

resource "kubeadm_bootstrap_token" "join" {
  ttl = %[3]q
}

resource "kubeadm_ignition_config" "init" {
  role            = "init"
  name            = "cp-0"
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join

  cluster {
    name                   = "prod"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.prod.example.internal:6443"
    pod_subnet             = "192.168.0.0/16"
  }
}

resource "kubeadm_ignition_config" "worker" {
  role            = "worker"
  name            = "pool-a"
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join

  cluster {
    name                   = "prod"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.prod.example.internal:6443"
  }

  node {
    labels = { pool = "a" }
  }
}
`, storeDir, baseURL, tokenTTL)
}

// pointer is the part of an Ignition config user_data must consist of.
type pointer struct {
	Ignition struct {
		Version string `json:"version"`
		Config  struct {
			Replace struct {
				Source       string `json:"source"`
				Verification struct {
					Hash string `json:"hash"`
				} `json:"verification"`
			} `json:"replace"`
		} `json:"config"`
	} `json:"ignition"`
}

var objectKey = regexp.MustCompile(`^prod/(init|worker)/[a-z0-9-]+-[0-9a-f]+\.ign$`)

// checkPointer decodes user_data as a small Ignition config that replaces
// itself with the stored object at base_url/id and pins its SHA-512; the
// stored object is on disk under storeDir with exactly that hash, and
// user_data carries no secret.
func checkPointer(storeDir, address string, controlPlane bool) statecheck.StateCheck {
	return stateFunc(func(s stateView) error {
		a, err := resourceAttributes(s.state, address)
		if err != nil {
			return err
		}
		secret, err := s.attr(tokenAddr, "token_secret")
		if err != nil {
			return err
		}
		if err := checkPointerAttrs(storeDir, a, secret, controlPlane); err != nil {
			return fmt.Errorf("%s: %w", address, err)
		}
		return nil
	})
}

func checkPointerAttrs(storeDir string, a map[string]any, tokenSecret string, controlPlane bool) error {
	userData, err := str(a, "user_data")
	if err != nil {
		return err
	}
	id, _ := str(a, "id")
	sum, _ := str(a, "rendered_sha512")
	if !objectKey.MatchString(id) {
		return fmt.Errorf("id %q is not <cluster>/<role>/<name>-<hash>.ign", id)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(userData), &top); err != nil {
		return fmt.Errorf("user_data is not JSON: %w", err)
	}
	if len(top) != 1 || top["ignition"] == nil {
		return fmt.Errorf("user_data has more than the ignition section: %s", userData)
	}
	var p pointer
	if err := json.Unmarshal([]byte(userData), &p); err != nil {
		return fmt.Errorf("user_data: %w", err)
	}
	if p.Ignition.Version != "3.3.0" {
		return fmt.Errorf("user_data ignition.version is %q, want 3.3.0", p.Ignition.Version)
	}
	if want := baseURL + "/" + id; p.Ignition.Config.Replace.Source != want {
		return fmt.Errorf("ignition.config.replace.source is %q, want %q", p.Ignition.Config.Replace.Source, want)
	}
	if want := "sha512-" + sum; p.Ignition.Config.Replace.Verification.Hash != want {
		return fmt.Errorf("verification.hash is %q, want %q", p.Ignition.Config.Replace.Verification.Hash, want)
	}
	if size, ok := a["user_data_size"].(json.Number); !ok || size.String() != strconv.Itoa(len(userData)) {
		return fmt.Errorf("user_data_size is %v, user_data has %d bytes", a["user_data_size"], len(userData))
	}
	if strings.Contains(userData, "PRIVATE KEY") || strings.Contains(userData, tokenSecret) {
		return fmt.Errorf("user_data carries a secret: %s", userData)
	}

	objectURL, _ := str(a, "object_url")
	if want := filepath.Join(storeDir, filepath.FromSlash(id)); objectURL != want {
		return fmt.Errorf("object_url is %q, want %q", objectURL, want)
	}
	stored, err := os.ReadFile(objectURL)
	if err != nil {
		return fmt.Errorf("the stored config: %w", err)
	}
	got := sha512.Sum512(stored)
	if hex.EncodeToString(got[:]) != sum {
		return fmt.Errorf("the stored config at %s does not hash to rendered_sha512", objectURL)
	}
	var full struct {
		Ignition struct {
			Version string `json:"version"`
		} `json:"ignition"`
		Storage struct {
			Files []struct {
				Path string `json:"path"`
			} `json:"files"`
		} `json:"storage"`
	}
	if err := json.Unmarshal(stored, &full); err != nil || full.Ignition.Version != "3.3.0" {
		return fmt.Errorf("the stored config is not an Ignition 3.3.0 config (%v)", err)
	}
	hasKey := false
	for _, f := range full.Storage.Files {
		if f.Path == "/etc/kubernetes/pki/ca.key" {
			hasKey = true
		}
	}
	if hasKey != controlPlane {
		return fmt.Errorf("the stored config holds /etc/kubernetes/pki/ca.key: %v, want %v", hasKey, controlPlane)
	}
	return nil
}

// checkJoinsWith checks the kubeadm config of a node names the token and
// pins the CA of this configuration.
func checkJoinsWith(address string) statecheck.StateCheck {
	return stateFunc(func(s stateView) error {
		token, err := s.attr(tokenAddr, "token")
		if err != nil {
			return err
		}
		caHash, err := s.attr(caAddr, "ca_cert_hash")
		if err != nil {
			return err
		}
		kubeadm, err := s.attr(address, "kubeadm_config")
		if err != nil {
			return err
		}
		for _, want := range []string{token, caHash, "api.prod.example.internal:6443", "kubeadm.k8s.io/v1beta4"} {
			if !strings.Contains(kubeadm, want) {
				return fmt.Errorf("%s: kubeadm_config lacks %q", address, want)
			}
		}
		return nil
	})
}

// Nodes rendered into the embedded local store: pointer user data, stored
// objects that match it, an empty plan after apply, and a token replacement
// that re-renders both nodes in place and removes their old objects.
func TestAccIgnitionConfig_localStorePointer(t *testing.T) {
	storeDir := filepath.Join(t.TempDir(), "configs")
	var oldObjects []string
	workerIDChanges := statecheck.CompareValue(compare.ValuesDiffer())
	initIDChanges := statecheck.CompareValue(compare.ValuesDiffer())
	remember := func(a map[string]any) error {
		u, err := str(a, "object_url")
		oldObjects = append(oldObjects, u)
		return err
	}

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:          func() { preCheck(t) },
		ExternalProviders: externalProviders(t),
		Steps: []resource.TestStep{
			{
				Config: nodesConfig(storeDir, "24h"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(workerAddr, plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction(initAddr, plancheck.ResourceActionCreate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(workerAddr, tfjsonpath.New("user_data"),
						knownvalue.StringRegexp(regexp.MustCompile(`^\{"ignition":\{.*"replace":\{"source":"https://`))),
					checkPointer(storeDir, workerAddr, false),
					checkPointer(storeDir, initAddr, true),
					checkJoinsWith(workerAddr),
					checkJoinsWith(initAddr),
					checkResource(workerAddr, remember),
					checkResource(initAddr, remember),
					workerIDChanges.AddStateValue(workerAddr, tfjsonpath.New("id")),
					initIDChanges.AddStateValue(initAddr, tfjsonpath.New("id")),
				},
			},
			{
				// A new token (ttl forces one) re-renders both nodes in place.
				Config: nodesConfig(storeDir, "12h"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionReplace),
						plancheck.ExpectResourceAction(workerAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(initAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(caAddr, plancheck.ResourceActionNoop),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					checkPointer(storeDir, workerAddr, false),
					checkPointer(storeDir, initAddr, true),
					checkJoinsWith(workerAddr),
					checkJoinsWith(initAddr),
					workerIDChanges.AddStateValue(workerAddr, tfjsonpath.New("id")),
					initIDChanges.AddStateValue(initAddr, tfjsonpath.New("id")),
					stateFunc(func(stateView) error {
						for _, old := range oldObjects {
							if _, err := os.Stat(old); !os.IsNotExist(err) {
								return fmt.Errorf("the replaced object %s is still in the store (stat: %v)", old, err)
							}
						}
						return nil
					}),
				},
			},
		},
	})
}

// On CLIs with write-only attributes the CA and the token given to a node are
// used for rendering but never written to its plan or state.
func TestAccIgnitionConfig_writeOnlyInputs(t *testing.T) {
	storeDir := filepath.Join(t.TempDir(), "configs")
	var notInPlan, notInState []plancheck.PlanCheck
	var stateChecks []statecheck.StateCheck
	for _, addr := range []string{initAddr, workerAddr} {
		for _, attr := range []string{"cluster_ca", "bootstrap_token"} {
			notInPlan = append(notInPlan, plancheck.ExpectKnownValue(addr, tfjsonpath.New(attr), knownvalue.Null()))
			stateChecks = append(stateChecks, statecheck.ExpectKnownValue(addr, tfjsonpath.New(attr), knownvalue.Null()))
		}
	}
	notInState = append(notInState, plancheck.ExpectEmptyPlan())
	stateChecks = append(stateChecks, checkJoinsWith(workerAddr), checkJoinsWith(initAddr))

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:               func() { preCheck(t) },
		ExternalProviders:      externalProviders(t),
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{writeOnlyAttributes},
		Steps: []resource.TestStep{
			{
				Config: nodesConfig(storeDir, "24h"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             notInPlan,
					PostApplyPostRefresh: notInState,
				},
				ConfigStateChecks: stateChecks,
			},
		},
	})
}
