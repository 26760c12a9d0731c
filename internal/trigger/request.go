package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

// requestFields lists the JSON request's fields, exact case: the key
// check reads them, and error messages name them.
const requestFields = "action, connectionArns, dryRun, waitForServices, accountId, roleArn, regions"

// actions lists the accepted actions for error messages.
const actions = `"sweep", "delete" or "offboard"`

// wireRequest is the JSON request as callers write it. It is decoded
// strictly: a misspelt field must not turn a dry run into a real one.
//
//	{"action":"sweep"}
//	{"action":"delete","connectionArns":["arn:aws:apprunner:..."]}
//	{"action":"offboard","accountId":"210987654321",
//	 "roleArn":"arn:aws:iam::210987654321:role/NAME","regions":["eu-west-1"]}
//
// each with optional "dryRun" and "waitForServices".
type wireRequest struct {
	Action          *string  `json:"action"`
	ConnectionARNs  []string `json:"connectionArns"`
	DryRun          *bool    `json:"dryRun"`
	WaitForServices *bool    `json:"waitForServices"`

	// Offboarding only. The engine checks them against its configuration
	// (allowed roles, known regions, the role's account); the decoder only
	// says which action they belong to.
	AccountID *string  `json:"accountId"`
	RoleARN   *string  `json:"roleArn"`
	Regions   []string `json:"regions"`
}

// decodeRequest decodes and checks one JSON request.
func decodeRequest(b []byte, opts Options) (cleanup.Request, error) {
	if err := checkRequestKeys(b); err != nil {
		return cleanup.Request{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w wireRequest
	if err := dec.Decode(&w); err != nil {
		return cleanup.Request{}, errors.New(jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return cleanup.Request{}, errors.New("unexpected data after the JSON request object")
	}
	if w.Action == nil {
		return cleanup.Request{}, errors.New(`field "action" is missing: use ` + actions)
	}
	req := cleanup.Request{
		Action: cleanup.Action(*w.Action),
		DryRun: w.DryRun,
	}
	if w.WaitForServices != nil {
		req.WaitForServices = *w.WaitForServices
	}
	switch req.Action {
	case cleanup.ActionOffboard:
		if len(w.ConnectionARNs) > 0 {
			return cleanup.Request{}, fmt.Errorf(`action "offboard" takes no "connectionArns" (got %d): it covers every connection of the account in "regions"`, len(w.ConnectionARNs))
		}
		if len(w.Regions) == 0 {
			return cleanup.Request{}, errors.New(`action "offboard" needs at least one region in "regions", e.g. ["us-east-1","eu-west-1"]`)
		}
		if w.AccountID != nil {
			req.AccountID = strings.TrimSpace(*w.AccountID)
		}
		if w.RoleARN != nil {
			req.RoleARN = strings.TrimSpace(*w.RoleARN)
		}
		req.Regions = make([]string, len(w.Regions))
		for i, r := range w.Regions {
			req.Regions[i] = strings.TrimSpace(r)
		}
	case cleanup.ActionDelete:
		if err := offboardOnly(w); err != nil {
			return cleanup.Request{}, err
		}
		if len(w.ConnectionARNs) == 0 {
			return cleanup.Request{}, errors.New(`action "delete" needs at least one ARN in "connectionArns"`)
		}
	case cleanup.ActionSweep:
		if err := offboardOnly(w); err != nil {
			return cleanup.Request{}, err
		}
		if len(w.ConnectionARNs) > 0 {
			return cleanup.Request{}, fmt.Errorf(`action "sweep" takes no "connectionArns" (got %d): use action "delete" to name connections`, len(w.ConnectionARNs))
		}
	default:
		return cleanup.Request{}, fmt.Errorf("unknown action %s: use %s", excerpt([]byte(*w.Action)), actions)
	}
	if len(w.ConnectionARNs) > opts.MaxARNs {
		return cleanup.Request{}, fmt.Errorf(`"connectionArns" names %d ARNs, more than the %d one request may name: split the request`, len(w.ConnectionARNs), opts.MaxARNs)
	}
	for _, arn := range w.ConnectionARNs {
		// The engine validates each ARN and reports a bad one alone, so the
		// good ones of the same request still proceed.
		req.ConnectionARNs = append(req.ConnectionARNs, strings.TrimSpace(arn))
	}
	return req, nil
}

// offboardOnly refuses the offboarding fields in a request of another
// action: a sweep or delete naming an account would run against the
// function's own account instead, so they are refused, not ignored.
func offboardOnly(w wireRequest) error {
	for _, f := range []struct {
		name    string
		present bool
	}{{"accountId", w.AccountID != nil}, {"roleArn", w.RoleARN != nil}, {"regions", w.Regions != nil}} {
		if f.present {
			return fmt.Errorf(`field %q applies to action "offboard" only`, f.name)
		}
	}
	return nil
}

// checkRequestKeys rejects a request object whose keys are not exactly
// the accepted names, that names one twice, or whose value is null. encoding/json matches
// names case-insensitively and keeps the last of duplicates, so
// {"dryRun":true,"DRYRUN":false} would decode as a real run although
// every key looks accepted. Input that is not a well-formed object is
// left to the decoder, which says what is wrong with it.
func checkRequestKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	accepted := strings.Split(requestFields, ", ")
	seen := make(map[string]bool, len(accepted))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, ok := tok.(string)
		if !ok {
			return nil
		}
		if !slices.Contains(accepted, key) {
			for _, f := range accepted {
				if strings.EqualFold(f, key) {
					return fmt.Errorf("unknown field %q (field names are case-sensitive: did you mean %q?); accepted fields are %s", key, f, requestFields)
				}
			}
			return fmt.Errorf("unknown field %q; accepted fields are %s", key, requestFields)
		}
		if seen[key] {
			return fmt.Errorf("field %q appears more than once: name each field once; accepted fields are %s", key, requestFields)
		}
		seen[key] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil
		}
		// encoding/json leaves a field at its zero value for null, which
		// for dryRun would read as "not asked" and delete for real: a
		// field present must say what it means.
		if string(value) == "null" {
			return fmt.Errorf("field %q is null: give it a value, or leave the field out", key)
		}
	}
	return nil
}

// jsonProblem turns an encoding/json error into a sentence a person can
// act on.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return fmt.Sprintf("expected %s, got a JSON %s", jsonKind(typ.Type.String()), typ.Value)
		}
		return fmt.Sprintf("field %q must be %s, got a JSON %s", field, jsonKind(typ.Type.String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "malformed JSON: the input ends early"
	}
	// encoding/json reports unknown fields with no error type of its own.
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.HasPrefix(msg, "unknown field") {
		return msg + "; accepted fields are " + requestFields
	}
	return msg
}

func jsonKind(goType string) string {
	switch goType {
	case "bool":
		return "a boolean (true or false)"
	case "string", "cleanup.Action":
		return "a string"
	case "[]string":
		return "an array of strings"
	}
	if strings.HasPrefix(goType, "[]") {
		return "an array"
	}
	if strings.HasPrefix(goType, "map[") || strings.Contains(goType, "struct") || strings.Contains(goType, ".") {
		return "an object"
	}
	return goType
}
