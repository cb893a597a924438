// Package acceptance tests the released kubeadm provider binary the way a
// provider's users write acceptance tests: with terraform-plugin-testing,
// the provider installed by the CLI from a filesystem mirror
// (ExternalProviders), never served from inside the test process.
//
// Run it with scripts/test-plugin-testing.sh, which builds the release zip,
// lays out the mirror, writes the CLI config and runs this package once with
// Terraform and once with OpenTofu.
package acceptance

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// providerSource is the provider's registry address as users write it.
const providerSource = "kubeadm-ignition/kubeadm"

// TestMain refuses acceptance runs that would make the harness reach for the
// network: without TF_ACC_TERRAFORM_PATH it looks for Terraform on PATH and
// then downloads the latest release, and TF_ACC_TERRAFORM_VERSION makes it
// download that version.
func TestMain(m *testing.M) {
	if os.Getenv(resource.EnvTfAcc) != "" {
		var problems []string
		if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
			problems = append(problems, "TF_ACC_TERRAFORM_PATH is not set: point it at the terraform or tofu binary to test (without it the harness would download Terraform)")
		}
		if v := os.Getenv("TF_ACC_TERRAFORM_VERSION"); v != "" {
			problems = append(problems, fmt.Sprintf("TF_ACC_TERRAFORM_VERSION=%s is set: unset it, it makes the harness download that Terraform release", v))
		}
		if os.Getenv("TF_CLI_CONFIG_FILE") == "" {
			problems = append(problems, "TF_CLI_CONFIG_FILE is not set: point it at a CLI config whose provider_installation has a filesystem_mirror holding the provider (scripts/test-plugin-testing.sh writes one)")
		}
		if len(problems) > 0 {
			fmt.Fprintln(os.Stderr, "acceptance tests cannot run:\n  "+strings.Join(problems, "\n  "))
			os.Exit(2)
		}
		// The harness sets this too before each command; set it early so the
		// version probe (underTest) never calls home either.
		os.Setenv("CHECKPOINT_DISABLE", "1")
		// Providers served by the test process (the echo provider) are
		// reattached under <host>/<namespace>/<name> for every namespace
		// the harness guesses, which by default includes the legacy "-".
		// OpenTofu refuses the whole reattach list over that one entry
		// ("The legacy provider namespace "-" can be used only with
		// hostname registry.opentofu.org"), so name the one namespace.
		if os.Getenv(resource.EnvTfAccProviderNamespace) == "" {
			os.Setenv(resource.EnvTfAccProviderNamespace, "hashicorp")
		}
	}
	os.Exit(m.Run())
}

// providerVersion is the version under test: KUBEADM_PROVIDER_VERSION, else
// the package version in the checkout's Cargo.toml.
func providerVersion(t *testing.T) string {
	t.Helper()
	if v := os.Getenv("KUBEADM_PROVIDER_VERSION"); v != "" {
		return v
	}
	f, err := os.Open(filepath.Join("..", "..", "Cargo.toml"))
	if err != nil {
		t.Fatalf("cannot read the provider version: %v (set KUBEADM_PROVIDER_VERSION)", err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^version\s*=\s*"([^"]+)"`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			return m[1]
		}
	}
	t.Fatal("no version line in Cargo.toml (set KUBEADM_PROVIDER_VERSION)")
	return ""
}

// externalProviders names the released provider, pinned to the version under
// test, so `init` installs exactly that build from the mirror.
func externalProviders(t *testing.T) map[string]resource.ExternalProvider {
	return map[string]resource.ExternalProvider{
		"kubeadm": {Source: providerSource, VersionConstraint: "= " + providerVersion(t)},
	}
}

// cliInfo is what `$TF_ACC_TERRAFORM_PATH version` says about itself.
type cliInfo struct {
	opentofu bool
	banner   string
	version  *version.Version
}

var probe struct {
	once sync.Once
	info cliInfo
	err  error
}

// underTest tells which CLI TF_ACC_TERRAFORM_PATH is. The harness cannot:
// `tofu version -json` reports OpenTofu's own version under
// "terraform_version", so the harness takes OpenTofu 1.12 for Terraform 1.12.
func underTest() (cliInfo, error) {
	probe.once.Do(func() {
		path := os.Getenv("TF_ACC_TERRAFORM_PATH")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, path, "version").Output()
		if err != nil {
			probe.err = fmt.Errorf("%s version: %w", path, err)
			return
		}
		// The banner is the first line that names the CLI: warnings (a
		// CLI config it cannot read, say) may come before it.
		var banner, name, v string
		for _, line := range strings.Split(string(out), "\n") {
			if n, rest, ok := strings.Cut(line, " v"); ok && (n == "Terraform" || n == "OpenTofu") {
				banner, name, v = line, n, rest
				break
			}
		}
		parsed, err := version.NewVersion(v)
		if banner == "" || err != nil {
			probe.err = fmt.Errorf("%s version names neither Terraform nor OpenTofu with a version:\n%s", path, out)
			return
		}
		probe.info = cliInfo{opentofu: name == "OpenTofu", banner: banner, version: parsed}
	})
	return probe.info, probe.err
}

// preCheck runs before the first step of every acceptance test.
func preCheck(t *testing.T) {
	t.Helper()
	info, err := underTest()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("CLI under test: %s (%s)", info.banner, os.Getenv("TF_ACC_TERRAFORM_PATH"))
}

// featureSince is a version check that knows both implementations: it
// skips below `terraform` on Terraform and below `opentofu` on OpenTofu,
// whose version numbers restarted at the fork. tfversion's checks compare
// any CLI with Terraform's numbers.
type featureSince struct {
	feature             string
	terraform, opentofu *version.Version
}

var _ tfversion.TerraformVersionCheck = featureSince{}

func (f featureSince) CheckTerraformVersion(_ context.Context, _ tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	info, err := underTest()
	if err != nil {
		resp.Error = err
		return
	}
	name, minimum := "Terraform", f.terraform
	if info.opentofu {
		name, minimum = "OpenTofu", f.opentofu
	}
	if info.version.Core().LessThan(minimum) {
		resp.Skip = fmt.Sprintf("%s arrived in %s %s; this is %s", f.feature, name, minimum, info.banner)
	}
}

// writeOnlyAttributes gates checks that write-only inputs stay out of state.
var writeOnlyAttributes = featureSince{
	feature:   "write-only attributes",
	terraform: version.Must(version.NewVersion("1.11.0")),
	opentofu:  version.Must(version.NewVersion("1.11.0")),
}

// resourceCheck is a state check over all attributes of one resource, for
// checks that relate several attributes or look outside the state.
type resourceCheck struct {
	address string
	check   func(attrs map[string]any) error
}

var _ statecheck.StateCheck = resourceCheck{}

func (c resourceCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	attrs, err := resourceAttributes(req.State, c.address)
	if err != nil {
		resp.Error = err
		return
	}
	if err := c.check(attrs); err != nil {
		resp.Error = fmt.Errorf("%s: %w", c.address, err)
	}
}

func checkResource(address string, check func(attrs map[string]any) error) statecheck.StateCheck {
	return resourceCheck{address: address, check: check}
}

// stateFunc is a state check over the whole state.
type stateFunc func(stateView) error

func (f stateFunc) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if err := f(stateView{req.State}); err != nil {
		resp.Error = err
	}
}

type stateView struct{ state *tfjson.State }

// attr is a string attribute of a resource in the state.
func (s stateView) attr(address, name string) (string, error) {
	attrs, err := resourceAttributes(s.state, address)
	if err != nil {
		return "", err
	}
	v, err := str(attrs, name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", address, err)
	}
	return v, nil
}

func resourceAttributes(state *tfjson.State, address string) (map[string]any, error) {
	if state == nil || state.Values == nil || state.Values.RootModule == nil {
		return nil, errors.New("the state has no resources")
	}
	for _, r := range state.Values.RootModule.Resources {
		if r.Address == address {
			return r.AttributeValues, nil
		}
	}
	return nil, fmt.Errorf("%s is not in the state", address)
}

// str is a string attribute, or an error naming it.
func str(attrs map[string]any, name string) (string, error) {
	v, ok := attrs[name].(string)
	if !ok {
		return "", fmt.Errorf("%s is %T (%v), want a string", name, attrs[name], attrs[name])
	}
	return v, nil
}

// expiresAbout checks an RFC 3339 time lies `after` past the window
// [from, now], give or take a few seconds for rounding to whole seconds.
func expiresAbout(value string, from time.Time, after time.Duration) error {
	exp, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return fmt.Errorf("%q is not an RFC 3339 time: %w", value, err)
	}
	now := time.Now()
	if !exp.After(now) {
		return fmt.Errorf("%s is not in the future (now %s)", value, now.UTC().Format(time.RFC3339))
	}
	const slack = 5 * time.Second
	lo, hi := from.Add(after).Add(-slack), now.Add(after).Add(slack)
	if exp.Before(lo) || exp.After(hi) {
		return fmt.Errorf("%s is not %s after the apply: want between %s and %s", value, after,
			lo.UTC().Format(time.RFC3339), hi.UTC().Format(time.RFC3339))
	}
	return nil
}
