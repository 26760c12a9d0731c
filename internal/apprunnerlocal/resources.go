package apprunnerlocal

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// VPC connectors, auto scaling configurations and observability
// configurations are kept alike: each is one revision of a name, ACTIVE
// until deleted and INACTIVE after, and services refer to it by ARN. A VPC
// connector has one revision per live name; the configurations have as
// many as were created.

// Status values of VPC connectors, auto scaling configurations and
// observability configurations.
const (
	ResourceActive   = "ACTIVE"
	ResourceInactive = "INACTIVE"
)

// Kinds of resource, as their ARNs name them.
const (
	kindVPCConnector  = "vpcconnector"
	kindAutoScaling   = "autoscalingconfiguration"
	kindObservability = "observabilityconfiguration"
)

var resourceStatuses = []string{ResourceActive, ResourceInactive}

// DefaultAutoScalingName is the name of the auto scaling configuration
// that App Runner gives every account in every region. Its revision 1 is
// App Runner's own: services use it unless told otherwise, and it cannot
// be deleted.
const DefaultAutoScalingName = "DefaultConfiguration"

// builtinAutoScalingID is the ID of App Runner's own DefaultConfiguration,
// the one services already carried before auto scaling configurations
// were modelled.
const builtinAutoScalingID = "00000000000000000000000000000001"

// builtinCreatedAt is when every scope's DefaultConfiguration was created:
// App Runner's launch, so that it is older than anything seeded and its
// place in lists never depends on when the scope was first used.
var builtinCreatedAt = time.Date(2021, 5, 18, 0, 0, 0, 0, time.UTC)

// resource is a VPC connector, an auto scaling configuration or an
// observability configuration; the members of the other kinds stay zero.
type resource struct {
	scope
	kind, arn, name, id  string
	revision             int
	status               string
	createdAt, deletedAt time.Time
	tags                 map[string]string

	subnets, securityGroups []string // VPC connectors

	maxConcurrency, minSize, maxSize int32 // auto scaling configurations

	trace *traceConfiguration // observability configurations; nil: no tracing
}

func (r *resource) key() sortKey { return sortKey{r.createdAt, r.arn} }

func (r *resource) active() bool { return r.status == ResourceActive }

// builtin tells App Runner's own DefaultConfiguration.
func (r *resource) builtin() bool {
	return r.kind == kindAutoScaling && r.id == builtinAutoScalingID && r.name == DefaultAutoScalingName && r.revision == 1
}

func resourceARN(sc scope, kind, name string, revision int, id string) string {
	return "arn:aws:apprunner:" + sc.region + ":" + sc.account + ":" + kind + "/" + name + "/" + strconv.Itoa(revision) + "/" + id
}

// builtinAutoScalingARN is the ARN of a scope's own DefaultConfiguration.
func builtinAutoScalingARN(sc scope) string {
	return resourceARN(sc, kindAutoScaling, DefaultAutoScalingName, 1, builtinAutoScalingID)
}

// kindName is one name of one kind in a region.
type kindName struct{ kind, name string }

// regionResources is the part of a region that holds the three kinds.
type regionResources struct {
	// resources holds every resource of each kind, INACTIVE included,
	// sorted by (createdAt, arn).
	resources map[string][]*resource
	// revisions holds every revision of each name, INACTIVE included, in
	// the order they were added.
	revisions map[kindName][]*resource
	// defaultAS is the auto scaling configuration revision that IsDefault.
	defaultAS *resource
}

// materialize gives a new region App Runner's DefaultConfiguration, which
// every account has in every region without having created it.
func (st *store) materialize(sc scope, r *region) {
	r.resources = map[string][]*resource{}
	r.revisions = map[kindName][]*resource{}
	def := &resource{
		scope: sc, kind: kindAutoScaling, arn: builtinAutoScalingARN(sc), name: DefaultAutoScalingName,
		id: builtinAutoScalingID, revision: 1, status: ResourceActive, createdAt: builtinCreatedAt,
		tags: map[string]string{}, maxConcurrency: 100, minSize: 1, maxSize: 25,
	}
	st.addResourceTo(r, def)
	r.defaultAS = def
}

func (st *store) addResource(res *resource) {
	st.addResourceTo(st.region(res.scope), res)
}

func (st *store) addResourceTo(r *region, res *resource) {
	st.resources[res.arn] = res
	r.resources[res.kind] = insertSorted(r.resources[res.kind], res)
	k := kindName{res.kind, res.name}
	r.revisions[k] = append(r.revisions[k], res)
}

// revisionsOf returns every revision of a name, INACTIVE included.
func (st *store) revisionsOf(sc scope, kind, name string) []*resource {
	r := st.scopes[sc]
	if r == nil {
		return nil
	}
	return r.revisions[kindName{kind, name}]
}

// nextRevision is the revision a new resource of this name gets: one more
// than any so far, deleted ones included, so that no two share a number.
func nextRevision(revs ...[]*resource) int {
	n := 0
	for _, rs := range revs {
		for _, r := range rs {
			n = max(n, r.revision)
		}
	}
	return n + 1
}

// liveRevision returns the ACTIVE revision numbered rev of a name, or its
// latest ACTIVE one when rev is 0.
func liveRevision(rev int, revs ...[]*resource) *resource {
	var found *resource
	for _, rs := range revs {
		for _, r := range rs {
			if r.active() && (r.revision == rev || rev == 0 && (found == nil || r.revision > found.revision)) {
				found = r
			}
		}
	}
	return found
}

// isLatest tells the highest ACTIVE revision of its name.
func (st *store) isLatest(r *resource) bool {
	return r.active() && liveRevision(0, st.revisionsOf(r.scope, r.kind, r.name)) == r
}

// isDefault tells the auto scaling configuration that new services get.
func (st *store) isDefault(r *resource) bool {
	reg := st.scopes[r.scope]
	return reg != nil && reg.defaultAS == r
}

// resourcesOf returns every resource of a kind in a region, INACTIVE
// included, in list order.
func (st *store) resourcesOf(sc scope, kind string) []*resource {
	if r := st.scopes[sc]; r != nil {
		return r.resources[kind]
	}
	return nil
}

// deactivate deletes a resource: it stays, INACTIVE, for Describe.
func (st *store) deactivate(r *resource, at time.Time) {
	r.status = ResourceInactive
	r.deletedAt = at
}

// lookupResource finds the caller's resource of a kind that arn names. A
// full ARN (…/NAME/REVISION/ID) names one revision, whatever its status.
// When partial is set, as for the configurations' operations, a partial
// ARN names an ACTIVE revision: …/NAME/REVISION that revision, …/NAME the
// latest. Nil when there is none.
func (st *store) lookupResource(c caller, kind, arn string, partial bool) *resource {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "apprunner" ||
		(scope{account: parts[4], region: parts[3]}) != c.scope() {
		return nil
	}
	res := strings.Split(parts[5], "/")
	if res[0] != kind {
		return nil
	}
	switch {
	case len(res) == 4:
		return st.resources[arn]
	case !partial || len(res) < 2 || len(res) > 3:
		return nil
	}
	rev := 0
	if len(res) == 3 {
		n, err := strconv.Atoi(res[2])
		if err != nil || n < 1 {
			return nil
		}
		rev = n
	}
	return liveRevision(rev, st.revisionsOf(c.scope(), kind, res[1]))
}

// refs returns the ARNs of the VPC connector, auto scaling configuration
// and observability configuration a service uses, the empty ones left out.
func (sv *service) refs() []string {
	var out []string
	for _, arn := range []string{sv.vpcConnectorARN(), sv.cfg.AutoScalingARN, sv.observabilityARN()} {
		if arn != "" {
			out = append(out, arn)
		}
	}
	return out
}

func (sv *service) vpcConnectorARN() string {
	if e := sv.cfg.Network.EgressConfiguration; e != nil && e.VpcConnectorArn != nil {
		return *e.VpcConnectorArn
	}
	return ""
}

func (sv *service) observabilityARN() string {
	if a := sv.cfg.Observability.ObservabilityConfigurationArn; a != nil {
		return *a
	}
	return ""
}

// index records that a service uses the resources it refers to, so that
// a resource's users are found without looking at every service.
func (st *store) index(sv *service) {
	for _, arn := range sv.refs() {
		st.users[arn] = append(st.users[arn], sv)
	}
}

// unindex forgets what index recorded, before a service's references
// change.
func (st *store) unindex(sv *service) {
	for _, arn := range sv.refs() {
		if i := slices.Index(st.users[arn], sv); i >= 0 {
			st.users[arn] = slices.Delete(st.users[arn], i, i+1)
		}
	}
}

// liveUsers returns the services not DELETED that use a resource, in list
// order. DELETED services leave the index: they never come back.
func (st *store) liveUsers(arn string, now time.Time) []*service {
	all := st.users[arn]
	var live []*service
	kept := all[:0]
	for _, sv := range all {
		sv.settle(now)
		if sv.status != ServiceDeleted {
			live = append(live, sv)
			kept = append(kept, sv)
		}
	}
	clear(all[len(kept):])
	if len(kept) == 0 {
		delete(st.users, arn)
	} else {
		st.users[arn] = kept
	}
	slices.SortFunc(live, func(a, b *service) int { return compareKey(a.key(), b.key()) })
	return live
}

// inUse tells whether any service not DELETED uses a resource.
func (st *store) inUse(arn string, now time.Time) bool {
	for _, sv := range st.users[arn] {
		sv.settle(now)
		if sv.status != ServiceDeleted {
			return true
		}
	}
	return false
}

func serviceARNs(svs []*service) []string {
	out := make([]string, len(svs))
	for i, sv := range svs {
		out[i] = sv.arn
	}
	return out
}
