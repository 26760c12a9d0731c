package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/report"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// The stack's CloudWatch dashboard: its body is JSON in an !Sub, read here
// with the placeholders resolved to sample values, and held against the
// metrics the function really emits, the stack's dead-letter queues and its
// alarms.

const (
	// dashboardNamespace stands for ${MetricsNamespace}; it is not the
	// parameter's default, so that a namespace written out in the body
	// instead of the parameter is caught.
	dashboardNamespace = "Sample/ConnectionCleanup"
	dashboardRegion    = "eu-west-3"
	dashboardStackName = "cleanup-stack"
	gridWidth          = 24 // a dashboard's columns
)

// dashboardResolver resolves the ${...} placeholders of an !Sub to sample
// values: pseudo parameters and MetricsNamespace to fixed ones, other
// parameters to "param:NAME", a resource to "ref:ID" and an attribute to
// "ID.ATTR". A name the template does not define fails the test.
type dashboardResolver struct {
	t    *testing.T
	tmpl map[string]any
}

var dashboardPlaceholder = regexp.MustCompile(`\$\{([^}]*)\}`)

func (r dashboardResolver) sub(s string) string {
	r.t.Helper()
	return dashboardPlaceholder.ReplaceAllStringFunc(s, func(m string) string {
		name := dashboardPlaceholder.FindStringSubmatch(m)[1]
		if literal, ok := strings.CutPrefix(name, "!"); ok {
			return "${" + literal + "}"
		}
		switch name {
		case "AWS::Region":
			return dashboardRegion
		case "AWS::StackName":
			return dashboardStackName
		case "AWS::AccountId":
			return "123456789012"
		case "AWS::Partition":
			return "aws"
		case "MetricsNamespace":
			return dashboardNamespace
		}
		if id, attr, ok := strings.Cut(name, "."); ok {
			at(r.t, r.tmpl, "Resources", id)
			return r.getAtt(id, attr)
		}
		if params, _ := r.tmpl["Parameters"].(map[string]any); params[name] != nil {
			return "param:" + name
		}
		at(r.t, r.tmpl, "Resources", name)
		return r.ref(name)
	})
}

func (dashboardResolver) ref(id string) string          { return "ref:" + id }
func (dashboardResolver) getAtt(id, attr string) string { return id + "." + attr }

// subString returns the template string of an !Sub in its string form.
func subString(t *testing.T, v any, what string) string {
	t.Helper()
	s, ok := at(t, v, "Fn::Sub").(string)
	if !ok {
		t.Fatalf("%s: %s is not an !Sub of a string", templatePath, what)
	}
	return s
}

// dashboardWidget is one widget of the dashboard body.
type dashboardWidget struct {
	Type       string          `json:"type"`
	X          int             `json:"x"`
	Y          int             `json:"y"`
	Width      int             `json:"width"`
	Height     int             `json:"height"`
	Properties json.RawMessage `json:"properties"`
}

// metricWidget is the part of a metric widget's properties checked here.
type metricWidget struct {
	Title   string  `json:"title"`
	Region  string  `json:"region"`
	Stacked bool    `json:"stacked"`
	Stat    string  `json:"stat"`
	Period  int     `json:"period"`
	Metrics [][]any `json:"metrics"`
}

// dashboardMetric is one metric of a metric widget, its shorthand expanded.
type dashboardMetric struct {
	Widget     string // the widget's title
	Stacked    bool   // the widget's
	Namespace  string
	Name       string
	Dimensions map[string]string
	Stat       string // the metric's own, else the widget's
}

func (m dashboardMetric) String() string {
	return fmt.Sprintf("%s %s %v (%s) in %q", m.Namespace, m.Name, m.Dimensions, m.Stat, m.Widget)
}

// dashboard is the stack's dashboard: its logical ID and resolved body.
type dashboard struct {
	ID      string
	Widgets []dashboardWidget
	Metrics []dashboardMetric
	Alarms  []string // of every alarm widget
}

func loadDashboard(t *testing.T, tmpl map[string]any) dashboard {
	t.Helper()
	found := resourcesOfType(t, tmpl, "AWS::CloudWatch::Dashboard")
	if len(found) != 1 {
		t.Fatalf("%s: %d AWS::CloudWatch::Dashboard resources, want 1", templatePath, len(found))
	}
	var d dashboard
	for id := range found {
		d.ID = id
	}
	body := dashboardResolver{t, tmpl}.sub(subString(t, at(t, found[d.ID], "Properties", "DashboardBody"), d.ID+".DashboardBody"))
	var doc struct {
		Widgets []dashboardWidget `json:"widgets"`
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %s body (placeholders resolved) is not JSON: %v\n%s", templatePath, d.ID, err, body)
	}
	d.Widgets = doc.Widgets
	for i, w := range doc.Widgets {
		switch w.Type {
		case "metric":
			var p metricWidget
			if err := json.Unmarshal(w.Properties, &p); err != nil {
				t.Fatalf("%s: widget %d: properties: %v", d.ID, i, err)
			}
			if p.Region != dashboardRegion {
				t.Errorf("%s: widget %q has region %q, want ${AWS::Region}", d.ID, p.Title, p.Region)
			}
			d.Metrics = append(d.Metrics, widgetMetrics(t, p)...)
		case "alarm":
			var p struct {
				Alarms []string `json:"alarms"`
			}
			if err := json.Unmarshal(w.Properties, &p); err != nil {
				t.Fatalf("%s: widget %d: properties: %v", d.ID, i, err)
			}
			d.Alarms = append(d.Alarms, p.Alarms...)
		}
	}
	return d
}

// widgetMetrics expands a metric widget's metrics: [namespace, name,
// dimension name, value, ..., {options}], where "." repeats the previous
// metric's element at that place.
func widgetMetrics(t *testing.T, p metricWidget) []dashboardMetric {
	t.Helper()
	var out []dashboardMetric
	var prev []string
	for _, entry := range p.Metrics {
		var parts []string
		stat := p.Stat
		for i, e := range entry {
			switch e := e.(type) {
			case string:
				if e == "." && i < len(prev) {
					e = prev[i]
				}
				parts = append(parts, e)
			case map[string]any:
				if i != len(entry)-1 {
					t.Fatalf("widget %q: metric %v: options before its end", p.Title, entry)
				}
				if _, ok := e["expression"]; ok {
					t.Fatalf("widget %q: metric math %v is not checked here: use plain metrics", p.Title, e)
				}
				if s, ok := e["stat"].(string); ok {
					stat = s
				}
			default:
				t.Fatalf("widget %q: metric %v: element %v is %T", p.Title, entry, e, e)
			}
		}
		if len(parts) < 2 || len(parts)%2 != 0 {
			t.Fatalf("widget %q: metric %v: want namespace, name and dimension name-value pairs", p.Title, entry)
		}
		m := dashboardMetric{Widget: p.Title, Stacked: p.Stacked, Namespace: parts[0], Name: parts[1], Dimensions: map[string]string{}, Stat: stat}
		for i := 2; i < len(parts); i += 2 {
			m.Dimensions[parts[i]] = parts[i+1]
		}
		if m.Stat == "" {
			t.Errorf("widget %q: %s has no statistic", p.Title, m)
		}
		out = append(out, m)
		prev = parts
	}
	return out
}

// emfDirective is the metric directive of one EMF record the function
// writes, built by the report package itself.
type emfDirective struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []struct {
		Name string `json:"Name"`
	} `json:"Metrics"`
}

// emfRecord is one EMF record: its directive and its dimension values.
type emfRecord struct {
	emfDirective
	ResourceType string // the value of its ResourceType dimension, if any
}

// emittedMetrics returns the EMF records of an invocation with results of
// every resource type: the totals, and one record per type.
func emittedMetrics(t *testing.T, namespace string) []emfRecord {
	t.Helper()
	var buf bytes.Buffer
	p := report.New(report.Options{
		Namespace: namespace,
		Metrics:   &buf,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	rep := request.NewReport(nil, true)
	for _, k := range request.Kinds() {
		rep.Add(request.Result{ResourceType: k, ARN: "arn:" + string(k), Outcome: request.OutcomeWouldDelete})
	}
	if err := p.Publish(context.Background(), report.Invocation{Trigger: "direct", Report: rep}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	var out []emfRecord
	for line := range strings.Lines(buf.String()) {
		var rec struct {
			AWS struct {
				CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
			} `json:"_aws"`
			ResourceType string `json:"ResourceType"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("EMF record %q: %v", line, err)
		}
		if len(rec.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("EMF record has %d metric directives, want 1: %s", len(rec.AWS.CloudWatchMetrics), line)
		}
		d := rec.AWS.CloudWatchMetrics[0]
		if d.Namespace != namespace {
			t.Fatalf("EMF record namespace %q, want %q", d.Namespace, namespace)
		}
		out = append(out, emfRecord{d, rec.ResourceType})
	}
	if len(out) != 1+len(request.Kinds()) {
		t.Fatalf("%d EMF records, want the totals and one per resource type:\n%s", len(out), buf.String())
	}
	return out
}

// names returns the names of the record's metrics.
func (r emfRecord) names() []string {
	var out []string
	for _, m := range r.Metrics {
		out = append(out, m.Name)
	}
	return out
}

func TestDashboardIsTheStacksAndItsURLIsAnOutput(t *testing.T) {
	tmpl := loadTemplate(t)
	d := loadDashboard(t, tmpl)
	props := at(t, tmpl, "Resources", d.ID, "Properties")
	if diff := cmp.Diff(ref("AWS::StackName"), at(t, props, "DashboardName")); diff != "" {
		t.Errorf("%s DashboardName (-want +got):\n%s", d.ID, diff)
	}

	var url string
	for name, o := range at(t, tmpl, "Outputs").(map[string]any) {
		if v, _ := o.(map[string]any)["Value"].(map[string]any); v != nil {
			if s, _ := v["Fn::Sub"].(string); strings.Contains(s, "${"+d.ID+"}") {
				url = dashboardResolver{t, tmpl}.sub(subString(t, v, "Outputs."+name+".Value"))
			}
		}
	}
	want := "https://" + dashboardRegion + ".console.aws.amazon.com/cloudwatch/home?region=" + dashboardRegion + "#dashboards:name=ref:" + d.ID
	if url != want {
		t.Errorf("dashboard URL output resolves to %q, want %q", url, want)
	}

	if len(d.Widgets) == 0 {
		t.Fatalf("%s has no widgets", d.ID)
	}
	// Widgets stay on the grid and do not overlap.
	type cell struct{ x, y int }
	taken := map[cell]int{}
	for i, w := range d.Widgets {
		if w.X < 0 || w.Y < 0 || w.Width < 1 || w.Height < 1 || w.X+w.Width > gridWidth {
			t.Errorf("widget %d (%s) at x=%d y=%d w=%d h=%d is off the %d-column grid", i, w.Type, w.X, w.Y, w.Width, w.Height, gridWidth)
		}
		for x := w.X; x < w.X+w.Width; x++ {
			for y := w.Y; y < w.Y+w.Height; y++ {
				if j, ok := taken[cell{x, y}]; ok {
					t.Fatalf("widgets %d and %d overlap at x=%d y=%d", j, i, x, y)
				}
				taken[cell{x, y}] = i
			}
		}
	}
}

func TestDashboardMetricsAreThoseTheFunctionEmits(t *testing.T) {
	tmpl := loadTemplate(t)
	// ${MetricsNamespace} is the function's namespace.
	env := at(t, function(t, tmpl), "Environment", "Variables")
	if diff := cmp.Diff(ref("MetricsNamespace"), at(t, env, "METRICS_NAMESPACE")); diff != "" {
		t.Fatalf("METRICS_NAMESPACE (-want +got):\n%s", diff)
	}
	records := emittedMetrics(t, dashboardNamespace)
	for _, m := range loadDashboard(t, tmpl).Metrics {
		switch m.Namespace {
		case dashboardNamespace:
			// A metric of a record, with the dimensions of one of its
			// dimension sets and, for ResourceType, a type's value.
			keys := slices.Sorted(maps.Keys(m.Dimensions))
			var found bool
			for _, r := range records {
				if !slices.Contains(r.names(), m.Name) || !slices.ContainsFunc(r.Dimensions, func(set []string) bool {
					return slices.Equal(slices.Sorted(slices.Values(set)), keys)
				}) {
					continue
				}
				if v, ok := m.Dimensions["ResourceType"]; ok && v != r.ResourceType {
					continue
				}
				found = true
			}
			if !found {
				t.Errorf("%s: no EMF record of the function has metric %s with dimensions %v", m, m.Name, m.Dimensions)
			}
		case "AWS/Lambda", "AWS/SQS":
			// Checked by the tests of the function's and the queues' widgets.
		default:
			t.Errorf("%s: namespace %q is neither ${MetricsNamespace} nor AWS/Lambda or AWS/SQS", m, m.Namespace)
		}
	}
}

// TestDashboardShowsTheOutcomesOfEachResourceType: for every resource type,
// one stacked widget shows exactly the outcome metrics of the function's
// record for that type (every outcome but invalid, which has no type),
// with its ResourceType value, as Sum.
func TestDashboardShowsTheOutcomesOfEachResourceType(t *testing.T) {
	var want []string
	for _, o := range request.Outcomes() {
		if o != request.OutcomeInvalid {
			want = append(want, report.OutcomeMetric(o))
		}
	}
	slices.Sort(want)
	var types []string
	for _, r := range emittedMetrics(t, dashboardNamespace) {
		if r.ResourceType == "" {
			continue // the totals
		}
		types = append(types, r.ResourceType)
		if diff := cmp.Diff(want, slices.Sorted(slices.Values(r.names()))); diff != "" {
			t.Errorf("the function's record for %s (-outcomes but invalid +record):\n%s", r.ResourceType, diff)
		}
	}
	if diff := cmp.Diff(kindNames(), types); diff != "" {
		t.Errorf("resource types of the function's records (-request.Kinds() +records):\n%s", diff)
	}
	byWidget := map[string][]dashboardMetric{}
	for _, m := range loadDashboard(t, loadTemplate(t)).Metrics {
		byWidget[m.Widget] = append(byWidget[m.Widget], m)
	}
	for _, k := range request.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			var widgets []string
			for title, ms := range byWidget {
				var got []string
				for _, m := range ms {
					if m.Namespace != dashboardNamespace || !cmp.Equal(m.Dimensions, map[string]string{"ResourceType": string(k)}) || m.Stat != "Sum" || !m.Stacked {
						got = nil
						break
					}
					got = append(got, m.Name)
				}
				if slices.Equal(slices.Sorted(slices.Values(got)), want) {
					widgets = append(widgets, title)
				}
			}
			if len(widgets) != 1 {
				t.Errorf("%d stacked widgets (%q) show exactly the outcome metrics %v of ResourceType %s as Sum, want 1", len(widgets), widgets, want, k)
			}
		})
	}
}

func TestDashboardStacksTheDecisionsByOutcome(t *testing.T) {
	var want []string
	for _, o := range request.Outcomes() {
		want = append(want, report.OutcomeMetric(o))
	}
	byWidget := map[string][]dashboardMetric{}
	for _, m := range loadDashboard(t, loadTemplate(t)).Metrics {
		byWidget[m.Widget] = append(byWidget[m.Widget], m)
	}
	for title, ms := range byWidget {
		var got []string
		for _, m := range ms {
			if m.Namespace != dashboardNamespace || len(m.Dimensions) != 0 || m.Stat != "Sum" || !m.Stacked {
				got = nil
				break
			}
			got = append(got, m.Name)
		}
		if slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
			t.Logf("widget %q stacks the outcomes", title)
			return
		}
	}
	t.Errorf("no stacked widget shows exactly the outcome metrics %v without dimensions as Sum", want)
}

func TestDashboardShowsTheMetricsOperatorsWatch(t *testing.T) {
	tmpl := loadTemplate(t)
	fn := dashboardResolver{t, tmpl}.ref(functionID)
	type metric struct{ namespace, name, stat string }
	got := map[metric]bool{}
	for _, m := range loadDashboard(t, tmpl).Metrics {
		got[metric{m.Namespace, m.Name, m.Stat}] = true
		if m.Namespace == "AWS/Lambda" {
			if diff := cmp.Diff(map[string]string{"FunctionName": fn}, m.Dimensions); diff != "" {
				t.Errorf("%s: not the function's (-want +got):\n%s", m, diff)
			}
		}
	}
	for _, want := range []metric{
		{dashboardNamespace, report.OutcomeMetric(request.OutcomeDeleted), "Sum"},
		{dashboardNamespace, report.OutcomeMetric(request.OutcomeFailed), "Sum"},
		{dashboardNamespace, report.OutcomeMetric(request.OutcomeInUse), "Sum"},
		{dashboardNamespace, "APICalls", "Sum"},
		{dashboardNamespace, "APIRetries", "Sum"},
		{"AWS/Lambda", "Errors", "Sum"},
		{"AWS/Lambda", "Throttles", "Sum"},
		{"AWS/Lambda", "Duration", "p50"},
		{"AWS/Lambda", "Duration", "p99"},
	} {
		if !got[want] {
			t.Errorf("the dashboard lacks %s %s (%s)", want.namespace, want.name, want.stat)
		}
	}
}

// deadLetterQueues returns the logical IDs of the queues the template
// sends dead letters to: a queue's redrive target, a function's on-failure
// destination and a trigger's dead-letter configuration.
func deadLetterQueues(t *testing.T, tmpl map[string]any) []string {
	t.Helper()
	found := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				var target any
				inner, _ := x.(map[string]any)
				switch k {
				case "deadLetterTargetArn":
					target = x
				case "DeadLetterConfig":
					target = inner["Arn"]
				case "OnFailure":
					target = inner["Destination"]
				}
				getAtt, _ := target.(map[string]any)
				if ga, ok := getAtt["Fn::GetAtt"].([]any); ok && len(ga) == 2 && ga[1] == "Arn" {
					found[fmt.Sprint(ga[0])] = true
				}
				walk(x)
			}
		}
	}
	walk(at(t, tmpl, "Resources"))
	ids := slices.Sorted(maps.Keys(found))
	for _, id := range ids {
		requireType(t, tmpl, id, "AWS::SQS::Queue")
	}
	return ids
}

func TestDashboardShowsTheDepthOfEveryDeadLetterQueue(t *testing.T) {
	tmpl := loadTemplate(t)
	r := dashboardResolver{t, tmpl}
	dlqs := deadLetterQueues(t, tmpl)
	if len(dlqs) != 2 {
		t.Errorf("%s: dead-letter queues %v, want the cleanup and the event dead-letter queue", templatePath, dlqs)
	}
	var want []string
	for _, id := range dlqs {
		want = append(want, r.getAtt(id, "QueueName"))
	}
	var got []string
	for _, m := range loadDashboard(t, tmpl).Metrics {
		if m.Namespace != "AWS/SQS" {
			continue
		}
		if m.Name != "ApproximateNumberOfMessagesVisible" || len(m.Dimensions) != 1 || m.Dimensions["QueueName"] == "" {
			t.Errorf("%s: want ApproximateNumberOfMessagesVisible by QueueName", m)
			continue
		}
		got = append(got, m.Dimensions["QueueName"])
	}
	if diff := cmp.Diff(want, slices.Sorted(slices.Values(got))); diff != "" {
		t.Errorf("queues whose depth the dashboard shows (-dead-letter queues +shown):\n%s", diff)
	}
}

func TestDashboardAlarmWidgetListsEveryAlarm(t *testing.T) {
	tmpl := loadTemplate(t)
	r := dashboardResolver{t, tmpl}
	var want []string
	for id, a := range resourcesOfType(t, tmpl, "AWS::CloudWatch::Alarm") {
		if c, ok := a["Condition"]; ok {
			// An unconditional widget cannot name an alarm that may not exist.
			t.Errorf("alarm %s exists only under condition %v: the alarm widget cannot list it", id, c)
		}
		want = append(want, r.getAtt(id, "Arn"))
	}
	if len(want) == 0 {
		t.Fatalf("%s defines no alarms", templatePath)
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, slices.Sorted(slices.Values(loadDashboard(t, tmpl).Alarms))); diff != "" {
		t.Errorf("alarms of the dashboard's alarm widget (-template's alarms +listed):\n%s", diff)
	}
}
