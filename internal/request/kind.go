package request

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is a kind of App Runner resource that outlives the services that
// used it, and that the function cleans up.
type Kind string

// The kinds, as RESOURCE_TYPES, the resourceTypes field and results name
// them.
const (
	KindConnection    Kind = "connection"
	KindVPCConnector  Kind = "vpc-connector"
	KindAutoScaling   Kind = "auto-scaling-configuration"
	KindObservability Kind = "observability-configuration"
)

// KindsAll is the word that names every kind.
const KindsAll = "all"

// Kinds lists every kind, in the order reports and metrics give them.
func Kinds() []Kind {
	return []Kind{KindConnection, KindVPCConnector, KindAutoScaling, KindObservability}
}

// ARNResource is the resource type an ARN of the kind names ("vpcconnector").
func (k Kind) ARNResource() string {
	switch k {
	case KindConnection:
		return "connection"
	case KindVPCConnector:
		return "vpcconnector"
	case KindAutoScaling:
		return "autoscalingconfiguration"
	case KindObservability:
		return "observabilityconfiguration"
	}
	return ""
}

// Noun is the kind as a sentence names it ("VPC connector").
func (k Kind) Noun() string {
	switch k {
	case KindConnection:
		return "connection"
	case KindVPCConnector:
		return "VPC connector"
	case KindAutoScaling:
		return "auto scaling configuration"
	case KindObservability:
		return "observability configuration"
	}
	return string(k)
}

// maxNameLength is the longest name the API model allows the kind.
func (k Kind) maxNameLength() int {
	if k == KindVPCConnector {
		return 40
	}
	return 32
}

// revised reports whether the kind's ARNs carry a revision
// (NAME/REVISION/ID): every kind's but a connection's.
func (k Kind) revised() bool { return k != KindConnection }

// ParseKinds reads a list of kinds: names separated by commas (spaces
// around them are ignored), or "all". Each kind is kept once, in the order
// of Kinds; an empty list is an error.
func ParseKinds(s string) ([]Kind, error) {
	return KindsOf(strings.Split(s, ","))
}

// KindsOf reads kinds given one by one, as a JSON array gives them; "all"
// names every kind, and blanks are skipped.
func KindsOf(names []string) ([]Kind, error) {
	var out []Kind
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if n == KindsAll {
			return Kinds(), nil
		}
		k := Kind(n)
		if !slices.Contains(Kinds(), k) {
			return nil, fmt.Errorf("unknown resource type %q: use %s, or %q", Excerpt(n, 40), kindList(), KindsAll)
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no resource type: use %s, or %q", kindList(), KindsAll)
	}
	slices.SortFunc(out, func(a, b Kind) int { return slices.Index(Kinds(), a) - slices.Index(Kinds(), b) })
	return out, nil
}

// KindsString is kinds as ParseKinds reads them back.
func KindsString(kinds []Kind) string {
	if len(kinds) == len(Kinds()) {
		return KindsAll
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ",")
}

func kindList() string {
	names := make([]string, 0, len(Kinds()))
	for _, k := range Kinds() {
		names = append(names, fmt.Sprintf("%q", k))
	}
	return strings.Join(names, ", ")
}
