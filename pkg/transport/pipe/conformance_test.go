package pipe_test

import (
	"testing"

	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/transport/pipe"
	"github.com/brinehq/brine/pkg/transport/transporttest"
)

func newTransport() (transport.Transport, error) { return pipe.New(pipe.Config{}) }

func TestMain(m *testing.M) { transporttest.Main(m, newTransport) }

// The pipe transport passes the conformance suite.
func TestConformance(t *testing.T) { transporttest.Run(t, newTransport) }
