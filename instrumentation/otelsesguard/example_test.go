package otelsesguard_test

import (
	"context"
	"fmt"
	"log"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/instrumentation/otelsesguard"
	"github.com/sesguard/sesguard/sestest"
)

// A Client whose hooks record its metrics on the OpenTelemetry SDK. A
// service passes the MeterProvider (and TracerProvider) it exports with;
// here a ManualReader reads what one send to the SES emulator recorded.
func ExampleNewHooks() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	hooks, err := otelsesguard.NewHooks(otelsesguard.WithMeterProvider(mp))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := sestest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client, err := sesguard.New(srv.Client(), func(o *sesguard.Options) { o.Hooks = hooks })
	if err != nil {
		log.Fatal(err)
	}

	if _, err := client.Send(ctx, message("success@simulator.amazonses.com", "not an address")); err != nil {
		log.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name != otelsesguard.MetricRecipients {
			continue
		}
		for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
			outcome, _ := p.Attributes.Value(otelsesguard.AttrOutcome)
			fmt.Println(m.Name, outcome.AsString(), p.Value)
		}
	}
	// Unordered output:
	// sesguard.recipients sent 1
	// sesguard.recipients invalid 1
}
