//go:build unix

package otelsesguard_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/instrumentation/otelsesguard"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// fakeSES answers every send at once, so that the benchmark measures
// sesguard and its hooks, not a network.
type fakeSES struct{ sesguard.SESv2API }

func (fakeSES) SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return &sesv2.SendEmailOutput{MessageId: aws.String("id")}, nil
}

// processCPU returns the CPU time the process has used, which, unlike the
// wall clock, does not count the time other processes took the cores: the
// figure to compare on a shared machine.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSendOverhead measures a guarded Send of one recipient (a
// memstore of 100,000 suppressions, a fake SES) without hooks and with the
// hooks of NewHooks on: the no-op providers; the global providers with no
// SDK installed; the SDK's meter (a ManualReader) with the no-op tracer,
// without and with WithSendDuration; and the SDK's meter and tracer (every
// span sampled and ended, none exported). Besides the wall-clock ns/op it reports cpu-ns/op, the CPU
// time of the process per Send, GC included.
func BenchmarkSendOverhead(b *testing.B) {
	ms := memstore.New()
	for i := range 100_000 {
		if _, err := ms.Put(context.Background(), store.Suppression{Address: fmt.Sprintf("user%d@example.com", i), Reason: store.ReasonBounce}); err != nil {
			b.Fatal(err)
		}
	}
	in := message("alice@example.com")
	sdkMeter := func() metric.MeterProvider {
		return sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	}
	cases := []struct {
		name  string
		hooks bool
		mp    func() metric.MeterProvider
		tp    func() trace.TracerProvider
		opts  []otelsesguard.Option
	}{
		{name: "no hooks"},
		{name: "noop", hooks: true,
			mp: func() metric.MeterProvider { return metricnoop.NewMeterProvider() },
			tp: func() trace.TracerProvider { return tracenoop.NewTracerProvider() }},
		{name: "global, no SDK", hooks: true},
		{name: "SDK metrics", hooks: true, mp: sdkMeter,
			tp: func() trace.TracerProvider { return tracenoop.NewTracerProvider() }},
		{name: "SDK metrics, WithSendDuration", hooks: true, mp: sdkMeter,
			tp:   func() trace.TracerProvider { return tracenoop.NewTracerProvider() },
			opts: []otelsesguard.Option{otelsesguard.WithSendDuration()}},
		{name: "SDK metrics and traces", hooks: true, mp: sdkMeter,
			tp: func() trace.TracerProvider { return sdktrace.NewTracerProvider() }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var hooks sesguard.Hooks
			if tc.hooks {
				opts := tc.opts
				if tc.mp != nil {
					opts = append(opts, otelsesguard.WithMeterProvider(tc.mp()))
				}
				if tc.tp != nil {
					opts = append(opts, otelsesguard.WithTracerProvider(tc.tp()))
				}
				var err error
				if hooks, err = otelsesguard.NewHooks(opts...); err != nil {
					b.Fatal(err)
				}
			}
			c, err := sesguard.New(fakeSES{}, func(o *sesguard.Options) {
				o.Store = ms
				o.Hooks = hooks
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			cpu := processCPU(b)
			for b.Loop() {
				if _, err := c.Send(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkSDKParts measures what the hooks spend per Send with the SDK's
// meter, one part at a time: an Add to a counter and a Record to a
// histogram with a prepared attribute set, and a reading of the clock.
func BenchmarkSDKParts(b *testing.B) {
	m := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())).Meter("bench")
	counter, err := m.Int64Counter("c")
	if err != nil {
		b.Fatal(err)
	}
	hist, err := m.Float64Histogram("h")
	if err != nil {
		b.Fatal(err)
	}
	set := metric.WithAttributeSet(attribute.NewSet(otelsesguard.AttrOperation.String("SendEmail"), otelsesguard.AttrOutcome.String("sent")))
	add, rec := []metric.AddOption{set}, []metric.RecordOption{set}
	ctx := context.Background()
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU(b)
			for b.Loop() {
				f()
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
	run("counter Add", func() { counter.Add(ctx, 1, add...) })
	run("histogram Record", func() { hist.Record(ctx, 0.001, rec...) })
	start := time.Now()
	var d time.Duration
	run("time.Since", func() { d += time.Since(start) })
	if d < 0 {
		b.Fatal("the clock went back")
	}
}
