package acceptance

import (
	"encoding/base64"
	"fmt"
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

const tokenAddr = "kubeadm_bootstrap_token.join"

func tokenConfig(attrs string) string {
	return fmt.Sprintf("resource \"kubeadm_bootstrap_token\" \"join\" {\n%s}\n", attrs)
}

// expiresIn checks expires_at against the ttl and the time the step began.
func expiresIn(started *time.Time, ttl time.Duration) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(tokenAddr, tfjsonpath.New("expires_at"),
		knownvalue.StringFunc(func(v string) error { return expiresAbout(v, *started, ttl) }))
}

// secretData is one entry of a Secret's data, as the manifest writes it.
func secretData(key, value string) string {
	return fmt.Sprintf("%s: %q", key, base64.StdEncoding.EncodeToString([]byte(value)))
}

// tokenImportID is the import ID the docs give: the token, a comma and its
// expiry, so the imported expires_at and secret_manifest match.
func tokenImportID(s *terraform.State) (string, error) {
	rs, ok := s.RootModule().Resources[tokenAddr]
	if !ok {
		return "", fmt.Errorf("%s is not in the state", tokenAddr)
	}
	return rs.Primary.Attributes["token"] + "," + rs.Primary.Attributes["expires_at"], nil
}

// A generated token: its shape, its expiry about ttl from now, an empty plan
// after apply, import by token and expiry, replacement on a ttl change and an
// in-place update on a description change.
func TestAccBootstrapToken_lifecycle(t *testing.T) {
	var started time.Time
	begin := func() { started = time.Now() }
	// The ttl change must mint a new token; the description change must keep it.
	replaced := statecheck.CompareValue(compare.ValuesDiffer())
	kept := statecheck.CompareValue(compare.ValuesSame())

	// The token as created, for the plannable import's plan check.
	var created string
	remember := checkResource(tokenAddr, func(a map[string]any) (err error) {
		created, err = str(a, "token")
		return err
	})

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:          func() { preCheck(t) },
		ExternalProviders: externalProviders(t),
		Steps: []resource.TestStep{
			{
				PreConfig: begin,
				Config:    tokenConfig(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(tokenAddr, tfjsonpath.New("ttl"), knownvalue.StringExact("24h")),
					statecheck.ExpectKnownValue(tokenAddr, tfjsonpath.New("token"),
						knownvalue.StringRegexp(regexp.MustCompile(`^[a-z0-9]{6}\.[a-z0-9]{16}$`))),
					statecheck.ExpectSensitiveValue(tokenAddr, tfjsonpath.New("token")),
					statecheck.ExpectSensitiveValue(tokenAddr, tfjsonpath.New("token_secret")),
					statecheck.CompareValuePairs(tokenAddr, tfjsonpath.New("id"), tokenAddr, tfjsonpath.New("token_id"), compare.ValuesSame()),
					expiresIn(&started, 24*time.Hour),
					checkResource(tokenAddr, func(a map[string]any) error {
						tok, err := str(a, "token")
						if err != nil {
							return err
						}
						id, _ := str(a, "token_id")
						secret, _ := str(a, "token_secret")
						if tok != id+"."+secret {
							return fmt.Errorf("token is not token_id.token_secret")
						}
						manifest, err := str(a, "secret_manifest")
						if err != nil {
							return err
						}
						exp, _ := str(a, "expires_at")
						for _, want := range []string{
							"name: bootstrap-token-" + id,
							"namespace: kube-system",
							"type: bootstrap.kubernetes.io/token",
							secretData("token-id", id),
							secretData("token-secret", secret),
							secretData("expiration", exp),
						} {
							if !strings.Contains(manifest, want) {
								return fmt.Errorf("secret_manifest lacks %q:\n%s", want, manifest)
							}
						}
						return nil
					}),
					replaced.AddStateValue(tokenAddr, tfjsonpath.New("token")),
					remember,
				},
			},
			{
				// Every attribute comes back from the import ID, ttl,
				// usages and groups as their defaults, which this
				// configuration keeps: nothing needs ignoring.
				//
				// No Config: the import then runs with the previous step's
				// configuration as the harness merged it, with the terraform
				// block that names ExternalProviders. A Config given here
				// is used as written, and "kubeadm" would mean
				// hashicorp/kubeadm.
				ResourceName:      tokenAddr,
				ImportState:       true,
				ImportStateIdFunc: tokenImportID,
				ImportStateVerify: true,
			},
			{
				// The same ID in an import block: the plan imports the token
				// and changes nothing (the harness fails any other action).
				ResourceName:      tokenAddr,
				ImportState:       true,
				ImportStateKind:   resource.ImportBlockWithID,
				ImportStateIdFunc: tokenImportID,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionNoop),
						plancheck.ExpectKnownValue(tokenAddr, tfjsonpath.New("token"), knownvalue.StringFunc(func(v string) error {
							if v != created {
								return fmt.Errorf("the import plans a different token")
							}
							return nil
						})),
					},
				},
			},
			{
				// ttl forces a new token.
				PreConfig: begin,
				Config:    tokenConfig("  ttl = \"2h\"\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionReplace)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					expiresIn(&started, 2*time.Hour),
					replaced.AddStateValue(tokenAddr, tfjsonpath.New("token")),
					kept.AddStateValue(tokenAddr, tfjsonpath.New("token")),
				},
			},
			{
				// description updates the token in place.
				Config: tokenConfig("  ttl         = \"2h\"\n  description = \"worker join token\"\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(tokenAddr, tfjsonpath.New("secret_manifest"),
						knownvalue.StringRegexp(regexp.MustCompile(regexp.QuoteMeta(secretData("description", "worker join token"))))),
					kept.AddStateValue(tokenAddr, tfjsonpath.New("token")),
				},
			},
		},
	})
}
