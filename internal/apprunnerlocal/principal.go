package apprunnerlocal

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// Every credential the emulator accepts is one IAM principal, named as AWS
// names it, so that a client that compares principals (the cleanup
// function accepts a work item only when SQS says its own role sent it)
// can be tested as it runs in AWS:
//
//   - a plain access key (one not issued by AssumeRole) is its account's
//     one IAM user, apprunner-local: ARN arn:aws:iam::ACCOUNT:user/apprunner-local,
//     unique ID AIDA followed by 17 characters derived from the account.
//     Every plain key of an account is that same user; a second principal
//     in an account is a role session;
//   - credentials from AssumeRole are a role session: ARN
//     arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION (the role's path
//     left out, as STS writes it), principal ID AROA<role ID>:SESSION,
//     where the role ID is 17 characters derived from the role's ARN, the
//     same for every session of the role, as a role's unique ID is.
//
// STS GetCallerIdentity returns the principal ID as UserId and the ARN as
// Arn; SQS records the principal ID as a message's SenderId, which is how
// SQS names the sender (an IAM user's unique ID, or a role's unique ID and
// the session name). The IDs are derived, not random, so that they are the
// same in every run and on every server: a test can write them down
// (UserPrincipalID, RolePrincipalID).

// principal is who a credential is.
type principal struct {
	account string
	// id is the principal ID: GetCallerIdentity's UserId, SQS's SenderId.
	id string
	// arn is GetCallerIdentity's Arn.
	arn string
}

// localUserName names the IAM user of every account's plain access keys.
const localUserName = "apprunner-local"

// uniqueIDLength is how many characters follow the 4-character prefix
// (AIDA, AROA) of an IAM unique ID: 21 in all, as IAM's are.
const uniqueIDLength = 17

// UserPrincipalID returns the principal ID of an account's plain access
// keys, the unique ID of its IAM user apprunner-local: "AIDA" and 17
// characters derived from the account. It is what STS GetCallerIdentity
// returns as UserId for such a key and what SQS records as SenderId for
// its messages.
func UserPrincipalID(account string) string {
	return "AIDA" + derivedID("user", account)
}

// RolePrincipalID returns the principal ID of a session of the role
// roleARN named session, as STS AssumeRole's AssumedRoleId,
// GetCallerIdentity's UserId and SQS's SenderId give it:
// "AROA<role ID>:<session>", where the role ID (17 characters derived from
// roleARN) is the same for every session of the role.
func RolePrincipalID(roleARN, session string) string {
	return "AROA" + derivedID("role", roleARN) + ":" + session
}

// derivedID is a stable 17-character ID for a kind of principal and a key,
// in IAM's alphabet of capital letters and digits.
func derivedID(kind, key string) string {
	sum := sha256.Sum256([]byte("apprunnerlocal " + kind + "\x00" + key))
	return base32.StdEncoding.EncodeToString(sum[:])[:uniqueIDLength]
}

// userPrincipal is the principal of an account's plain access keys. The
// partition is always aws: the emulator does not tell partitions apart
// by access key.
func userPrincipal(account string) principal {
	return principal{
		account: account,
		id:      UserPrincipalID(account),
		arn:     "arn:aws:iam::" + account + ":user/" + localUserName,
	}
}

// roleSessionPrincipal is the principal of a session of roleARN
// (arn:PARTITION:iam::ACCOUNT:role/PATH/NAME, already checked); the
// session's ARN keeps the role's name but not its path, as STS does.
func roleSessionPrincipal(roleARN, account, pathAndName, session string) principal {
	partition := strings.Split(roleARN, ":")[1]
	name := pathAndName[strings.LastIndex(pathAndName, "/")+1:]
	return principal{
		account: account,
		id:      RolePrincipalID(roleARN, session),
		arn:     "arn:" + partition + ":sts::" + account + ":assumed-role/" + name + "/" + session,
	}
}
