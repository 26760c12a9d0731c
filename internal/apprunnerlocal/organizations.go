package apprunnerlocal

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// The emulator answers the read operations of AWS Organizations that the
// cleanup function's organization-wide plans make, in Organizations' own
// protocol (AWS JSON 1.1: POST /, X-Amz-Target:
// AWSOrganizationsV20161128.<Operation>, errors as {"__type": ...,
// "message": ...}), so that the real SDK's Organizations client, pointed
// here with AWS_ENDPOINT_URL_ORGANIZATIONS, works unchanged.
//
// The organization is the one a seed brings (Seed.Organization); it never
// changes. Who may read it is the real service's rule: any account of the
// organization may call DescribeOrganization; only the management account
// and the delegated administrators (Options.DelegatedAdministrators) may
// call the other operations (others: AccessDeniedException); an account
// outside the organization, or any account when no organization is
// loaded, gets AWSOrganizationsNotInUseException.
//
// This file is the protocol layer; organizations_input.go decodes and
// checks each operation's input, organizations_ops.go runs it, and
// organization.go holds the organization.

// orgTargetPrefix starts the X-Amz-Target of every Organizations call.
const orgTargetPrefix = "AWSOrganizationsV20161128."

// orgStatPrefix names Organizations operations in Stats, in RateLimits and
// in page tokens, apart from App Runner's.
const orgStatPrefix = "organizations:"

// Errors of the Organizations model. The real service answers client
// errors with HTTP 400, whatever the model's httpError traits say (the SDK
// decodes errors by their __type alone).
func errOrgNotInUse() *apiError {
	return &apiError{status: http.StatusBadRequest, code: "AWSOrganizationsNotInUseException",
		msg: "Your account is not a member of an organization."}
}

func errOrgAccessDenied() *apiError {
	return &apiError{status: http.StatusBadRequest, code: "AccessDeniedException",
		msg: "You don't have permissions to access this resource."}
}

func errOrgInput(reason, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidInputException", msg: fmt.Sprintf(format, args...), reason: reason}
}

func errOrgNotFound(code, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, msg: msg}
}

// serveOrganizations runs one Organizations call: op is the X-Amz-Target
// after orgTargetPrefix.
func (s *Server) serveOrganizations(w http.ResponseWriter, r *http.Request, op string) {
	stat := orgStatPrefix + op
	h, known := orgHandlerFor(op)
	if !known {
		s.failAs(w, json11, stat, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException",
			msg: fmt.Sprintf("unknown or not emulated Organizations operation %q", op)})
		return
	}
	c, aerr := s.authenticateFor(r, "organizations")
	if aerr != nil {
		s.failAs(w, json11, stat, aerr)
		return
	}
	switch s.admit(r.Context(), stat) {
	case throttled:
		s.failAs(w, json11, stat, &apiError{status: http.StatusBadRequest, code: "TooManyRequestsException",
			msg: "You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later."})
		return
	case faulted:
		s.failAs(w, json11, stat, &apiError{status: http.StatusInternalServerError, code: "ServiceException",
			msg: "AWS Organizations can't complete your request because of an internal service error. Try again later. (injected fault)"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		s.failAs(w, json11, stat, &apiError{status: http.StatusBadRequest, code: "SerializationException", msg: "cannot read request body: " + err.Error()})
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	out, aerr := h(s, c, body)
	if aerr != nil {
		s.failAs(w, json11, stat, aerr)
		return
	}
	data, err := json.Marshal(out)
	if err != nil {
		s.failAs(w, json11, stat, &apiError{status: http.StatusInternalServerError, code: "ServiceException", msg: "encode response: " + err.Error()})
		return
	}
	s.mu.Lock()
	s.record(stat, "ok")
	s.mu.Unlock()
	writeJSON(w, json11, http.StatusOK, data)
}

// orgFor returns the organization to a caller that may read it: any
// account of the organization when anyMember is set (DescribeOrganization),
// else only the management account and the delegated administrators. The
// caller holds s.mu.
func (s *Server) orgFor(c caller, anyMember bool) (*organization, *apiError) {
	org := s.st.org
	if org.account(c.account) == nil {
		return nil, errOrgNotInUse()
	}
	if anyMember || c.account == org.management.id || slices.Contains(s.opts.DelegatedAdministrators, c.account) {
		return org, nil
	}
	return nil, errOrgAccessDenied()
}
