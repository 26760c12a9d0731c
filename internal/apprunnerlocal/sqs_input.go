package apprunnerlocal

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The checks of SQS input (sqs.go serves the protocol): message bodies and
// attributes as SQS takes them, their MD5 digests as the SDK verifies them,
// and queue URLs.

// decodeSQS decodes a request body; malformed JSON and wrongly typed
// members are a SerializationException.
func decodeSQS(body []byte, in any) *sqsError {
	if err := json.Unmarshal(body, in); err != nil {
		return sqsGeneric(http.StatusBadRequest, "SerializationException", "cannot decode request: %v", err)
	}
	return nil
}

// wireAttributeValue is a MessageAttributeValue on the wire; BinaryValue
// is base64 in JSON, as []byte is in encoding/json.
type wireAttributeValue struct {
	DataType         *string
	StringValue      *string
	BinaryValue      []byte
	StringListValues []string
	BinaryListValues [][]byte
}

// messageInput is what SendMessage and a SendMessageBatch entry carry.
type messageInput struct {
	MessageBody             *string
	DelaySeconds            *int32
	MessageAttributes       map[string]wireAttributeValue
	MessageSystemAttributes map[string]wireAttributeValue
	MessageDeduplicationId  *string
	MessageGroupId          *string
}

// checkedMessage is a message that passed the checks, ready to enqueue.
type checkedMessage struct {
	body     string
	delay    time.Duration
	attrs    map[string]MessageAttribute
	md5Attrs string
	md5Sys   string
	size     int
}

// check validates a message as SQS does, apart from its size, which the
// caller judges (alone or in a batch).
func (m *messageInput) check() (checkedMessage, *sqsError) {
	if m.MessageBody == nil || *m.MessageBody == "" {
		return checkedMessage{}, errSQSMissing("MessageBody")
	}
	if i := invalidMessageChar(*m.MessageBody); i >= 0 {
		return checkedMessage{}, sqsModelled(http.StatusBadRequest, "InvalidMessageContents", "InvalidMessageContents",
			"Invalid binary character '#x%X' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", i)
	}
	cm := checkedMessage{body: *m.MessageBody, size: len(*m.MessageBody)}
	if d := m.DelaySeconds; d != nil {
		if *d < 0 || *d > maxDelaySeconds {
			return checkedMessage{}, errSQSParameter("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and %d, if provided.", *d, maxDelaySeconds)
		}
		cm.delay = time.Duration(*d) * time.Second
	}
	if m.MessageDeduplicationId != nil {
		return checkedMessage{}, errSQSParameter("The request include parameter that is not valid for this queue type")
	}
	if g := m.MessageGroupId; g != nil && (len(*g) < 1 || len(*g) > 128) {
		return checkedMessage{}, errSQSParameter("Value %s for parameter MessageGroupId is invalid. Reason: MessageGroupId must be 1 to 128 characters long.", *g)
	}
	if len(m.MessageAttributes) > maxMessageAttributes {
		return checkedMessage{}, errSQSParameter("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(m.MessageAttributes), maxMessageAttributes)
	}
	attrs, size, err := checkAttributes("Message (user)", m.MessageAttributes, false)
	if err != nil {
		return checkedMessage{}, err
	}
	cm.size += size
	if len(attrs) > 0 {
		cm.attrs, cm.md5Attrs = attrs, attributesMD5(attrs)
	}
	sys, size, err := checkAttributes("Message system", m.MessageSystemAttributes, true)
	if err != nil {
		return checkedMessage{}, err
	}
	cm.size += size
	if len(sys) > 0 {
		cm.md5Sys = attributesMD5(sys)
	}
	return cm, nil
}

// invalidMessageChar returns the first character of body that SQS does
// not allow, or -1.
func invalidMessageChar(body string) rune {
	for _, r := range body {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return r
		}
	}
	return -1
}

// checkAttributes checks message attributes, or with system set the
// message system attributes, and returns them and their size as SQS
// counts it (names, types and values).
func checkAttributes(kind string, in map[string]wireAttributeValue, system bool) (map[string]MessageAttribute, int, *sqsError) {
	out := make(map[string]MessageAttribute, len(in))
	size := 0
	for _, name := range sortedKeys(in) {
		v := in[name]
		lower := strings.ToLower(name)
		switch {
		case system && name != "AWSTraceHeader":
			return nil, 0, errSQSParameter("Message system attribute name '%s' is invalid.", name)
		case !system && (!attributeNameRE.MatchString(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
			strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..")):
			return nil, 0, errSQSParameter("The message attribute name '%s' is invalid. Attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters.", name)
		case v.DataType == nil || *v.DataType == "":
			return nil, 0, errSQSParameter("The message attribute '%s' must contain non-empty message attribute type.", name)
		case len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0:
			return nil, 0, errSQSParameter("Message attribute list values in SendMessage operation are not supported.")
		}
		dt := *v.DataType
		base, _, _ := strings.Cut(dt, ".")
		a := MessageAttribute{DataType: dt}
		switch {
		case system && dt != "String":
			return nil, 0, errSQSParameter("%s attribute '%s' must be of type String.", kind, name)
		case base == "String" || base == "Number":
			if v.StringValue == nil || *v.StringValue == "" {
				return nil, 0, errSQSParameter("%s attribute '%s' must contain a non-empty value of type '%s'.", kind, name, base)
			}
			if base == "Number" {
				if _, err := strconv.ParseFloat(*v.StringValue, 64); err != nil {
					return nil, 0, errSQSParameter("Can't cast the value of message (user) attribute '%s' to a number.", name)
				}
			}
			a.StringValue = *v.StringValue
			size += len(a.StringValue)
		case base == "Binary":
			if len(v.BinaryValue) == 0 {
				return nil, 0, errSQSParameter("%s attribute '%s' must contain a non-empty value of type 'Binary'.", kind, name)
			}
			a.BinaryValue = slices.Clone(v.BinaryValue)
			size += len(a.BinaryValue)
		default:
			return nil, 0, errSQSParameter("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		}
		size += len(name) + len(dt)
		out[name] = a
	}
	return out, size, nil
}

// attributesMD5 is the MD5 digest of message attributes as SQS computes
// it: for each attribute in name order, the name, the data type, a
// transport byte (1 for string values, 2 for binary) and the value, each
// of the three strings preceded by its length as 4 big-endian bytes.
func attributesMD5(attrs map[string]MessageAttribute) string {
	h := md5.New()
	put := func(b []byte) {
		_ = binary.Write(h, binary.BigEndian, uint32(len(b)))
		h.Write(b)
	}
	for _, name := range sortedKeys(attrs) {
		a := attrs[name]
		put([]byte(name))
		put([]byte(a.DataType))
		if a.BinaryValue != nil {
			h.Write([]byte{2})
			put(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			put([]byte(a.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// parseQueueURL reads <base>/<account>/<name>.
func parseQueueURL(raw string) (queueKey, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return queueKey{}, false
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	if len(parts) < 2 {
		return queueKey{}, false
	}
	account, name := parts[len(parts)-2], parts[len(parts)-1]
	if !accountRE.MatchString(account) || name == "" {
		return queueKey{}, false
	}
	return queueKey{account: account, name: name}, true
}
