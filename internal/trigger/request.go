package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// requestFields lists the JSON request's fields, exact case: the key
// check reads them, and error messages name them.
const requestFields = "action, connectionArns, dryRun, waitForServices, afterUnusedFor, accountId, roleArn, regions, " +
	"organizationalUnitIds, accountIds, region, planId, resourceTypes"

// wireRequest is the JSON request as callers write it. It is decoded
// strictly: a misspelt field must not turn a dry run into a real one.
//
//	{"action":"sweep"}
//	{"action":"delete","connectionArns":["arn:aws:apprunner:..."]}
//	{"action":"offboard","accountId":"210987654321",
//	 "roleArn":"arn:aws:iam::210987654321:role/NAME","regions":["eu-west-1"]}
//	{"action":"offboard","organizationalUnitIds":["ou-abcd-12345678"],"regions":["eu-west-1"]}
//	{"action":"sweep","accountId":"210987654321","region":"eu-west-1","planId":"plan-..."}
//
// each with optional "dryRun", "waitForServices" and "afterUnusedFor" (an
// idle period such as "24h" or "7d"); sweeps and offboarding also with
// "resourceTypes" (["vpc-connector"], ["all"]), and "connectionArns" may
// name any kind's ARN.
type wireRequest struct {
	Action          *string  `json:"action"`
	ConnectionARNs  []string `json:"connectionArns"`
	ResourceTypes   []string `json:"resourceTypes"`
	DryRun          *bool    `json:"dryRun"`
	WaitForServices bool     `json:"waitForServices"`
	AfterUnusedFor  *string  `json:"afterUnusedFor"`
	AccountID       *string  `json:"accountId"`
	RoleARN         *string  `json:"roleArn"`
	Regions         []string `json:"regions"`

	OrganizationalUnitIDs []string `json:"organizationalUnitIds"`
	AccountIDs            []string `json:"accountIds"`
	Region                *string  `json:"region"`
	PlanID                *string  `json:"planId"`
}

// decodeRequest decodes one JSON request and checks it: the JSON here, the
// rules of a request by request.RawRequest.Check. The error rejects the
// request whole; rejections are single ARNs, and the request is nil when
// none is left.
func decodeRequest(id string, b []byte) (*request.Request, []request.Rejection, error) {
	if err := checkRequestKeys(b); err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w wireRequest
	if err := dec.Decode(&w); err != nil {
		return nil, nil, errors.New(jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, errors.New("unexpected data after the JSON request object")
	}
	if w.Action == nil {
		return nil, nil, errors.New(`field "action" is missing: use "sweep", "delete" or "offboard"`)
	}
	return request.RawRequest{
		ID:              id,
		Action:          request.Action(*w.Action),
		ConnectionARNs:  w.ConnectionARNs,
		ResourceTypes:   w.ResourceTypes,
		DryRun:          w.DryRun != nil && *w.DryRun,
		DryRunOmitted:   w.DryRun == nil,
		WaitForServices: w.WaitForServices,
		AfterUnusedFor:  w.AfterUnusedFor,
		AccountID:       w.AccountID,
		RoleARN:         w.RoleARN,
		Regions:         w.Regions,

		OrganizationalUnitIDs: w.OrganizationalUnitIDs,
		AccountIDs:            w.AccountIDs,
		Region:                w.Region,
		PlanID:                w.PlanID,
	}.Check()
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
	case "string":
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
