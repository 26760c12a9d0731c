package apprunnerlocal

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The emulator answers the two STS operations the cleanup function makes,
// in STS's own Query protocol (form-encoded request, XML response), so that
// the real SDK's STS client, pointed here with AWS_ENDPOINT_URL_STS, works
// unchanged:
//
//   - GetCallerIdentity names the caller's account (the access key's, as for
//     App Runner calls) and the caller itself, as STS does: UserId is its
//     principal ID and Arn its ARN (principal.go), an IAM user's for a
//     plain access key, a role session's for AssumeRole's credentials;
//   - AssumeRole of arn:aws:iam::ACCOUNT:role/NAME hands out temporary
//     credentials whose access key belongs to ACCOUNT, so that a client
//     using them sees that account's connections and services, and is the
//     session AROA<role ID>:SESSION, arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION.
//     IAM is not modelled: any well-formed role may be assumed unless
//     Options.AssumableRoles or Options.AssumableRoleNames say which may
//     (see roleAssumable).

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

var stsRoleARNRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::(\d{12}):role/([\w+=,.@/-]{1,512})$`)

// stsSessionNameRE is the model's pattern and length of RoleSessionName;
// the session name is part of the session's ARN and principal ID, so a
// name that STS would refuse must not make one.
var stsSessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"AssumeRoleResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Credentials     stsCredentials `xml:"Credentials"`
		AssumedRoleUser struct {
			AssumedRoleID string `xml:"AssumedRoleId"`
			ARN           string `xml:"Arn"`
		} `xml:"AssumedRoleUser"`
	} `xml:"AssumeRoleResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type callerIdentityResponse struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		ARN     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type stsErrorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		s.stsFail(w, "unknown", http.StatusBadRequest, "InvalidInput", "cannot read request body")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.stsFail(w, "unknown", http.StatusBadRequest, "InvalidInput", "request body is not form-encoded")
		return
	}
	op := form.Get("Action")
	c, aerr := s.authenticateFor(r, "sts")
	if aerr != nil {
		s.stsFail(w, op, aerr.status, aerr.code, aerr.msg)
		return
	}
	switch op {
	case "GetCallerIdentity":
		var resp callerIdentityResponse
		resp.Xmlns, resp.RequestID = stsNamespace, newUUID()
		who := c.principal()
		resp.Result.Account, resp.Result.ARN, resp.Result.UserID = who.account, who.arn, who.id
		s.stsOK(w, op, resp)
	case "AssumeRole":
		role, session := form.Get("RoleArn"), form.Get("RoleSessionName")
		m := stsRoleARNRE.FindStringSubmatch(role)
		if m == nil || !stsSessionNameRE.MatchString(session) {
			s.stsFail(w, op, http.StatusBadRequest, "ValidationError",
				"RoleArn must be an IAM role ARN and RoleSessionName 2 to 64 characters of letters, digits and +=,.@_-")
			return
		}
		who := roleSessionPrincipal(role, m[2], m[3], session)
		s.mu.Lock()
		allowed := s.roleAssumable(role, m[2], m[3])
		key := "ASIA" + strings.ToUpper(randomHex(16))
		if allowed {
			s.issued[key] = who
		}
		now := s.now()
		s.mu.Unlock()
		if !allowed {
			s.stsFail(w, op, http.StatusForbidden, "AccessDenied",
				fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.principal().arn, role))
			return
		}
		var resp assumeRoleResponse
		resp.Xmlns, resp.RequestID = stsNamespace, newUUID()
		resp.Result.Credentials = stsCredentials{
			AccessKeyID:     key,
			SecretAccessKey: randomHex(40),
			SessionToken:    randomHex(64),
			Expiration:      now.Add(time.Hour).UTC().Format(time.RFC3339),
		}
		resp.Result.AssumedRoleUser.AssumedRoleID, resp.Result.AssumedRoleUser.ARN = who.id, who.arn
		s.stsOK(w, op, resp)
	default:
		s.stsFail(w, op, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("the STS action %q is not emulated: only GetCallerIdentity and AssumeRole are", op))
	}
}

// roleAssumable tells whether AssumeRole grants a role: one listed in
// Options.AssumableRoles, or one whose name (the last segment of its path)
// Options.AssumableRoleNames lists, in an account of the seeded
// organization that is not SUSPENDED (a suspended account's roles cannot
// be used). With neither option set, every role is granted. The caller
// holds s.mu.
func (s *Server) roleAssumable(role, account, pathAndName string) bool {
	if s.opts.AssumableRoles == nil && s.opts.AssumableRoleNames == nil {
		return true
	}
	if slices.Contains(s.opts.AssumableRoles, role) {
		return true
	}
	name := pathAndName[strings.LastIndex(pathAndName, "/")+1:]
	if !slices.Contains(s.opts.AssumableRoleNames, name) {
		return false
	}
	a := s.st.org.account(account)
	return a != nil && a.status != AccountSuspended
}

func (s *Server) stsOK(w http.ResponseWriter, op string, v any) {
	data, _ := xml.Marshal(v)
	s.mu.Lock()
	s.record("sts:"+op, "ok")
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(xml.Header), data...))
}

func (s *Server) stsFail(w http.ResponseWriter, op string, status int, code, msg string) {
	var resp stsErrorResponse
	resp.Xmlns, resp.RequestID = stsNamespace, newUUID()
	resp.Error.Type, resp.Error.Code, resp.Error.Message = "Sender", code, msg
	data, _ := xml.Marshal(resp)
	s.mu.Lock()
	s.record("sts:"+op, code)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), data...))
}
