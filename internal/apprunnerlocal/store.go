package apprunnerlocal

import (
	"cmp"
	"slices"
	"time"
)

// Status values of the App Runner model.
const (
	ConnectionPendingHandshake = "PENDING_HANDSHAKE"
	ConnectionAvailable        = "AVAILABLE"
	ConnectionError            = "ERROR"
	ConnectionDeleted          = "DELETED"

	ServiceCreateFailed        = "CREATE_FAILED"
	ServiceRunning             = "RUNNING"
	ServiceDeleted             = "DELETED"
	ServiceDeleteFailed        = "DELETE_FAILED"
	ServicePaused              = "PAUSED"
	ServiceOperationInProgress = "OPERATION_IN_PROGRESS"
)

// scope is one account in one region; scopes share nothing.
type scope struct {
	account, region string
}

type connection struct {
	scope
	arn, name, id, provider, status string
	createdAt, deletedAt            time.Time
	tags                            map[string]string
}

type service struct {
	scope
	arn, name, id, url, status string
	createdAt, updatedAt       time.Time
	deletedAt                  time.Time
	// deleteDoneAt is when a deletion in progress completes; zero when no
	// deletion is in progress.
	deleteDoneAt time.Time
	cfg          serviceConfig
	tags         map[string]string
}

// connectionARN returns the connection the service's source uses, if any.
func (sv *service) connectionARN() string {
	if a := sv.cfg.Source.AuthenticationConfiguration; a != nil && a.ConnectionArn != nil {
		return *a.ConnectionArn
	}
	return ""
}

// settle completes a deletion whose delay has passed. Deletions are settled
// lazily, whenever a service is looked at, so they follow Options.Now.
func (sv *service) settle(now time.Time) {
	if !sv.deleteDoneAt.IsZero() && !now.Before(sv.deleteDoneAt) {
		sv.status = ServiceDeleted
		sv.deletedAt = sv.deleteDoneAt
		sv.updatedAt = sv.deleteDoneAt
		sv.deleteDoneAt = time.Time{}
	}
}

// region holds one scope's resources, each slice sorted by (createdAt, arn).
type region struct {
	conns    []*connection // live connections only
	services []*service    // every service, DELETED included
	regionResources
}

// store is the in-memory state. It does no locking: Server.mu guards it.
type store struct {
	scopes   map[scope]*region
	conns    map[string]*connection // by ARN, deleted ones included
	services map[string]*service    // by ARN
	// resources holds the VPC connectors, auto scaling and observability
	// configurations by ARN, INACTIVE ones included (resources.go).
	resources map[string]*resource
	// users maps a resource's ARN to the services that refer to it, of
	// any status (resources.go).
	users  map[string][]*service
	unsafe []UnsafeDeletion
	org    *organization          // nil until a seed brings one
	queues map[queueKey]*sqsQueue // the SQS queues used so far (sqs_store.go)
}

func newStore() *store {
	return &store{
		scopes:    map[scope]*region{},
		conns:     map[string]*connection{},
		services:  map[string]*service{},
		queues:    map[queueKey]*sqsQueue{},
		resources: map[string]*resource{},
		users:     map[string][]*service{},
	}
}

// region returns a scope's region, created with what App Runner gives
// every scope (materialize) when the scope is first used.
func (st *store) region(sc scope) *region {
	r := st.scopes[sc]
	if r == nil {
		r = &region{}
		st.scopes[sc] = r
		st.materialize(sc, r)
	}
	return r
}

type sortKey struct {
	createdAt time.Time
	arn       string
}

func compareKey(a, b sortKey) int {
	if c := a.createdAt.Compare(b.createdAt); c != 0 {
		return c
	}
	return cmp.Compare(a.arn, b.arn)
}

func (c *connection) key() sortKey { return sortKey{c.createdAt, c.arn} }
func (sv *service) key() sortKey   { return sortKey{sv.createdAt, sv.arn} }

// insertSorted inserts v keeping the slice ordered; appending is the common
// case (resources created now), which stays O(1).
func insertSorted[T interface{ key() sortKey }](s []T, v T) []T {
	if n := len(s); n == 0 || compareKey(s[n-1].key(), v.key()) <= 0 {
		return append(s, v)
	}
	i, _ := slices.BinarySearchFunc(s, v.key(), func(e T, k sortKey) int { return compareKey(e.key(), k) })
	return slices.Insert(s, i, v)
}

// after returns the index of the first element whose key is greater than k.
func after[T interface{ key() sortKey }](s []T, k sortKey) int {
	i, found := slices.BinarySearchFunc(s, k, func(e T, k sortKey) int { return compareKey(e.key(), k) })
	if found {
		i++
	}
	return i
}

func (st *store) addConnection(c *connection) {
	st.conns[c.arn] = c
	if c.status != ConnectionDeleted {
		r := st.region(c.scope)
		r.conns = insertSorted(r.conns, c)
	}
}

func (st *store) addService(sv *service) {
	st.services[sv.arn] = sv
	r := st.region(sv.scope)
	r.services = insertSorted(r.services, sv)
	st.index(sv)
}

// liveConnectionByName finds a connection that is not deleted.
func (st *store) liveConnectionByName(sc scope, name string) *connection {
	for _, c := range st.scopes[sc].connsOrNil() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (r *region) connsOrNil() []*connection {
	if r == nil {
		return nil
	}
	return r.conns
}

func (r *region) servicesOrNil() []*service {
	if r == nil {
		return nil
	}
	return r.services
}

// liveServiceByName finds a service that is not DELETED.
func (st *store) liveServiceByName(sc scope, name string, now time.Time) *service {
	for _, sv := range st.scopes[sc].servicesOrNil() {
		sv.settle(now)
		if sv.name == name && sv.status != ServiceDeleted {
			return sv
		}
	}
	return nil
}

// usersOf returns the ARNs of services not DELETED whose source references
// the connection.
func (st *store) usersOf(c *connection, now time.Time) []string {
	var users []string
	for _, sv := range st.scopes[c.scope].servicesOrNil() {
		sv.settle(now)
		if sv.status != ServiceDeleted && sv.connectionARN() == c.arn {
			users = append(users, sv.arn)
		}
	}
	return users
}

func (st *store) deleteConnection(c *connection, now time.Time) {
	c.status = ConnectionDeleted
	c.deletedAt = now
	r := st.scopes[c.scope]
	if r == nil {
		return
	}
	if i := slices.Index(r.conns, c); i >= 0 {
		r.conns = slices.Delete(r.conns, i, i+1)
	}
}
