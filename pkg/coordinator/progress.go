package coordinator

import (
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress draws a bar on a terminal for runs that last over a second,
// named after the run it follows: with several runs, each has a bar of its
// own, which would otherwise seem to start over.
type progress struct {
	quit chan struct{}
	wg   sync.WaitGroup
}

func startProgress(stderr io.Writer, label string, total int, col *collector, disabled bool) *progress {
	p := &progress{quit: make(chan struct{})}
	if disabled || !isTerminal(stderr) || total == 0 {
		return p
	}
	p.wg.Go(func() { p.draw(stderr, label, total, col) })
	return p
}

func (p *progress) draw(stderr io.Writer, label string, total int, col *collector) {
	select {
	case <-p.quit:
		return
	case <-time.After(time.Second):
	}
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(label), progressbar.OptionShowCount(), progressbar.OptionSetWidth(24),
		progressbar.OptionShowIts(), progressbar.OptionSetItsString("tasks"),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		bar.Set(int(col.totals().done))
		select {
		case <-p.quit:
			bar.Finish()
			return
		case <-tick.C:
		}
	}
}

// stop removes the bar and waits for its goroutine.
func (p *progress) stop() {
	close(p.quit)
	p.wg.Wait()
}
