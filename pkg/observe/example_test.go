package observe_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brinehq/brine/pkg/observe"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

var square = task.Register("example.square", func(_ context.Context, x int) (int, error) { return x * x, nil })

// An embedding program registers the metrics on its own registry (and
// serves it with promhttp), and hands each result of a run to the run's
// observer.
func ExampleObserver() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithMode(pool.Thread), pool.WithWorkers(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()

	metrics := observe.NewMetrics()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics)
	o := &observe.Observer{Metrics: metrics, Trace: observe.NewTrace()}

	run := o.Start("thread", p)
	err = p.Run(ctx, 10, func(i int) task.Call { return square.Call(i) }, run.Observe)
	run.End()
	if err != nil {
		fmt.Println(err)
		return
	}
	fams, _ := reg.Gather()
	for _, f := range fams {
		if f.GetName() == "brine_tasks_completed_total" {
			m := f.GetMetric()[0]
			fmt.Println(f.GetName(), m.GetLabel()[0].GetValue(), m.GetLabel()[1].GetValue(), m.GetCounter().GetValue())
		}
	}
	var trace bytes.Buffer
	if _, err := o.Trace.WriteTo(&trace); err != nil { // for ui.perfetto.dev
		fmt.Println(err)
	}
	fmt.Println("task events:", strings.Count(trace.String(), `"cat":"task"`))
	// Output:
	// brine_tasks_completed_total thread ok 10
	// task events: 10
}
