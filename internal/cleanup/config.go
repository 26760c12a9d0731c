package cleanup

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// Config is the engine's policy and limits. The zero value of every field
// but Account and Region has a documented default.
type Config struct {
	// Account and Region are the engine's own; resource ARNs naming
	// another account or region are invalid, however they were found.
	Account, Region string
	// Partition is the partition of Account and Region ("aws", "aws-cn");
	// ARNs of another partition are invalid. Empty means the region's.
	Partition string

	// DryRun decides nothing destructive: would_delete instead of deleted.
	// Requests may ask for a dry run, never lift this one.
	DryRun bool
	// DryRunBy names what made DryRun true, for the decisions' reasons
	// ("dry run (DRY_RUN is on)" when empty).
	DryRunBy string
	// MinAge keeps resources created more recently than this out of
	// sweeps (too_young). Explicitly named resources are not age-checked.
	MinAge time.Duration
	// ProtectTagKey names a tag whose presence protects a resource; a
	// value of "false" does not protect. Empty disables the check.
	ProtectTagKey string
	// UnusedFor is the idle period of sweeps: a free resource is
	// deleted only once it has stayed free this long, measured from the
	// first sweep that found it free (which marks it with MarkTagKey).
	// Zero deletes free resources at once. Requests that name
	// resources wait only if they ask (Request.AfterUnusedFor).
	UnusedFor time.Duration
	// Kinds are the kinds of resource the engine cleans up: what sweeps
	// cover unless a request names fewer, and the only kinds a request may
	// name. Empty means connections only.
	Kinds []request.Kind
	// NameInclude, when not empty, limits deletion to names
	// matching one of these globs (path.Match syntax); NameExclude protects
	// names matching any of its globs.
	NameInclude, NameExclude []string

	// MaxConcurrency bounds App Runner calls made at once. Default 8.
	MaxConcurrency int
	// IndexTTL is how long a usage index may be reused by later runs on a
	// warm function. Zero means rebuild every run.
	IndexTTL time.Duration
	// DeadlineMargin is kept free before the context's deadline: no call
	// starts inside it, so the run can still report. Default 3s.
	DeadlineMargin time.Duration

	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// Progress, when not nil, follows the usage index as it is built: it
	// is called each time a listed service is described (or found gone
	// since the listing) or its earlier description reused, with described
	// the services done so far and listed those listed so far that need a
	// description or reuse (every status but DELETED), then once at the
	// end with the final numbers. Within a run, calls come from the
	// index's goroutines but are serialised, their numbers never go back,
	// and none comes after Run returns; runs of one engine at once call it
	// concurrently, so it must then be safe for concurrent use. The
	// index's describing waits for it: it must return quickly. A panic in it
	// is ignored.
	Progress func(described, listed int)
}

// MarkTagKey is the tag with which a sweep marks a resource it found
// free, its value the time (RFC 3339, UTC) it was first found so: the
// start of its idle period.
const MarkTagKey = "apprunner-cleanup:unused-since"

const (
	defaultMaxConcurrency = 8
	defaultDeadlineMargin = 3 * time.Second
)

func (c *Config) setDefaults() {
	if c.MaxConcurrency == 0 {
		c.MaxConcurrency = defaultMaxConcurrency
	}
	if c.DeadlineMargin == 0 {
		c.DeadlineMargin = defaultDeadlineMargin
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Partition == "" {
		c.Partition = request.PartitionOf(c.Region)
	}
	if len(c.Kinds) == 0 {
		c.Kinds = []request.Kind{request.KindConnection}
	}
}

// Validate reports every problem with the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if !request.IsAccountID(c.Account) {
		errs = append(errs, fmt.Errorf("account %q: want 12 digits", c.Account))
	}
	if !request.IsRegion(c.Region) {
		errs = append(errs, fmt.Errorf("region %q: want a region name such as us-east-1", c.Region))
	}
	if c.Partition != "" && c.Partition != request.PartitionOf(c.Region) {
		errs = append(errs, fmt.Errorf("partition %q: region %s is in partition %s", c.Partition, c.Region, request.PartitionOf(c.Region)))
	}
	if c.MinAge < 0 {
		errs = append(errs, fmt.Errorf("minimum age %s: must not be negative", c.MinAge))
	}
	if c.UnusedFor < 0 || c.UnusedFor > request.MaxUnusedFor {
		errs = append(errs, fmt.Errorf("idle period %s: want 0 to %s (365d)", c.UnusedFor, request.MaxUnusedFor))
	}
	if c.ProtectTagKey == MarkTagKey {
		errs = append(errs, fmt.Errorf("protection tag key %q: it is the idle period's mark, which this function writes itself", c.ProtectTagKey))
	}
	if c.MaxConcurrency < 0 || c.MaxConcurrency > 64 {
		errs = append(errs, fmt.Errorf("max concurrency %d: want 1 to 64", c.MaxConcurrency))
	}
	if c.DeadlineMargin < 0 {
		errs = append(errs, fmt.Errorf("deadline margin %s: must not be negative", c.DeadlineMargin))
	}
	if c.IndexTTL < 0 {
		errs = append(errs, fmt.Errorf("index TTL %s: must not be negative", c.IndexTTL))
	}
	for _, k := range c.Kinds {
		if !slices.Contains(request.Kinds(), k) {
			errs = append(errs, fmt.Errorf("resource type %q: want %v", k, request.Kinds()))
		}
	}
	for _, g := range append(append([]string(nil), c.NameInclude...), c.NameExclude...) {
		if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, fmt.Errorf("name glob %q: %w", g, err))
		}
	}
	return errors.Join(errs...)
}

// nameVerdict says why a name is kept by the name globs, or "" if it is not.
func (c *Config) nameVerdict(name string) string {
	for _, g := range c.NameExclude {
		if ok, _ := path.Match(g, name); ok {
			return fmt.Sprintf("name %q matches exclude pattern %q", name, g)
		}
	}
	if len(c.NameInclude) == 0 {
		return ""
	}
	for _, g := range c.NameInclude {
		if ok, _ := path.Match(g, name); ok {
			return ""
		}
	}
	return fmt.Sprintf("name %q matches no include pattern (%s)", name, strings.Join(c.NameInclude, ", "))
}
