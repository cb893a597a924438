package acceptance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const caAddr = "kubeadm_cluster_ca.ca"

// tenYears is the lifetime of generated CAs (validity_days defaults to 3650).
const tenYears = 3650 * 24 * time.Hour

// suppliedValidity is the lifetime of the CA writeCA makes.
const suppliedValidity = 5 * 365 * 24 * time.Hour

var caHashPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func caConfig(algorithm string) string {
	return fmt.Sprintf(`
resource "kubeadm_cluster_ca" "ca" {
  cluster_name  = "prod"
  key_algorithm = %q
}
`, algorithm)
}

// pkiFiles maps the files of a kubeadm pki directory to the attributes that
// hold them.
var pkiFiles = map[string]string{
	"ca.crt":             "ca_cert_pem",
	"ca.key":             "ca_key_pem",
	"front-proxy-ca.crt": "front_proxy_ca_cert_pem",
	"front-proxy-ca.key": "front_proxy_ca_key_pem",
	"etcd/ca.crt":        "etcd_ca_cert_pem",
	"etcd/ca.key":        "etcd_ca_key_pem",
	"sa.pub":             "service_account_public_key_pem",
	"sa.key":             "service_account_private_key_pem",
}

// exportPKI writes the CA in the state out as /etc/kubernetes/pki would hold
// it and returns the directory: the import ID of kubeadm_cluster_ca.
func exportPKI(t *testing.T) resource.ImportStateIdFunc {
	return func(s *terraform.State) (string, error) {
		rs, ok := s.RootModule().Resources[caAddr]
		if !ok {
			return "", fmt.Errorf("%s is not in the state", caAddr)
		}
		dir := filepath.Join(t.TempDir(), "pki")
		for file, attr := range pkiFiles {
			text, ok := rs.Primary.Attributes[attr]
			if !ok || text == "" {
				return "", fmt.Errorf("%s has no %s", caAddr, attr)
			}
			path := filepath.Join(dir, filepath.FromSlash(file))
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return "", err
			}
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				return "", err
			}
		}
		return dir, nil
	}
}

func parseCert(text string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("not a PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// spkiHash is kubeadm's discovery hash of a certificate, computed here from
// the certificate alone.
func spkiHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// checkCA checks the Kubernetes CA in the state against the configuration:
// ca_cert_hash and id are the discovery hash of ca_cert_pem, and the
// certificate is a CA for cluster "prod" with the curve of the algorithm,
// valid for about `validity` from now.
func checkCA(curve elliptic.Curve, validity time.Duration) statecheck.StateCheck {
	return checkResource(caAddr, func(a map[string]any) error {
		pemText, err := str(a, "ca_cert_pem")
		if err != nil {
			return err
		}
		cert, err := parseCert(pemText)
		if err != nil {
			return fmt.Errorf("ca_cert_pem: %w", err)
		}
		hash, _ := str(a, "ca_cert_hash")
		if want := spkiHash(cert); hash != want {
			return fmt.Errorf("ca_cert_hash is %s, the SubjectPublicKeyInfo of ca_cert_pem hashes to %s", hash, want)
		}
		if id, _ := str(a, "id"); "sha256:"+id != hash {
			return fmt.Errorf("id %q is not the hex part of ca_cert_hash %q", id, hash)
		}
		if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
			return fmt.Errorf("ca_cert_pem is not a CA that may sign certificates")
		}
		if cert.Subject.CommonName != "kubernetes" || strings.Join(cert.Subject.Organization, ",") != "prod" {
			return fmt.Errorf("ca_cert_pem subject is %q, want CN=kubernetes,O=prod", cert.Subject)
		}
		pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
		if !ok || pub.Curve != curve {
			return fmt.Errorf("ca_cert_pem key is %T, want ECDSA on %s", cert.PublicKey, curve.Params().Name)
		}
		notAfter, _ := str(a, "not_after")
		if got, err := time.Parse(time.RFC3339, notAfter); err != nil || !got.Equal(cert.NotAfter) {
			return fmt.Errorf("not_after %q is not the certificate's expiry %s", notAfter, cert.NotAfter.UTC().Format(time.RFC3339))
		}
		if left := time.Until(cert.NotAfter); left < validity-24*time.Hour || left > validity+24*time.Hour {
			return fmt.Errorf("the CA expires in %s, want about %s", left, validity)
		}
		return nil
	})
}

// A generated PKI: the discovery hash, an empty plan after apply, import
// from a kubeadm pki directory, and replacement on a key algorithm change.
func TestAccClusterCA_generatedImportAndReplace(t *testing.T) {
	hashChanges := statecheck.CompareValue(compare.ValuesDiffer())
	// The hash as created, for the plannable import's plan check.
	var created string
	remember := statecheck.ExpectKnownValue(caAddr, tfjsonpath.New("ca_cert_hash"), knownvalue.StringFunc(func(v string) error {
		created = v
		return nil
	}))

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:          func() { preCheck(t) },
		ExternalProviders: externalProviders(t),
		Steps: []resource.TestStep{
			{
				Config: caConfig("ECDSA-P256"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(caAddr, tfjsonpath.New("ca_cert_hash"), knownvalue.StringRegexp(caHashPattern)),
					statecheck.ExpectKnownValue(caAddr, tfjsonpath.New("validity_days"), knownvalue.Int64Exact(3650)),
					statecheck.ExpectSensitiveValue(caAddr, tfjsonpath.New("ca_key_pem")),
					checkCA(elliptic.P256(), tenYears),
					hashChanges.AddStateValue(caAddr, tfjsonpath.New("ca_cert_hash")),
					remember,
				},
			},
			{
				// cluster_name, key_algorithm and validity_days are read back
				// from the CA certificate, the PEMs from their files, so the
				// imported state matches the created one with no ignores.
				//
				// No Config: the import then runs with the previous step's
				// configuration as the harness merged it, with the terraform
				// block that names ExternalProviders. A Config given here
				// is used as written, and "kubeadm" would mean
				// hashicorp/kubeadm.
				ResourceName:      caAddr,
				ImportState:       true,
				ImportStateIdFunc: exportPKI(t),
				ImportStateVerify: true,
			},
			{
				// The same directory in an import block: a no-op import of
				// the same CA.
				ResourceName:      caAddr,
				ImportState:       true,
				ImportStateKind:   resource.ImportBlockWithID,
				ImportStateIdFunc: exportPKI(t),
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(caAddr, plancheck.ResourceActionNoop),
						plancheck.ExpectKnownValue(caAddr, tfjsonpath.New("ca_cert_hash"), knownvalue.StringFunc(func(v string) error {
							if v != created {
								return fmt.Errorf("the import plans ca_cert_hash %s, the CA created has %s", v, created)
							}
							return nil
						})),
					},
				},
			},
			{
				Config: caConfig("ECDSA-P384"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(caAddr, plancheck.ResourceActionReplace),
						plancheck.ExpectUnknownValue(caAddr, tfjsonpath.New("ca_cert_hash")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(caAddr, tfjsonpath.New("ca_cert_hash"), knownvalue.StringRegexp(caHashPattern)),
					checkCA(elliptic.P384(), tenYears),
					hashChanges.AddStateValue(caAddr, tfjsonpath.New("ca_cert_hash")),
				},
			},
		},
	})
}

// writeCA makes a self-signed ECDSA P-256 CA the way another tool would and
// returns its certificate and PKCS #8 key as PEM.
func writeCA(t *testing.T, cn, org string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{org}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(suppliedValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))
}

// A CA brought from outside: the provider keeps it byte for byte and its
// ca_cert_hash is the discovery hash computed here from the certificate.
func TestAccClusterCA_suppliedCAHash(t *testing.T) {
	certPEM, keyPEM := writeCA(t, "kubernetes", "prod")
	cert, err := parseCert(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`
resource "kubeadm_cluster_ca" "ca" {
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
  ca_cert_pem   = %q
  ca_key_pem    = %q
}
`, certPEM, keyPEM)

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:          func() { preCheck(t) },
		ExternalProviders: externalProviders(t),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					// The hash of a supplied CA is known at plan time.
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue(caAddr, tfjsonpath.New("ca_cert_hash"), knownvalue.StringExact(spkiHash(cert))),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(caAddr, tfjsonpath.New("ca_cert_hash"), knownvalue.StringExact(spkiHash(cert))),
					statecheck.ExpectKnownValue(caAddr, tfjsonpath.New("ca_cert_pem"), knownvalue.StringExact(certPEM)),
					statecheck.ExpectKnownValue(caAddr, tfjsonpath.New("not_after"),
						knownvalue.StringExact(cert.NotAfter.UTC().Format(time.RFC3339))),
					checkCA(elliptic.P256(), suppliedValidity),
				},
			},
		},
	})
}
