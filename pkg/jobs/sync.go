package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/brinehq/brine/pkg/cond"
	"github.com/brinehq/brine/pkg/task"
)

// Line is one timestamped line of a demonstration's log: T is
// CLOCK_MONOTONIC nanoseconds, the same clock in every process, so the lines
// of several processes merge into the order they really happened in.
type Line struct {
	_msgpack struct{} `msgpack:",as_array"`
	T        int64
	Who      string
	Text     string
}

// LessonSpec configures the lesson's consumer and producer.
type LessonSpec struct {
	_msgpack struct{}      `msgpack:",as_array"`
	Cond     string        // name of the shared condition
	Notify   int           // producer: waiters woken per notify; 0 means all
	Rounds   int           // producer: how many notifies
	Pause    time.Duration // producer: pause between notifies
}

func say(lines *[]Line, who, text string) {
	*lines = append(*lines, Line{T: cond.Now(), Who: who, Text: text})
}

// Consumer is the lesson's consumer: it waits on the condition and consumes
// the resource once notified.
var Consumer = task.Register2("demo.consumer", func(ctx context.Context, s LessonSpec, who string) ([]Line, error) {
	var lines []Line
	say(&lines, who, "Consumer thread started ...")
	c, err := sharedCond(ctx, s.Cond)
	if err != nil {
		return lines, err
	}
	if err := c.Lock(ctx); err != nil {
		return lines, err
	}
	defer c.Unlock()
	say(&lines, who, "Consumer waiting ...")
	var werr error
	task.Blocking(ctx, func() { werr = c.Wait(ctx) })
	if werr != nil {
		return lines, werr
	}
	say(&lines, who, "Consumer consumed the resource")
	return lines, nil
})

// Producer is the lesson's producer: it makes the resource available and
// notifies the consumers, Notify at a time (all when 0), Rounds times.
var Producer = task.Register2("demo.producer", func(ctx context.Context, s LessonSpec, who string) ([]Line, error) {
	var lines []Line
	say(&lines, who, "Producer thread started ...")
	c, err := sharedCond(ctx, s.Cond)
	if err != nil {
		return lines, err
	}
	for r := range max(s.Rounds, 1) {
		if r > 0 {
			task.Blocking(ctx, func() { sleepCtx(ctx, s.Pause) })
		}
		if err := c.Lock(ctx); err != nil {
			return lines, err
		}
		if r == 0 {
			say(&lines, who, "Making resource available")
		}
		if s.Notify <= 0 {
			say(&lines, who, "Notifying to all consumers")
			c.NotifyAll()
		} else {
			say(&lines, who, fmt.Sprintf("Notifying %d consumer(s)", s.Notify))
			c.Notify(s.Notify)
		}
		c.Unlock()
	}
	return lines, nil
})

func sharedCond(ctx context.Context, name string) (cond.Cond, error) {
	objs, err := cond.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	return objs.Cond(name)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// BarrierSpec configures BarrierRounds.
type BarrierSpec struct {
	_msgpack struct{} `msgpack:",as_array"`
	Name     string
	Parties  int
	Rounds   int
	Spin     time.Duration // waits spin this long before they sleep (cond.WithSpin)
}

// BarrierRounds waits at the shared barrier Rounds times and returns the
// CLOCK_MONOTONIC time at which each wait returned.
var BarrierRounds = task.Register2("demo.barrier", func(ctx context.Context, s BarrierSpec, _ int64) ([]int64, error) {
	objs, err := cond.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	b, err := objs.Barrier(s.Name, s.Parties)
	if err != nil {
		return nil, err
	}
	wakes := make([]int64, 0, min(s.Rounds, 1<<12)) // a run that breaks early need not pay for all
	wctx := ctx
	if s.Spin > 0 {
		wctx = cond.WithSpin(ctx, s.Spin)
	}
	for range s.Rounds {
		var werr error
		task.Blocking(ctx, func() { _, _, werr = b.Wait(wctx) })
		if werr != nil {
			return wakes, werr
		}
		wakes = append(wakes, cond.Now())
	}
	return wakes, nil
})
